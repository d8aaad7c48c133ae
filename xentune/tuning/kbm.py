"""Scala keyboard mappings (.kbm): parse, format, read and write them."""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

from xentune.atomic import write_text_atomic
from xentune.errors import ConfigError, ScalaError
from xentune.tuning.scala import (
    ScalaLine,
    format_cents,
    last_line_number,
    read_scala_text,
    scala_lines,
)
from xentune.tuning.scale import (
    MAX_KBM_INT,
    MAX_MAP_SIZE,
    KeyboardMapping,
)

__all__ = ["format_kbm", "parse_kbm", "read_kbm", "write_kbm"]


#: The value on a .kbm line: everything up to the first space, tab or '!'.
_KBM_TOKEN = re.compile(r"[^ \t!]*")


#: The kbm header fields, in file order, with a hint for the error message.
_KBM_FIELDS = (
    ("map size", "the size of the repeating pattern, e.g. 12 (0 = linear mapping)"),
    ("first MIDI note to retune", "usually 0"),
    ("last MIDI note to retune", "usually 127"),
    ("middle note", "the key that gets the first mapping entry, e.g. 60"),
    ("reference note", "the key whose frequency is given, e.g. 69"),
    ("reference frequency", "in Hz, e.g. 440.0"),
    ("formal octave degree", "the scale degree of the pattern's period, 0 = the scale's size"),
)


#: Scala's own wording for the kbm template comments, written back by `format_kbm`.
_KBM_COMMENTS = (
    "! Size of map. The pattern repeats every so many keys:",
    "! First MIDI note number to retune:",
    "! Last MIDI note number to retune:",
    "! Middle note where the first entry of the mapping is mapped to:",
    "! Reference note for which frequency is given:",
    "! Frequency to tune the above note to (floating point e.g. 440.0):",
    "! Scale degree to consider as formal octave (determines difference in pitch\n"
    "! between adjacent mapping patterns):",
)


# --------------------------------------------------------------------------- .kbm
def _kbm_token(ln: ScalaLine) -> str:
    """The value of a .kbm line: its first word; text after a space, tab or ``!`` is a comment."""
    return _KBM_TOKEN.match(ln.text.lstrip(" \t")).group(0)  # type: ignore[union-attr]


def _kbm_int(ln: ScalaLine, field: str, hint: str, source: str) -> int:
    token = _kbm_token(ln)
    if not re.fullmatch(r"[+-]?\d+", token, re.ASCII):
        shown = token or "(blank line)"
        raise ScalaError(
            f"{source}:{ln.number}: {field} {shown!r} is not a whole number; write {hint}"
        )
    value = int(token)
    if abs(value) > MAX_KBM_INT:
        raise ScalaError(
            f"{source}:{ln.number}: {field} {token!r} is too large (the limit is "
            f"+-{MAX_KBM_INT}); write {hint}"
        )
    return value


