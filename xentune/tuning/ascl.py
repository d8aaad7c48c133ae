"""Ableton Live 12 ``.ascl`` files, written and read: a valid ``.scl`` plus ``! @ABL`` directives."""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path

from xentune.atomic import write_text_atomic
from xentune.errors import ScalaError
from xentune.tuning.scala import format_cents, format_scl, parse_scl, read_scala_text, scala_lines
from xentune.tuning.scale import KeyboardMapping, Scale
from xentune.units import DEFAULT_REFERENCE_HZ, cents_to_hz, hz_to_cents

__all__ = [
    "ABLETON_MIDDLE_C_OCTAVE",
    "degree_names",
    "format_ascl",
    "write_ascl",
    "AbletonScale",
    "parse_ascl",
    "read_ascl",
]

#: Ableton numbers octaves so that middle C (MIDI 60) is C3; REFERENCE_PITCH takes -2..8.
ABLETON_MIDDLE_C_OCTAVE = 3
_OCTAVE_RANGE = range(-2, 9)


def degree_names(scale: Scale) -> tuple[str, ...]:
    """A name for each degree 0..N-1: its exact ratio (``6/5``) or its rounded cents (``316c``).

    Live shows these names in the piano roll instead of C, C#, ...; an emergent scale has no
    letter names, so the name says what the degree is.

    Examples
    --------
    >>> degree_names(Scale.from_ratios(["6/5", "3/2", "2"]))
    ('1/1', '6/5', '3/2')
    >>> degree_names(Scale.from_cents([316.3, 702.0, 1200.01]))
    ('0c', '316c', '702c')
    """
    names = ["1/1" if any(r is not None for r in scale.ratios) else "0c"]
    for c, r in zip(scale.degrees_cents[:-1], scale.ratios[:-1], strict=True):
        names.append(f"{r.numerator}/{r.denominator}" if r is not None else f"{round(c)}c")
    return tuple(names)


def format_ascl(
    scale: Scale,
    *,
    name: str | None = None,
    reference_hz: float = DEFAULT_REFERENCE_HZ,
    reference_octave: int = ABLETON_MIDDLE_C_OCTAVE,
    source: str = "",
    link: str = "",
) -> str:
    """The text of an Ableton ``.ascl`` file for ``scale``, degree 0 at ``reference_hz``.

    The file is `format_scl`'s text (so any Scala reader, Surge XT's included, reads the same
    degrees) followed by the Ableton directives of the ASCL specification (Ableton, "ASCL
    Specification", Live 12.1), each in a comment line after the pitch list:

    - ``! @ABL REFERENCE_PITCH octave index frequency``: degree ``0`` of octave
      ``reference_octave`` (3 = the octave of middle C in Live's numbering) sounds at
      ``reference_hz``;
    - ``! @ABL NOTE_NAMES``: one name per degree 0..N-1 (`degree_names`), each in double quotes;
    - ``! @ABL SOURCE`` and ``! @ABL LINK`` when given (one line each, no line breaks).

    Parameters
    ----------
    scale : Scale
        At least one degree, rising period.
    name : str, optional
        The file name, written as the first comment line.
    reference_hz : float
        Frequency of degree 0 in Hz, > 0.
    reference_octave : int
        Live's octave number of that degree 0, -2..8.
    source, link : str
        Optional provenance text and URL.

    Raises
    ------
    ScalaError
        An empty scale, a period <= 0, a reference out of range, or text with a line break or
        a double quote where a directive cannot hold it.
    """
    if scale.n_notes == 0 or scale.period_cents <= 0:
        raise ScalaError(
            f"an Ableton scale needs at least one degree and a rising period, not "
            f"{scale.n_notes} notes with period {scale.period_cents} cents"
        )
    if not reference_hz > 0:
        raise ScalaError(f"ASCL reference frequency {reference_hz} Hz: must be > 0")
    if reference_octave not in _OCTAVE_RANGE:
        raise ScalaError(f"ASCL reference octave {reference_octave}: must be -2..8 (C3 = middle C)")
    for label, text in (("SOURCE", source), ("LINK", link)):
        if "\n" in text or "\r" in text:
            raise ScalaError(f"ASCL {label} {text!r}: must be one line of text")
    names = degree_names(scale)
    lines = [
        format_scl(scale, name=name).rstrip("\n"),
        "!",
        f"! @ABL REFERENCE_PITCH {reference_octave} 0 {format_cents(reference_hz, min_decimals=1)}",
        "! @ABL NOTE_NAMES " + " ".join(f'"{n}"' for n in names),
    ]
    if source:
        lines.append(f"! @ABL SOURCE {source}")
    if link:
        lines.append(f"! @ABL LINK {link}")
    return "\n".join(lines) + "\n"


