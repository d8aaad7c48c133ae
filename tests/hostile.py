"""Helpers of the hostile-input tests: what a folder holds, and the check that a refusal left it so."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.conftest import CliResult, assert_one_line_error

__all__ = ["COVERED_HERE", "assert_refused", "cli_commands", "refusal_test", "snapshot"]

#: Commands whose hostile cases live elsewhere (``sweep``: tests/sweep/test_runner.py).
_COVERED_ELSEWHERE = {"sweep"}


def cli_commands() -> set[str]:
    """Every top-level command the CLI registers (a new command must join the hostile tests)."""
    from xentune.cli import app

    return {c.name for c in app.registered_commands} | {g.name for g in app.registered_groups}


#: The commands each hostile test module must cover.
COVERED_HERE = cli_commands() - _COVERED_ELSEWHERE


def snapshot(folder: Path) -> dict[str, str]:
    """Every entry under ``folder`` (hidden and temp files included): relative path -> content hash.

    Folders map to ``"dir"``, FIFOs and other special files to ``"special"`` (never opened).
    """
    entries: dict[str, str] = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            entries[rel] = "link"
        elif p.is_dir():
            entries[rel] = "dir"
        elif p.is_file():
            entries[rel] = hashlib.sha256(p.read_bytes()).hexdigest()
        else:
            entries[rel] = "special"
    return entries


def assert_refused(
    result: CliResult, before: dict[str, str], folder: Path, *fragments: str
) -> None:
    """Exit 2, one ``xentune: error:`` line naming every fragment, no traceback, ``folder`` unchanged."""
    assert_one_line_error(result, *fragments)
    after = snapshot(folder)
    assert after == before, {
        "new": sorted(set(after) - set(before)),
        "gone": sorted(set(before) - set(after)),
        "changed": sorted(k for k in before if k in after and before[k] != after[k]),
    }


def refusal_test(
    cases: Sequence[tuple[list[str], str]], *, id_width: int = 50
) -> Callable[..., None]:
    """A test, parametrized over ``cases`` of ``(args, fragment)``, that each command is refused.

    Run in the module's ``inputs`` folder (its fixture): exit 2 with one error line naming
    ``fragment``, and nothing in the folder written, changed or removed. Assign it to a
    ``test_*`` name in the module that defines ``inputs``.
    """

    @pytest.mark.parametrize(
        ("args", "fragment"), cases, ids=[" ".join(a)[:id_width] for a, _ in cases]
    )
    def test(
        cli: Callable[..., CliResult],
        inputs: Path,
        monkeypatch: pytest.MonkeyPatch,
        args: list[str],
        fragment: str,
    ) -> None:
        monkeypatch.chdir(inputs)
        before = snapshot(inputs)
        assert_refused(cli(*args), before, inputs, fragment)

    return test
