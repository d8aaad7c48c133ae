"""Atomic outputs: files and folders are built under a temp name and renamed into place."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from xentune.errors import ConfigError, OutputError, OutputExistsError, XentuneError

__all__ = [
    "MAX_NAME_BYTES",
    "atomic_dir",
    "atomic_file",
    "check_output_path",
    "output_error",
    "output_lock",
    "write_bytes_atomic",
    "write_text_atomic",
]

#: Longest output name, in bytes: file systems allow 255, and the temp and lock names beside an
#: output add a dot, a random part and a suffix to it.
MAX_NAME_BYTES = 200

#: OS errors a writer meets on a bad disk or folder: the reason, and what to do.
_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the disk", "free some space or write to another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or write elsewhere"),
    errno.EFBIG: ("the file is too large for this file system", "write to another disk"),
    errno.EROFS: ("the file system is read-only", "write to a folder you can write to"),
    errno.EACCES: ("permission denied", "write to a folder you can write to"),
    errno.EPERM: ("operation not permitted", "write to a folder you can write to"),
    errno.ENAMETOOLONG: ("the file name is too long", "choose a shorter name"),
    errno.EIO: ("an input/output error on the disk", "check the disk, or write to another one"),
}

#: A library error (libsndfile, torch's zip writer, matplotlib) while less than this many
#: bytes are free on the output's disk is reported as a full disk: they drop the errno.
_NEARLY_FULL_BYTES = 1 << 20


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _folder(p: Path) -> Path:
    return p.parent if str(p.parent) else Path(".")


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
        The parent folder does not exist or is not a folder, the name is longer than
        `MAX_NAME_BYTES`, or the path is the working folder or one above it.
    """
    p = Path(path)
    parent = _folder(p)
    if len(os.fsencode(p.name)) > MAX_NAME_BYTES:
        raise ConfigError(
            f"{str(p)[:60]}...: the name is {len(os.fsencode(p.name))} bytes long; an output name "
            f"may have at most {MAX_NAME_BYTES} bytes: choose a shorter one"
        )
    with contextlib.suppress(OSError):
        here = Path.cwd().resolve()
        if p.resolve() == here or p.resolve() in here.parents or not p.name:
            raise ConfigError(
                f"--out {p}: that is the working folder or one above it, which would be replaced; "
                "give a new folder name (e.g. --out xentune-run)"
            )
    with _mapped(p):  # a folder name over 255 bytes makes even exists() fail
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


def output_error(exc: BaseException, path: str | os.PathLike[str]) -> OutputError | None:
    """The `OutputError` for a failed write to ``path``, or None when ``exc`` is not about the disk.

    OS errors are recognised by errno (``ENOSPC``, ``EROFS``, ``EACCES``, ``ENAMETOOLONG``, ...),
    also when a library wrapped them (the cause chain is searched). Libraries that drop the
    errno (libsndfile, torch's zip writer) are recognised by the disk being full afterwards.
    """
    p = Path(path)
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, OSError) and e.errno in _OS_ERRORS:
            reason, fix = _OS_ERRORS[e.errno]
            return OutputError(f"{p}: cannot write it: {reason}; {fix}")
        e = e.__cause__ or e.__context__
    if isinstance(exc, RuntimeError | ValueError | OSError):
        try:
            usage = os.statvfs(_folder(p))
        except OSError:
            return None
        if usage.f_bavail * usage.f_frsize < _NEARLY_FULL_BYTES:
            reason, fix = _OS_ERRORS[errno.ENOSPC]
            return OutputError(f"{p}: cannot write it: {reason}; {fix}")
    return None


@contextlib.contextmanager
def _mapped(path: Path) -> Iterator[None]:
    """Turn a disk error inside the block into an `OutputError` naming ``path``."""
    try:
        yield
    except XentuneError:
        raise
    except Exception as e:
        mapped = output_error(e, path)
        if mapped is None:
            raise
        raise mapped from None