def write_ascl(
    path: str | os.PathLike[str],
    scale: Scale,
    *,
    reference_hz: float = DEFAULT_REFERENCE_HZ,
    source: str = "",
    link: str = "",
    force: bool = False,
) -> Path:
    """Write ``scale`` as an Ableton ``.ascl`` file (UTF-8, as ASCL requires), atomically.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    ScalaError
        See `format_ascl`.
    """
    p = Path(path)
    text = format_ascl(scale, name=p.name, reference_hz=reference_hz, source=source, link=link)
    return write_text_atomic(p, text, force=force)


# --------------------------------------------------------------------------- Ableton .ascl
#: ``! @ABL COMMAND ARGS`` (Ableton's ASCL extension of .scl comments).
_ABL = re.compile(r"!\s+@ABL\s+(\S+)\s*(.*?)\s*$")


_ABL_NAME = re.compile(r'\s*(?:"(.*?)\s*"|(\S+))\s*')


_ABL_REFERENCE = re.compile(r"(\d+)\s+(\d+)\s+(\d+\.?\d*|\.\d+)", re.ASCII)


#: Ableton's octave numbers (C3 = middle C) run from -2 to 8; allow a generous margin.
_ABL_MAX_OCTAVE = 100


@dataclass(frozen=True)
class AbletonScale:
    """An Ableton ``.ascl`` file: a Scala scale plus ``! @ABL`` lines (Ableton Live 12 tunings).

    Attributes
    ----------
    scale : Scale
        The scale (an ``.ascl`` is a valid ``.scl``; `read_scl` reads it too).
    mapping : KeyboardMapping
        The keyboard mapping Ableton derives: degree ``I`` of ``REFERENCE_PITCH octave I f`` at
        ``f`` Hz, degree 0 on the key nearest middle C (261.6256 Hz), every key mapped in order,
        the period as formal octave. It equals the ``.kbm`` that Ableton's tuning site exports
        for the surge-tests files.
    note_names : tuple of str
        ``NOTE_NAMES``, one per degree 0..N-1 (empty when absent).
    reference_octave, reference_index : int
        The ``REFERENCE_PITCH`` octave (Ableton numbering, C3 = middle C) and degree.
    source, link : str
        ``SOURCE`` and ``LINK`` (empty when absent).
    """

    scale: Scale
    mapping: KeyboardMapping
    note_names: tuple[str, ...] = ()
    reference_octave: int = 3
    reference_index: int = 0
    source: str = ""
    link: str = ""


def _nearest_degree(scale: Scale, hz: float, reference_index: int, reference_hz: float) -> int:
    """Degree whose frequency is nearest ``hz`` (ties to the one nearer degree 0)."""
    ref_cents = scale.degree_cents(reference_index)
    target = hz_to_cents(hz, reference_hz) + ref_cents  # cents on the scale's axis
    period = scale.period_cents
    # the degree's octave is about target / period; search a window around it
    base = math.floor((target / period) * scale.n_notes)
    best, best_err = 0, math.inf
    for d in sorted(range(base - 2 * scale.n_notes - 2, base + 2 * scale.n_notes + 3), key=abs):
        err = abs(cents_to_hz(scale.degree_cents(d) - ref_cents, reference_hz) - hz)
        if err < best_err:
            best, best_err = d, err
    return best


