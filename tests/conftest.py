"""Shared fixtures: the device to test on, third-party data, small scale files, and an in-process CLI runner."""

from __future__ import annotations

import importlib.util
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]
#: Third-party data the repository must not copy (the Scala archive, Surge's tuning-library test
#: files) is read from here: ``shared/reference`` beside the checkout, or $XENTUNE_REFERENCE.
REFERENCE_DIR = Path(os.environ.get("XENTUNE_REFERENCE", REPO_ROOT.parent / "shared" / "reference"))

#: The one apt line that brings every system tool the external tests use (Debian/Ubuntu).
APT_LINE = "apt-get install -y fluidsynth fluid-soundfont-gm chromium sox"

#: Small scale and mapping files the tests write themselves (well-known tunings, Scala format).
SCALE_FILES = {
    "ptolemy.scl": "! ptolemy.scl\n!\nPtolemy's Intense Diatonic Syntonon, also Zarlino's scale\n 7\n!\n"
    " 9/8\n 5/4\n 4/3\n 3/2\n 5/3\n 15/8\n 2/1\n",
    "ptolemy_iast.scl": "! ptolemy_iast.scl\n!\nPtolemy's Iastia or Lydia tuning\n 7\n!\n"
    " 28/27\n 32/27\n 4/3\n 3/2\n 8/5\n 9/5\n 2/1\n",
    # 12 keys from b (59), g# (69) = 442 Hz, degree 7 the formal octave; black keys unmapped.
    "mapping-a442-7-to-12.kbm": "! 7 degrees on the white keys, a = 442 Hz\n12\n0\n127\n59\n69\n"
    "442.0\n7\n! mapping\n0\n1\nx\n2\nx\n3\n4\nx\n5\nx\n6\nx\n",
    "ED3-17.scl": "! ED3-17.scl\n!\nED3-17 - Equal division of harmonic 3 into 17 parts\n 17\n!\n"
    + "".join(f" {1200 * math.log2(3) * k / 17:.5f}\n" for k in range(1, 17))
    + " 3/1\n",
}


def load_script(name: str) -> ModuleType:
    """``scripts/NAME.py``, imported from its path (the scripts are not a package)."""
    path = Path(__file__).resolve().parents[1] / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def require_tool(name: str) -> str:
    """The path of system tool ``name``; the test is skipped, naming the apt line, where it is absent."""
    import shutil

    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed; the external tests need: {APT_LINE}")
    return path


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
def scala_archive_dir() -> Path:
    """The Huygens-Fokker Scala scale archive (5,354 .scl files and its index); skipped where absent."""
    root = REFERENCE_DIR / "scl"
    if not (root / "archive").is_dir():
        pytest.skip(
            f"the Scala scale archive (Huygens-Fokker, version 93; not redistributed here) is not at "
            f"{root}/archive: put scales.zip's scl/ there with scala-scale-index.csv beside it, or "
            "set XENTUNE_REFERENCE"
        )
    return root


@pytest.fixture(scope="session")
def surge_tests_dir() -> Path:
    """The test data of Surge XT's tuning-library (tests/data: .scl, .kbm, .ascl); skipped where absent."""
    root = REFERENCE_DIR / "scl" / "surge-tests"
    if not root.is_dir():
        pytest.skip(
            f"Surge XT tuning-library's test files (surge-synthesizer/tuning-library, tests/data; "
            f"not redistributed here) are not at {root}: copy them there or set XENTUNE_REFERENCE"
        )
    return root


@pytest.fixture(scope="session")
def scale_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`SCALE_FILES` written to a temporary folder: name -> path."""
    folder = tmp_path_factory.mktemp("scales")
    paths = {}
    for name, text in SCALE_FILES.items():
        paths[name] = folder / name
        paths[name].write_text(text, encoding="utf-8")
    return paths


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
