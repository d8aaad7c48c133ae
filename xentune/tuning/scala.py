"""Scala scale (.scl) and keyboard mapping (.kbm) files, read and written; Ableton .ascl, read."""

from __future__ import annotations

import math
import os
import re
import stat
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from xentune.atomic import write_text_atomic
from xentune.errors import ConfigError, ScalaError
from xentune.tuning.scale import (
    MAX_KBM_INT,
    MAX_MAP_SIZE,
    KeyboardMapping,
    Scale,
    fraction_to_cents,
)
from xentune.units import DEFAULT_REFERENCE_HZ

__all__ = [
    "AbletonScale",
    "decode_scala_bytes",
    "format_cents",
    "format_kbm",
    "format_scl",
    "parse_ascl",
    "parse_kbm",
    "parse_pitch",
    "parse_scl",
    "read_ascl",
    "read_kbm",
    "read_scl",
    "write_kbm",
    "write_scl",
]

#: Largest file the readers accept: a sanity bound (archive files are at most 5.4 kB).
MAX_FILE_BYTES = 16 * 2**20
#: Most pitches a .scl may declare: the largest of the 5,354 archive scales has 579; analysis
#: compares every degree with every other (and with each EDO), so 10^6 notes would take hours.
MAX_SCL_NOTES = 4096

#: Line ends Scala files use: CRLF (most of the archive), LF, and lone CR (old Mac).
_LINE_END = re.compile(r"\r\n|\r|\n")

#: A pitch value at the start of a pitch line (after spaces/tabs). Cents have a period.
_CENTS = re.compile(r"[+-]?(?:\d+\.\d*|\.\d+)", re.ASCII)
_RATIO = re.compile(r"([+-]?)(\d+)(?:[ \t]*/[ \t]*([+-]?)(\d+))?", re.ASCII)

_EXPONENT = re.compile(r"[eE][+-]?\d", re.ASCII)

#: Characters that may not follow a pitch value directly (they would make it ambiguous).
_NUMBER_CHARS = frozenset("0123456789./+-")

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


class _Line(NamedTuple):
    number: int  # 1-based line number in the file
    text: str


