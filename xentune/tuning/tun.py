"""AnaMark ``.tun`` files (version 2): the frequency of all 128 MIDI keys, written."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from xentune.atomic import write_text_atomic
from xentune.errors import ScalaError
from xentune.tuning.frequencies import frequency_table
from xentune.tuning.scala import format_cents
from xentune.tuning.scale import KeyboardMapping, Scale
from xentune.units import hz_to_cents, midi_to_hz

__all__ = ["TUN_BASE_HZ", "format_tun", "tun_cents", "write_tun"]

#: Frequency of MIDI key 0 in A4 = 440 Hz tuning: the AnaMark default ``BaseFreq``, in Hz.
TUN_BASE_HZ = midi_to_hz(0.0)


def tun_cents(freq_hz: np.ndarray, *, base_hz: float = TUN_BASE_HZ) -> np.ndarray:
    """Cents of each frequency above ``base_hz`` (what a ``.tun`` note line holds), same shape."""
    return hz_to_cents(np.asarray(freq_hz, dtype=np.float64), reference_hz=base_hz)


def _quoted(text: str) -> str:
    return '"' + text.replace('"', "'").replace("\r", " ").replace("\n", " ") + '"'


def format_tun(
    scale: Scale,
    mapping: KeyboardMapping | None = None,
    *,
    name: str = "",
    description: str = "",
    editor: str = "xentune",
) -> str:
    """The text of an AnaMark tuning file, version 2.00 (Mark Henning, "AnaMark tuning file format V2").

    Sections, in the order of the specification: ``[Scale Begin]`` (``Format = "AnaMark-TUN"``,
    ``FormatVersion = 200``), ``[Info]`` (name, description, editor), ``[Tuning]`` (integer cents
    of every key: the specification asks software to write it for VAZ 1.5 Plus compatibility),
    ``[Exact Tuning]`` (``BaseFreq`` = MIDI key 0 at A4 = 440 Hz, 8.1758 Hz, then ``note k =
    cents above BaseFreq`` for all 128 keys, exact to float round trip) and ``[Scale End]``.
    Every key is given, so the format's "auto expansion" of missing keys never applies.

    The frequencies are `frequency_table` of ``scale`` under ``mapping`` (default: degree 0 on
    key 60 at 261.6256 Hz, one key per degree): exactly what ``scale.scl`` + ``scale.kbm`` give.
    Keys the mapping leaves unmapped get tuning-library's interpolated pitch (what Surge XT
    plays), because a ``.tun`` has no "unmapped".

    Raises
    ------
    ScalaError
        An empty scale, or a key whose frequency is not finite and > 0.
    """
    freq = frequency_table(scale, mapping)  # (128,) Hz
    if not np.all(np.isfinite(freq) & (freq > 0)):
        k = int(np.argmin(np.isfinite(freq) & (freq > 0)))
        raise ScalaError(
            f"AnaMark .tun: key {k} has frequency {freq[k]} Hz; every key needs a finite "
            "frequency > 0 (the scale's period is too large or too small for 128 keys)"
        )
    cents = tun_cents(freq)  # (128,) cents above TUN_BASE_HZ
    lines = [
        "; AnaMark tuning file, format version 2.00 (written by xentune)",
        "[Scale Begin]",
        'Format = "AnaMark-TUN"',
        "FormatVersion = 200",
        'FormatSpecs = "http://www.mark-henning.de/eternity/tuningspecs.html"',
        "",
        "[Info]",
        f"Name = {_quoted(name)}",
        f"Description = {_quoted(description or scale.description)}",
        f"Editor = {_quoted(editor)}",
        "",
        "[Tuning]",
    ]
    lines += [f"note {k} = {math.floor(c + 0.5)}" for k, c in enumerate(cents)]
    lines += ["", "[Exact Tuning]", f"BaseFreq = {format_cents(TUN_BASE_HZ, min_decimals=1)}"]
    lines += [f"note {k} = {format_cents(float(c), min_decimals=1)}" for k, c in enumerate(cents)]
    lines += ["", "[Scale End]"]
    return "\r\n".join(lines) + "\r\n"


def write_tun(
    path: str | os.PathLike[str],
    scale: Scale,
    mapping: KeyboardMapping | None = None,
    *,
    description: str = "",
    force: bool = False,
) -> Path:
    """Write ``scale`` under ``mapping`` as an AnaMark ``.tun`` file (v2, CRLF), atomically.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    ScalaError
        See `format_tun`.
    """
    p = Path(path)
    text = format_tun(scale, mapping, name=p.stem, description=description)
    return write_text_atomic(p, text, force=force)
