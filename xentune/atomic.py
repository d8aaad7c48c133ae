"""Atomic outputs: files and folders are built under a temp name and renamed into place."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from xentune.errors import ConfigError, OutputExistsError

__all__ = [
    "atomic_dir",
    "atomic_file",
    "check_output_path",
    "write_bytes_atomic",
    "write_text_atomic",
]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_output_path(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Validate an output path before any work is done, so that a run fails early.

    Parameters
    ----------
    path : path-like
        The file or folder to be written.
    force : bool
        Whether an existing output may be replaced.

    Returns
    -------
    Path
        The path, as a ``Path``.

    Raises
    ------
    OutputExistsError
        ``path`` exists and ``force`` is false.
    ConfigError
        The parent folder does not exist or is not a folder.
    """
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise ConfigError(
            f"{p}: folder {parent} does not exist; create it first (mkdir -p {parent})"
        )
    if not parent.is_dir():
        raise ConfigError(f"{p}: {parent} is not a folder; choose an output inside a folder")
    if p.exists() and not force:
        raise OutputExistsError(
            f"{p} already exists; pass --force to replace it, or choose another path"
        )
    return p


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success rename it onto ``path``, on error delete it.

    The temp file lives in the same folder (same file system), so the final ``os.replace`` is
    atomic: readers see either no file or the whole file, never a half-written one.

    Examples
    --------
    >>> with atomic_file("out.csv", force=True) as tmp:  # doctest: +SKIP
    ...     tmp.write_text("a,b\\n")
    """
    p = check_output_path(path, force=force)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or ".")
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp creates 0600; give the file the mode a plain open() would (0666 less the umask).
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        if p.exists() and not force:  # appeared while we worked
            raise OutputExistsError(f"{p} already exists; pass --force to replace it")
        if p.is_dir():
            raise ConfigError(f"{p} is a folder; choose a file path")
        os.replace(tmp, p)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def write_bytes_atomic(path: str | os.PathLike[str], data: bytes, *, force: bool = False) -> Path:
    """Write ``data`` to ``path`` atomically (temp file, then rename). Returns the path."""
    with atomic_file(path, force=force) as tmp:
        tmp.write_bytes(data)
    return Path(path)


def write_text_atomic(path: str | os.PathLike[str], text: str, *, force: bool = False) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (temp file, then rename). Returns the path."""
    return write_bytes_atomic(path, text.encode("utf-8"), force=force)


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temp folder beside ``path``; on success rename it to ``path``, on error remove it.

    With ``force``, an existing folder at ``path`` is moved aside and removed only after the new
    one is in place, so a failed run never destroys the previous output.
    """
    p = check_output_path(path, force=force)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{p} exists and is not a folder; choose a folder path")
    tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent or "."))
    os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700
    try:
        yield tmp
        old: Path | None = None
        if p.exists():
            if not force:
                raise OutputExistsError(f"{p} already exists; pass --force to replace it")
            old = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".old", dir=p.parent or "."))
            os.replace(p, old / p.name)
        os.replace(tmp, p)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
