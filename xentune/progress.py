"""Progress reporting without a UI: the `Bar` protocol, `ProgressFactory` and a silent default.

Library code below the commands shows no progress itself (it imports neither rich nor typer);
it takes a `ProgressFactory` and opens one bar per stage. The commands pass
`xentune.commands.progress.progress_bars`, which draws rich bars on stderr unless ``--quiet``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import Protocol

__all__ = ["Bar", "ProgressFactory", "silent_progress"]


class Bar(Protocol):
    """One progress bar: ``advance(steps, info="...")`` moves it on and updates its text."""

    def advance(self, steps: float = 1.0, **fields: object) -> None:
        """Advance by ``steps`` and update the extra text fields (e.g. ``info="E=1.2"``)."""


#: ``factory(total, description)`` opens a bar of ``total`` steps labelled ``description``.
ProgressFactory = Callable[[float, str], AbstractContextManager[Bar]]


class _SilentBar:
    """A bar that shows nothing."""

    def advance(self, steps: float = 1.0, **fields: object) -> None:
        """Do nothing."""


@contextlib.contextmanager
def silent_progress(total: float, description: str) -> Iterator[Bar]:
    """A `ProgressFactory` that shows nothing (the library's default)."""
    yield _SilentBar()
