"""Shared fixtures: the device to test on, the reference data folder, and an in-process CLI runner."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
REFERENCE_DIR = Path(os.environ.get("XENTUNE_REFERENCE", REPO_ROOT.parent / "shared" / "reference"))


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--device", default="cpu", help="device for the kernel tests: cpu or cuda")


@pytest.fixture
def device(request: pytest.FixtureRequest) -> torch.device:
    """The device every kernel test runs on (``--device cuda`` on a GPU machine)."""
    name = request.config.getoption("--device")
    if name.startswith("cuda") and not torch.cuda.is_available():
        pytest.skip("--device cuda asked for, but no CUDA device is available")
    return torch.device(name)


@pytest.fixture
def cuda_device() -> torch.device:
    """A CUDA device; the test is skipped where none is present."""
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here (runs on a GPU machine)")
    return torch.device("cuda")


@pytest.fixture(scope="session")
def reference_dir() -> Path:
    """``shared/reference`` beside the checkout (or $XENTUNE_REFERENCE)."""
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference data not found at {REFERENCE_DIR} (set XENTUNE_REFERENCE)")
    return REFERENCE_DIR


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run ``xentune ARGS`` in-process; returns exit code, stdout and stderr."""
    from xentune.cli import main

    def run(*args: str | os.PathLike[str]) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return run


def assert_one_line_error(result: CliResult, *fragments: str) -> None:
    """Exit code 2, a single ``xentune: error:`` line on stderr mentioning every fragment."""
    assert result.code == 2, (result.code, result.stdout, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("xentune: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment.lower() in lines[0].lower(), (fragment, lines[0])