@contextlib.contextmanager
def output_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on the output ``path`` while it is being made.

    The lock is ``flock`` on a hidden ``.NAME.lock`` file beside ``path`` (removed afterwards;
    the kernel frees the lock when a process dies, so a killed run never blocks the next). A
    second xentune process writing the same output fails at once, instead of both running and
    the second replacing the first's result.

    Raises
    ------
    OutputExistsError
        Another process holds the lock.
    OutputError
        The lock file cannot be created (read-only folder, full disk, no permission).
    """
    p = Path(path)
    lock = _folder(p) / f".{p.name}.lock"
    while True:
        with _mapped(p):
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666 & ~_umask())
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise OutputExistsError(
                f"{p} is being written by another xentune process; wait for it to finish, "
                "or choose another output"
            ) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder removed the file between our open and our lock: try again
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            lock.unlink()
        os.close(fd)


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str], *, force: bool = False) -> Iterator[Path]:
    """Yield a temp path beside ``path``; on success rename it onto ``path``, on error delete it.

    The temp file lives in the same folder (same file system), so the final step is atomic:
    readers see either no file or the whole file, never a half-written one. Without ``force``
    the final step is a hard link, which fails if ``path`` appeared meanwhile (no silent
    replacement by a concurrent writer). Disk errors (full, read-only, no permission, name too
    long) become an `OutputError`; the temp file is removed in every case.

    Examples
    --------
    >>> with atomic_file("out.csv", force=True) as tmp:  # doctest: +SKIP
    ...     tmp.write_text("a,b\\n")
    """
    p = check_output_path(path, force=force)
    with _mapped(p):
        fd, tmp_name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=_folder(p))
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with _mapped(p):
            # mkstemp creates 0600; give the file the mode a plain open() would (0666 less umask).
            os.chmod(tmp, 0o666 & ~_umask())
            yield tmp
            if p.is_dir():
                raise ConfigError(f"{p} is a folder; choose a file path")
            if force:
                os.replace(tmp, p)
            else:
                _link_exclusive(tmp, p)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


def _link_exclusive(tmp: Path, p: Path) -> None:
    """Put ``tmp`` at ``p`` unless ``p`` exists, in one atomic step (a hard link)."""
    try:
        os.link(tmp, p)
    except FileExistsError:
        raise OutputExistsError(f"{p} already exists; pass --force to replace it") from None
    except OSError as e:
        if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        if p.exists():  # no hard links on this file system: check, then rename
            raise OutputExistsError(f"{p} already exists; pass --force to replace it") from None
        os.replace(tmp, p)


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

    The output is locked for the whole run (`output_lock`): a second process making the same
    folder fails at once. With ``force``, an existing folder at ``path`` is moved aside and
    removed only after the new one is in place, so a failed run (a full disk included) never
    destroys the previous output: it is put back if the final rename fails.
    """
    p = check_output_path(path, force=force)
    if p.exists() and not p.is_dir():
        raise ConfigError(f"{p} exists and is not a folder; choose a folder path")
    with output_lock(p):
        check_output_path(p, force=force)  # again, now that no other xentune can create it
        with _mapped(p):
            tmp = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".tmp", dir=_folder(p)))
        try:
            with _mapped(p):
                os.chmod(tmp, 0o777 & ~_umask())  # mkdtemp creates 0700
                yield tmp
                _swap_in(tmp, p, force=force)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(tmp: Path, p: Path, *, force: bool) -> None:
    """Rename ``tmp`` to ``p``; an existing ``p`` (with ``force``) is removed only afterwards."""
    if not p.exists():
        os.rename(tmp, p)
        return
    if not force:
        raise OutputExistsError(f"{p} already exists; pass --force to replace it")
    old = Path(tempfile.mkdtemp(prefix=f".{p.name}.", suffix=".old", dir=_folder(p)))
    os.replace(p, old / p.name)
    try:
        os.replace(tmp, p)
    except BaseException:
        os.replace(old / p.name, p)  # put the previous output back
        old.rmdir()
        raise
    shutil.rmtree(old, ignore_errors=True)
