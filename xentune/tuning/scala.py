"""Scala scale (.scl) and keyboard mapping (.kbm) files, read and written; Ableton .ascl, read."""

from __future__ import annotations

import math
import os
import re
import stat
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from xentune.atomic import write_text_atomic
from xentune.errors import ConfigError, ScalaError
from xentune.tuning.scale import (
    Scale,
    fraction_to_cents,
)

__all__ = [
    "decode_scala_bytes",
    "format_cents",
    "ScalaLine",
    "format_scl",
    "last_line_number",
    "parse_pitch",
    "parse_scl",
    "read_scala_text",
    "read_scl",
    "scala_lines",
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


class ScalaLine(NamedTuple):
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


def read_scala_text(path: str | os.PathLike[str], kind: str) -> tuple[str, str]:
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


def scala_lines(text: str) -> list[ScalaLine]:
    parts = _LINE_END.split(text)
    if parts and parts[-1] == "":
        parts.pop()  # the final newline ends the last line; it does not start a new one
    return [ScalaLine(i, t) for i, t in enumerate(parts, start=1)]


def last_line_number(lines: list[ScalaLine]) -> int:
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
    all_lines = scala_lines(text)
    end = last_line_number(all_lines)
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
    text, source = read_scala_text(path, ".scl")
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