# --------------------------------------------------------------------------- text and files
def decode_scala_bytes(data: bytes, *, source: str) -> str:
    """Decode the bytes of a Scala file: UTF-8 if valid, else ISO-8859-1 (Latin-1).

    The Scala format is "ASCII or 8-bit text" and the Huygens-Fokker archive is Latin-1; its
    GitHub mirror (our reference copy) is UTF-8. Every Latin-1 file that is not pure ASCII is
    almost never valid UTF-8, so trying UTF-8 first and falling back to Latin-1 reads both
    correctly (only the description and comments can hold such bytes). A UTF-8 byte order mark
    is dropped. A NUL byte, or other control characters, mean the file is not text.

    Raises
    ------
    ScalaError
        The data is binary (NUL or control bytes).
    """
    match = re.search(rb"[\x00-\x08\x0e-\x19\x1b-\x1f]", data)
    if match is not None:
        line = len(re.findall(rb"\r\n|\r|\n", data[: match.start()])) + 1
        raise ScalaError(
            f"{source}:{line}: byte 0x{data[match.start()]:02x} at offset {match.start()}: this "
            "is a binary file, not a Scala text file; choose the .scl/.kbm text file"
        )
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _read_text(path: str | os.PathLike[str], kind: str) -> tuple[str, str]:
    p = Path(path)
    source = str(p)
    try:
        mode = p.stat().st_mode
        if stat.S_ISREG(mode) is False and not stat.S_ISDIR(mode):  # a FIFO would block forever
            raise ScalaError(
                f"{source}:1: cannot open: not a regular file (a FIFO, socket or device); "
                f"give a {kind} file saved on disk"
            )
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScalaError(
                f"{source}:1: {size} bytes is far too large for a {kind} file (the largest of the "
                f"5,354 archive scales is 5.4 kB; limit {MAX_FILE_BYTES} bytes); check the path"
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise ScalaError(
            f"{source}:1: cannot open: no such file; check the path to the {kind} file"
        ) from None
    except IsADirectoryError:
        raise ScalaError(
            f"{source}:1: cannot open: it is a folder, not a {kind} file; give the file's path"
        ) from None
    except OSError as exc:
        raise ScalaError(
            f"{source}:1: cannot open the {kind} file ({exc.strerror}); check its permissions"
        ) from None
    return decode_scala_bytes(data, source=source), source


def _lines(text: str) -> list[_Line]:
    parts = _LINE_END.split(text)
    if parts and parts[-1] == "":
        parts.pop()  # the final newline ends the last line; it does not start a new one
    return [_Line(i, t) for i, t in enumerate(parts, start=1)]


def _last_line_number(lines: list[_Line]) -> int:
    return lines[-1].number if lines else 1


# --------------------------------------------------------------------------- .scl
def parse_pitch(
    text: str, *, source: str = "<pitch>", line: int = 0
) -> tuple[float, Fraction | None]:
    """Parse the value of one ``.scl`` pitch line: cents if it has a period, else a ratio.

    Leading spaces and tabs are ignored, and so is anything after the value (``100.0 cents``,
    ``5/4 E\\``, ``9/8 ! comment``) provided it cannot be read as part of the number: the value
    must be followed by the end of the line, a space, a tab, ``!`` or text that is not a digit,
    ``.``, ``/``, ``+`` or ``-``. The classification looks at the value only, not the whole
    line, so ``3/2 fifth approx. 702c`` is 3/2 (tuning-library would read 3 cents).

    Parameters
    ----------
    text : str
        The line.
    source, line : str, int
        File name and 1-based line number for the error message.

    Returns
    -------
    cents : float
    ratio : Fraction or None
        The exact ratio for ratio lines (a bare integer n is n/1), ``None`` for cents.

    Raises
    ------
    ScalaError
        Not a pitch, a zero/negative ratio, a zero denominator, or a non-finite value.

    Examples
    --------
    >>> parse_pitch(" 5/4   E\\\\")
    (386.3137138648348, Fraction(5, 4))
    >>> parse_pitch("408.")
    (408.0, None)
    """
    where = f"{source}:{line}"
    body = text.lstrip(" \t")
    m = _CENTS.match(body)
    is_cents = m is not None
    if m is None:
        m = _RATIO.match(body)
    if m is None or not body:
        shown = text.strip() or "(blank line)"
        raise ScalaError(
            f"{where}: {shown!r} is not a pitch; write cents with a period (e.g. 701.955) or a "
            "ratio (e.g. 3/2), one per line, comments only after '!'"
        )
    rest = body[m.end() :]
    if _EXPONENT.match(rest):
        raise ScalaError(
            f"{where}: {text.strip()!r} uses exponent notation, which is not part of the Scala "
            "format (tuning-library and Scala would read different values); write the cents "
            "in full, e.g. 1500.0"
        )
    if rest and rest[0] in _NUMBER_CHARS:
        raise ScalaError(
            f"{where}: {text.strip()!r} is ambiguous: {body[: m.end()]!r} is followed by "
            f"{rest[0]!r}; write one value (cents like 701.955 or a ratio like 3/2) followed "
            "by a space"
        )
    if is_cents:
        cents = float(m.group(0))
        if not math.isfinite(cents):
            raise ScalaError(f"{where}: {m.group(0)!r} cents is too large to be a pitch")
        return cents, None
    sign_n, num, sign_d, den = m.groups()
    if sign_n == "-" or sign_d == "-":
        raise ScalaError(
            f"{where}: ratio {m.group(0)!r} is negative; frequency ratios must be > 0 "
            "(negative values are allowed only as cents, e.g. -5.0)"
        )
    try:
        n, d = int(num), int(den) if den is not None else 1
    except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
        raise ScalaError(f"{where}: ratio {m.group(0)[:40]!r}... has too many digits") from None
    if d == 0:
        raise ScalaError(f"{where}: ratio {m.group(0)!r} has denominator 0; write n/d with d > 0")
    if n == 0:
        raise ScalaError(
            f"{where}: ratio {m.group(0)!r} is zero; a pitch ratio must be > 0 (1/1 is implicit "
            "and is not written)"
        )
    ratio = Fraction(n, d)
    return fraction_to_cents(ratio), ratio


def parse_scl(text: str, *, source: str = "<scl>") -> Scale:
    """Parse the text of a Scala ``.scl`` file.

    Rules (Huygens-Fokker "Scala scale file format"; reference/tuning.md §1): lines starting
    with ``!`` are comments anywhere; the first other line is the description (it may be empty
    and is kept verbatim); the next is the note count (spaces around it allowed, 0 is legal);
    then exactly that many pitch lines (see `parse_pitch`); anything after them is ignored, as
    Scala and tuning-library do. Line ends may be LF, CRLF or CR; the last line may lack one.
    A blank line where a pitch is expected is an error (a writer must never emit one).

    Parameters
    ----------
    text : str
        The file's text.
    source : str
        The file name, for error messages.

    Returns
    -------
    Scale

    Raises
    ------
    ScalaError
        One error naming ``source``, the line, what is wrong and how to fix it.
    """
    all_lines = _lines(text)
    end = _last_line_number(all_lines)
    lines = [ln for ln in all_lines if not ln.text.startswith("!")]
    if not lines:
        raise ScalaError(
            f"{source}:{end}: no description line; a .scl file needs a description line "
            "(may be blank), the note count, then one pitch per line"
        )
    description = lines[0].text
    if len(lines) < 2:
        raise ScalaError(
            f"{source}:{end}: the note count is missing; after the description line "
            f"(line {lines[0].number}) put the number of pitches, e.g. 12"
        )
    count_line = lines[1]
    count_text = count_line.text.strip(" \t")
    if not count_text.isdigit() or not count_text.isascii():
        raise ScalaError(
            f"{source}:{count_line.number}: note count {count_line.text.strip()!r} is not a whole "
            f"number >= 0; the second non-comment line must be the number of pitches (the "
            f"first, line {lines[0].number}, is the description, which may be blank)"
        )
    if len(count_text) > 12 or int(count_text) > MAX_SCL_NOTES:
        raise ScalaError(
            f"{source}:{count_line.number}: note count {count_text} is more than the "
            f"{MAX_SCL_NOTES} pitches a scale may have here (the largest archive scale has 579)"
        )
    count = int(count_text)
    pitch_lines = lines[2 : 2 + count]
    if len(pitch_lines) < count:
        raise ScalaError(
            f"{source}:{end}: the note count on line {count_line.number} says {count} pitches "
            f"but the file has only {len(pitch_lines)}; fix the count or add the missing pitches"
        )
    cents: list[float] = []
    ratios: list[Fraction | None] = []
    for k, ln in enumerate(pitch_lines, start=1):
        if not ln.text.strip(" \t"):
            raise ScalaError(
                f"{source}:{ln.number}: blank line where pitch {k} of {count} was expected; "
                "remove the blank line (or check the note count on line "
                f"{count_line.number})"
            )
        c, r = parse_pitch(ln.text, source=source, line=ln.number)
        cents.append(c)
        ratios.append(r)
    try:
        return Scale(tuple(cents), tuple(ratios), description)
    except ConfigError as exc:  # pragma: no cover - the checks above cover every case
        raise ScalaError(f"{source}:{lines[0].number}: {exc}") from None


def read_scl(path: str | os.PathLike[str]) -> Scale:
    """Read a Scala ``.scl`` file (UTF-8 or Latin-1, see `decode_scala_bytes`).

    Raises
    ------
    ScalaError
        Missing, unreadable or binary file, or a malformed scale (file and line named).
    """
    text, source = _read_text(path, ".scl")
    return parse_scl(text, source=source)


def format_cents(cents: float, *, min_decimals: int = 5) -> str:
    """Cents as positional decimal text with a period that reads back to the same float.

    The shortest round-trip digits of ``repr`` are written positionally (never with an
    exponent, which Scala cannot read), padded to ``min_decimals`` decimals as Scala writes.

    Examples
    --------
    >>> format_cents(100.0), format_cents(1e-7), format_cents(701.9550008653874)
    ('100.00000', '0.0000001', '701.9550008653874')
    """
    text = format(Decimal(repr(float(cents))), "f")
    if "." not in text:
        text += "."
    decimals = len(text) - text.index(".") - 1
    return text + "0" * max(0, min_decimals - decimals)


def format_scl(scale: Scale, *, name: str | None = None) -> str:
    """The text of a ``.scl`` file for ``scale``, in the layout Scala itself writes.

    ``! name`` (if given), ``!``, the description, the count, ``!``, then one pitch per line:
    ratios as ``n/d`` (exact), cents via `format_cents` (exact float round trip). ASCII unless
    the description is not; no blank lines; LF line ends; a final newline.
    """
    out = []
    if name is not None:
        out.append(f"! {name}")
    out += ["!", scale.description, f" {scale.n_notes}", "!"]
    for c, r in zip(scale.degrees_cents, scale.ratios, strict=True):
        out.append(f" {r.numerator}/{r.denominator}" if r is not None else f" {format_cents(c)}")
    return "\n".join(out) + "\n"


def write_scl(path: str | os.PathLike[str], scale: Scale, *, force: bool = False) -> Path:
    """Write ``scale`` to a ``.scl`` file atomically (UTF-8); never replaces a file without ``force``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    """
    p = Path(path)
    return write_text_atomic(p, format_scl(scale, name=p.name), force=force)


# --------------------------------------------------------------------------- .kbm
def _kbm_token(ln: _Line) -> str:
    """The value of a .kbm line: its first word; text after a space, tab or ``!`` is a comment."""
    return _KBM_TOKEN.match(ln.text.lstrip(" \t")).group(0)  # type: ignore[union-attr]


def _kbm_int(ln: _Line, field: str, hint: str, source: str) -> int:
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
    all_lines = _lines(text)
    end = _last_line_number(all_lines)
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
    text, source = _read_text(path, ".kbm")
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
    target = 1200.0 * math.log2(hz / reference_hz) + ref_cents  # cents on the scale's axis
    period = scale.period_cents
    # the degree's octave is about target / period; search a window around it
    base = math.floor((target / period) * scale.n_notes)
    best, best_err = 0, math.inf
    for d in sorted(range(base - 2 * scale.n_notes - 2, base + 2 * scale.n_notes + 3), key=abs):
        err = abs(reference_hz * 2 ** ((scale.degree_cents(d) - ref_cents) / 1200.0) - hz)
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
    for ln in _lines(text):
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
    text, source = _read_text(path, ".ascl")
    return parse_ascl(text, source=source)
