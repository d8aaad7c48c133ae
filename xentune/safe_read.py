"""Reading untrusted files: regular files only, bounded size and nesting, finite numbers in range."""

from __future__ import annotations

import json
import math
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from xentune.errors import ConfigError, XentuneError

__all__ = [
    "MAX_DEPTH",
    "MAX_TEXT_BYTES",
    "check_regular_file",
    "finite_number",
    "parse_json",
    "parse_toml",
    "read_json",
    "read_text",
]

#: Deepest nesting of lists and tables a xentune file may have. The deepest file xentune writes
#: (report.json) nests 5 levels; 10^5 levels would exhaust Python's recursion limit.
MAX_DEPTH = 32

#: Largest text file read (bytes), unless the reader asks for less. A score.json of 999 pieces
#: of 512 notes with every field is about 40 MB.
MAX_TEXT_BYTES = 64 * 2**20


def check_regular_file(
    path: str | os.PathLike[str], *, what: str, error: type[XentuneError] = ConfigError
) -> Path:
    """``path`` as a ``Path`` if it is an existing regular file (not a FIFO, device or folder).

    A FIFO given as input would block the reader forever; a device could be endless.

    Raises
    ------
    error
        Missing, unreadable or not a regular file (the message names ``what``).
    """
    p = Path(path)
    try:
        mode = p.stat().st_mode
    except FileNotFoundError:
        raise error(f"{p}: {what} not found; check the path") from None
    except OSError as e:
        raise error(f"{p}: cannot read the {what} ({e.strerror}); check the path") from None
    if stat.S_ISDIR(mode):
        raise error(f"{p}: not a file but a folder; give the path of the {what}")
    if not stat.S_ISREG(mode):
        raise error(
            f"{p}: not a regular file (a FIFO, socket or device); give a {what} saved on disk"
        )
    return p


def read_text(
    path: str | os.PathLike[str],
    *,
    what: str,
    error: type[XentuneError] = ConfigError,
    max_bytes: int = MAX_TEXT_BYTES,
) -> str:
    """The UTF-8 text of a regular file of at most ``max_bytes`` bytes (a BOM is dropped).

    Raises
    ------
    error
        Missing, special (FIFO), too large, unreadable or not UTF-8 text.
    """
    p = check_regular_file(path, what=what, error=error)
    try:
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as e:
        raise error(f"{p}: cannot read the {what} ({e.strerror})") from None
    if len(data) > max_bytes:
        raise error(
            f"{p}: larger than {max_bytes:,} bytes, the most a {what} may have; give a smaller file"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise error(f"{p}: not a text file (not a UTF-8 encoded text); give a {what}") from None


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number JSON allows")


def _check_depth(data: object, *, where: str, error: type[XentuneError], max_depth: int) -> None:
    """Walk ``data`` without recursion; refuse nesting deeper than ``max_depth``."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise error(f"{where}: nested deeper than {max_depth} levels; not a xentune file")
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def parse_json(
    text: str,
    *,
    where: str,
    error: type[XentuneError] = ConfigError,
    max_depth: int = MAX_DEPTH,
    allow_nan: bool = False,
) -> Any:  # noqa: ANN401 (a JSON document: dict, list, str, number, bool or None)
    """Parse JSON text; NaN/Infinity tokens, huge integers and deep nesting are errors.

    With ``allow_nan``, ``NaN`` and ``Infinity`` parse to floats, for a reader that checks every
    number with its field name (`finite_number`) and so reports where the bad value is.

    Raises
    ------
    error
        Malformed (with line and column), nested deeper than ``max_depth``, or holding
        ``NaN``/``Infinity`` or an integer of more than 4300 digits.
    """
    try:
        data = json.loads(text, parse_constant=float if allow_nan else _reject_constant)
    except json.JSONDecodeError as e:
        # The decode error stays the cause: a reader may word its own message from its line.
        raise error(f"{where}: malformed JSON at line {e.lineno} column {e.colno}: {e.msg}") from e
    except RecursionError:
        raise error(f"{where}: nested deeper than {max_depth} levels; not a xentune file") from None
    except ValueError as e:  # NaN/Infinity, or an integer beyond Python's 4300-digit limit
        raise error(f"{where}: {str(e).split(';')[0]}; give finite decimal numbers") from None
    _check_depth(data, where=where, error=error, max_depth=max_depth)
    return data


def parse_toml(
    text: str,
    *,
    where: str,
    error: type[XentuneError] = ConfigError,
    max_depth: int = MAX_DEPTH,
) -> dict[str, Any]:
    """Parse TOML text with the same limits as `parse_json` (nan and inf are errors too)."""
    try:
        data = tomllib.loads(text, parse_float=_finite_toml_float)
    except tomllib.TOMLDecodeError as e:
        raise error(f"{where}: malformed TOML: {e}") from None
    except RecursionError:
        raise error(f"{where}: nested deeper than {max_depth} levels; not a xentune file") from None
    except ValueError as e:  # nan/inf, or an integer beyond Python's 4300-digit limit
        raise error(f"{where}: {str(e).split(';')[0]}; give finite decimal numbers") from None
    _check_depth(data, where=where, error=error, max_depth=max_depth)
    return data


def _finite_toml_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is not a finite number")
    return value


def read_json(
    path: str | os.PathLike[str],
    *,
    what: str,
    error: type[XentuneError] = ConfigError,
    max_bytes: int = MAX_TEXT_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:  # noqa: ANN401 (a JSON document)
    """`read_text` then `parse_json`, errors naming the file."""
    text = read_text(path, what=what, error=error, max_bytes=max_bytes)
    return parse_json(text, where=str(path), error=error, max_depth=max_depth)


def finite_number(
    value: object,
    *,
    field: str,
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    error: type[XentuneError] = ConfigError,
) -> float:
    """``value`` as a float (an int when ``integer``) if it is a finite number in ``[lo, hi]``.

    Parameters
    ----------
    value : object
        What a parser produced (JSON/TOML number, or anything a crafted file put there).
    field : str
        The field's name (with its file), used in the message: ``"score.json: piece 1 cents"``.
    lo, hi : float, optional
        Inclusive bounds.
    integer : bool
        Require an integer (``3.0`` is not one).

    Raises
    ------
    error
        Not a number (a string, a bool, a list), NaN, infinite, too large for a float, or out
        of range; the message names ``field``, the value and the rule.

    Examples
    --------
    >>> finite_number(2, field="voices", lo=1, hi=64, integer=True)
    2
    >>> finite_number("4", field="voices")
    Traceback (most recent call last):
    ...
    xentune.errors.ConfigError: voices is '4'; it must be a number
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = repr(value) if len(repr(value)) <= 40 else f"a {type(value).__name__}"
        raise error(f"{field} is {shown}; it must be a number")
    if integer and not isinstance(value, int):
        raise error(f"{field} is {value!r}; it must be an integer")
    if isinstance(value, int):
        if value.bit_length() > 64:
            raise error(f"{field} is an integer of {value.bit_length()} bits; {_rule(lo, hi)}")
        number: float = value
    else:
        number = value
    if not math.isfinite(number):
        raise error(f"{field} is {value}; it must be a finite number")
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        raise error(f"{field} is {value:g}; {_rule(lo, hi)}")
    return value if integer else float(value)


def _rule(lo: float | None, hi: float | None) -> str:
    if lo is not None and hi is not None:
        return f"it must be in {lo:g}..{hi:g}"
    if lo is not None:
        return f"it must be >= {lo:g}"
    if hi is not None:
        return f"it must be <= {hi:g}"
    return "it must be a finite number"
