"""The ``xentune`` command line: every command, and the one place where errors become exit code 2."""

from __future__ import annotations

import errno
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from typer.exceptions import Abort, Exit, TyperException

from xentune import __version__
from xentune.commands.analyze import analyze_command
from xentune.commands.curve import curve_command
from xentune.commands.export import export_command
from xentune.commands.generate import generate_command
from xentune.commands.render import render_command
from xentune.commands.sample import sample_command
from xentune.commands.score import score_command
from xentune.commands.sweep import sweep_command
from xentune.commands.timbre import timbre_app
from xentune.commands.train import train_command
from xentune.errors import Interrupted, XentuneError

__all__ = ["app", "main"]

app = typer.Typer(
    name="xentune",
    help="Tunings that emerge from timbre: psychoacoustic models, a generator trained ex nihilo, "
    "additive synthesis and microtonal exports.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"xentune {__version__}")
        raise Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", help="Print the version and exit", callback=_print_version, is_eager=True
        ),
    ] = False,
) -> None:
    """Tunings that emerge from timbre: psychoacoustic models, a generator trained ex nihilo,
    additive synthesis and microtonal exports.
    """


# Each command lives in xentune/commands/<name>.py and is registered here, one line each.
app.add_typer(timbre_app, name="timbre")
app.command("curve")(curve_command)
app.command("render")(render_command)
app.command("score")(score_command)
app.command("train")(train_command)
app.command("sample")(sample_command)
app.command("generate")(generate_command)
app.command("analyze")(analyze_command)
app.command("export")(export_command)
app.command("sweep")(sweep_command)


#: OS errors that a path given by the user causes (too long, a symlink loop, a full or
#: read-only disk): one line and exit 2, wherever they surface.
_PATH_ERRNOS = frozenset(
    {errno.ENAMETOOLONG, errno.ELOOP, errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EACCES}
)


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


@contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM acts as Ctrl-C while a command runs: temp files go, checkpoints are kept."""
    try:
        previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; bad input becomes one ``xentune: error: ...`` line on stderr and exit code 2.

    Unexpected exceptions keep their traceback: they are bugs to fix, not user errors.
    """
    try:
        with _sigterm_interrupts():
            result = app(args=argv, prog_name="xentune", standalone_mode=False)
    except Interrupted as e:
        print(f"xentune: interrupted: {_one_line(str(e))}", file=sys.stderr)
        return _exit(130)
    except XentuneError as e:
        print(f"xentune: error: {_one_line(str(e))}", file=sys.stderr)
        return _exit(2)
    except TyperException as e:  # usage errors: bad option, bad value, missing argument
        print(f"xentune: error: {_one_line(e.format_message())}", file=sys.stderr)
        return _exit(2)
    except Exit as e:
        return _exit(e.exit_code)
    except Abort:
        print("xentune: aborted", file=sys.stderr)
        return _exit(130)
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError, PermissionError) as e:
        print(f"xentune: error: {_one_line(str(e))}", file=sys.stderr)
        return _exit(2)
    except OSError as e:
        if e.errno not in _PATH_ERRNOS:  # anything else is a bug: keep its traceback
            raise
        name = str(e.filename) if e.filename is not None else ""
        shown = name if len(name) <= 80 else f"{name[:40]}...{name[-20:]} ({len(name)} characters)"
        print(f"xentune: error: {shown}: {e.strerror}; check the path", file=sys.stderr)
        return _exit(2)
    code = result if isinstance(result, int) else 0
    return _exit(code)


def _exit(code: int) -> int:
    # The console-script wrapper calls sys.exit(main()); tests call main([...]) and read the code.
    return code


if __name__ == "__main__":
    sys.exit(main())
