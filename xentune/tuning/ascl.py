"""Ableton Live 12 ``.ascl`` files written: a valid ``.scl`` plus ``! @ABL`` directives."""

from __future__ import annotations

import os
from pathlib import Path

from xentune.atomic import write_text_atomic
from xentune.errors import ScalaError
from xentune.tuning.scala import format_cents, format_scl
from xentune.tuning.scale import Scale
from xentune.units import DEFAULT_REFERENCE_HZ

__all__ = ["ABLETON_MIDDLE_C_OCTAVE", "degree_names", "format_ascl", "write_ascl"]

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