def parse_ascl(text: str, *, source: str = "<ascl>") -> AbletonScale:
    """Parse an Ableton ``.ascl`` file: `parse_scl` plus its ``! @ABL`` comment lines.

    Commands (Ableton's ASCL specification, as implemented by tuning-library's
    ``readASCLStream``): ``NOTE_NAMES`` (one name per degree, names may be quoted),
    ``REFERENCE_PITCH octave index frequency_hz``, ``SOURCE``, ``LINK``; ``NOTE_RANGE_BY_INDEX``
    and ``NOTE_RANGE_BY_FREQUENCY`` are read but not used (as in tuning-library). An unknown
    command is an error.

    Raises
    ------
    ScalaError
        Anything `parse_scl` rejects; a wrong number of note names; a malformed or out-of-range
        ``REFERENCE_PITCH``; an unknown ``@ABL`` command; a period <= 0 (no key is "nearest
        middle C" on a scale that does not rise).
    """
    scale = parse_scl(text, source=source)
    names: tuple[str, ...] = ()
    octave, index, ref_hz = 3, 0, DEFAULT_REFERENCE_HZ
    src = link = ""
    for ln in scala_lines(text):
        m = _ABL.fullmatch(ln.text)
        if m is None:
            continue
        command, args = m.groups()
        where = f"{source}:{ln.number}"
        if command == "NOTE_NAMES":
            names = tuple(a or b for a, b in _ABL_NAME.findall(args) if a or b)
            if len(names) != scale.n_notes:
                raise ScalaError(
                    f"{where}: NOTE_NAMES has {len(names)} names for a {scale.n_notes}-note "
                    "scale; give one name per degree (quote names that contain spaces)"
                )
        elif command == "REFERENCE_PITCH":
            r = _ABL_REFERENCE.fullmatch(args)
            if r is None:
                raise ScalaError(
                    f"{where}: REFERENCE_PITCH {args!r} is not 'octave index frequency'; write "
                    "e.g. '! @ABL REFERENCE_PITCH 3 0 261.6256'"
                )
            octave, index, ref_hz = int(r.group(1)), int(r.group(2)), float(r.group(3))
            if octave > _ABL_MAX_OCTAVE:
                raise ScalaError(
                    f"{where}: REFERENCE_PITCH octave {octave} is out of range; Ableton octaves "
                    "run from -2 to 8 (C3 = middle C)"
                )
            if index > 10 * max(scale.n_notes, 1):
                raise ScalaError(
                    f"{where}: REFERENCE_PITCH index {index} is far outside the "
                    f"{scale.n_notes}-note scale; give a degree 0..{scale.n_notes - 1}"
                )
            if ref_hz <= 0:
                raise ScalaError(f"{where}: REFERENCE_PITCH frequency {r.group(3)} must be > 0 Hz")
        elif command == "SOURCE":
            src = args
        elif command == "LINK":
            link = args
        elif command not in ("NOTE_RANGE_BY_INDEX", "NOTE_RANGE_BY_FREQUENCY"):
            raise ScalaError(
                f"{where}: unknown Ableton command @ABL {command}; known: NOTE_NAMES, "
                "REFERENCE_PITCH, NOTE_RANGE_BY_INDEX, NOTE_RANGE_BY_FREQUENCY, SOURCE, LINK"
            )
    if scale.n_notes == 0 or not (math.isfinite(scale.period_cents) and scale.period_cents > 0):
        raise ScalaError(
            f"{source}:1: an Ableton scale needs a rising period (last pitch > 0 cents), not "
            f"{scale.period_cents} cents"
        )
    middle_degree = _nearest_degree(scale, DEFAULT_REFERENCE_HZ, index, ref_hz)

    def key(degree: int) -> int:
        return max(0, min(127, 60 + degree - middle_degree))

    mapping = KeyboardMapping(
        map_size=scale.n_notes,
        middle_note=key(0),
        reference_note=key(index),
        reference_hz=ref_hz,
        octave_degree=scale.n_notes,
        entries=tuple(range(scale.n_notes)),
    )
    return AbletonScale(scale, mapping, names, octave, index, src, link)


def read_ascl(path: str | os.PathLike[str]) -> AbletonScale:
    """Read an Ableton ``.ascl`` file; see `parse_ascl`.

    Raises
    ------
    ScalaError
        Missing, unreadable or binary file, or a malformed scale (file and line named).
    """
    text, source = read_scala_text(path, ".ascl")
    return parse_ascl(text, source=source)
