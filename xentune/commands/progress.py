"""Rich progress bars for long work, silenced by ``--quiet`` (the commands' `ProgressFactory`)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from xentune.progress import ProgressFactory, silent_progress

__all__ = ["progress_bar", "progress_bars"]


class _Bar:
    """A handle on one task of a rich ``Progress`` (or a no-op when quiet)."""

    def __init__(self, progress: Progress | None, task_id: int | None) -> None:
        self._progress = progress
        self._task_id = task_id

    def advance(self, steps: float = 1.0, **fields: object) -> None:
        """Advance by ``steps`` and update the extra text fields (e.g. ``info="E=1.2"``)."""
        if self._progress is not None and self._task_id is not None:
            self._progress.update(self._task_id, advance=steps, **fields)


@contextlib.contextmanager
def progress_bar(total: float, description: str, *, quiet: bool = False) -> Iterator[_Bar]:
    """A progress bar on stderr with a ``{task.fields[info]}`` column for live numbers.

    Parameters
    ----------
    total : float
        Number of steps.
    description : str
        Label shown left of the bar.
    quiet : bool
        Show nothing.
    """
    if quiet:
        yield _Bar(None, None)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[info]}"),
        console=Console(stderr=True),
        transient=False,
    )
    with progress:
        task_id = progress.add_task(description, total=total, info="")
        yield _Bar(progress, task_id)


def progress_bars(*, quiet: bool = False) -> ProgressFactory:
    """The `ProgressFactory` the commands pass down: rich bars on stderr, none when ``quiet``."""
    return silent_progress if quiet else partial(progress_bar, quiet=False)