def parse_kbm(text: str, *, source: str = "<kbm>") -> KeyboardMapping:
    """Parse the text of a Scala keyboard mapping (``.kbm``).

    Non-comment lines, in order: map size, first note, last note, middle note, reference note,
    reference frequency (Hz), formal octave degree, then up to ``map size`` entries (a scale
    degree or ``x`` for an unmapped key). Following Scala rather than tuning-library
    (reference/tuning.md §3): degrees may be negative, and a mapping may stop early (the
    missing entries at the end are unmapped). Blank lines after the mapping, and any lines
    beyond ``map size`` entries, are ignored (as both tools do); a blank line inside the header
    or the mapping is an error. Text after a value, behind a space, tab or ``!``, is a comment
    (``60 ! middle C``, ``x unmapped``), as in .scl pitch lines; tuning-library rejects it.

    Raises
    ------
    ScalaError
        One error naming ``source``, the line, what is wrong and how to fix it (including a
        reference note outside 0..127 or on an unmapped key).
    """
    all_lines = scala_lines(text)
    end = last_line_number(all_lines)
    lines = [ln for ln in all_lines if not ln.text.startswith("!")]
    while lines and not lines[-1].text.strip(" \t"):
        lines.pop()  # trailing blank lines are not entries
    header: list[int | float] = []
    for i, (field, hint) in enumerate(_KBM_FIELDS):
        if i >= len(lines):
            raise ScalaError(
                f"{source}:{end}: the {field} (value {i + 1} of 7 in the header) is missing; "
                f"add a line with {hint}"
            )
        ln = lines[i]
        if field == "reference frequency":
            token = _kbm_token(ln)
            try:
                if not re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", token, re.ASCII):
                    raise ValueError(token)
                hz = float(token)
            except ValueError:
                raise ScalaError(
                    f"{source}:{ln.number}: reference frequency {token or '(blank line)'!r} is "
                    f"not a number; write {hint}"
                ) from None
            if not (math.isfinite(hz) and hz > 0):
                raise ScalaError(
                    f"{source}:{ln.number}: reference frequency {token!r} must be > 0 Hz; "
                    f"write {hint}"
                )
            header.append(hz)
            continue
        value = _kbm_int(ln, field, hint, source)
        if field == "map size" and not 0 <= value <= MAX_MAP_SIZE:
            raise ScalaError(
                f"{source}:{ln.number}: map size {value} is out of range 0..{MAX_MAP_SIZE}; "
                f"write {hint}"
            )
        if (
            field
            in (
                "first MIDI note to retune",
                "last MIDI note to retune",
                "middle note",
                "reference note",
            )
            and not 0 <= value <= 127
        ):
            raise ScalaError(
                f"{source}:{ln.number}: {field} {value} is outside the MIDI keys 0..127; "
                f"write {hint}"
            )
        header.append(value)
    map_size, first, last, middle, reference, hz, octave = header
    assert isinstance(hz, float)
    if first > last:
        raise ScalaError(
            f"{source}:{lines[1].number}: first note {first} is above the last note {last} "
            f"(line {lines[2].number}); swap them"
        )
    entry_lines = lines[7 : 7 + int(map_size)]
    entries: list[int | None] = []
    for r, ln in enumerate(entry_lines):
        token = _kbm_token(ln)
        if token in ("x", "X"):
            entries.append(None)
        elif not token:
            raise ScalaError(
                f"{source}:{ln.number}: blank line at mapping entry {r} (key middle+{r}); write "
                "a scale degree, or x for an unmapped key (comments start in the first column)"
            )
        else:
            entries.append(
                _kbm_int(
                    ln, f"mapping entry {r}", "a scale degree, or x for an unmapped key", source
                )
            )
    if map_size > 0:
        r = (int(reference) - int(middle)) % int(map_size)
        if r >= len(entries) or entries[r] is None:
            where = (
                f"entry {r} (line {entry_lines[r].number}) is x"
                if r < len(entries)
                else f"entry {r} is left out (only {len(entries)} entries)"
            )
            raise ScalaError(
                f"{source}:{lines[4].number}: reference note {reference} is unmapped: its mapping "
                f"{where}; map that key or choose a mapped reference note"
            )
    try:
        return KeyboardMapping(
            map_size=int(map_size),
            first_note=int(first),
            last_note=int(last),
            middle_note=int(middle),
            reference_note=int(reference),
            reference_hz=hz,
            octave_degree=int(octave),
            entries=tuple(entries),
        )
    except ConfigError as exc:  # pragma: no cover - the checks above cover every case
        raise ScalaError(f"{source}:{lines[0].number}: {exc}") from None


def read_kbm(path: str | os.PathLike[str]) -> KeyboardMapping:
    """Read a Scala keyboard mapping (``.kbm``) file; see `parse_kbm`.

    Raises
    ------
    ScalaError
        Missing, unreadable or binary file, or a malformed mapping (file and line named).
    """
    text, source = read_scala_text(path, ".kbm")
    return parse_kbm(text, source=source)


def format_kbm(mapping: KeyboardMapping, *, name: str | None = None) -> str:
    """The text of a ``.kbm`` file, in Scala's template layout with its comment lines.

    The frequency is written positionally with a period (exact float round trip); all
    ``map_size`` entries are written, ``x`` for unmapped keys. Negative degrees are written as
    such (legal in Scala, rejected by tuning-library).
    """
    out = [f"! {name}"] if name is not None else []
    values = (
        mapping.map_size,
        mapping.first_note,
        mapping.last_note,
        mapping.middle_note,
        mapping.reference_note,
        format_cents(mapping.reference_hz, min_decimals=1),
        mapping.octave_degree,
    )
    for comment, value in zip(_KBM_COMMENTS, values, strict=True):
        out += [comment, str(value)]
    out.append("! Mapping (scale degree of keys middle, middle+1, ...; x = unmapped):")
    out += ["x" if e is None else str(e) for e in mapping.entries]
    return "\n".join(out) + "\n"


def write_kbm(
    path: str | os.PathLike[str], mapping: KeyboardMapping, *, force: bool = False
) -> Path:
    """Write ``mapping`` to a ``.kbm`` file atomically; never replaces a file without ``force``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    """
    p = Path(path)
    return write_text_atomic(p, format_kbm(mapping, name=p.name), force=force)
