"""The CLI starts light: ``--help`` of every command answers without importing torch."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import xentune

ROOT = Path(__file__).resolve().parents[1]

#: Every command path of the CLI (a group and its subcommands included).
COMMANDS = [
    [],
    ["generate"],
    ["train"],
    ["sample"],
    ["render"],
    ["curve"],
    ["score"],
    ["analyze"],
    ["sweep"],
    ["timbre"],
    ["timbre", "show"],
    ["timbre", "extract"],
]

# Run in a fresh interpreter: this test process has imported torch long ago.
_PROBE = """
import contextlib, io, json, sys
from xentune.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out):
    rc = main(sys.argv[1:] + ["--help"])
heavy = sorted(m for m in ("torch", "numpy", "scipy", "matplotlib", "torchaudio") if m in sys.modules)
print(json.dumps({"rc": rc, "heavy": heavy, "chars": len(out.getvalue())}))
"""


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c) or "xentune")
def test_help_imports_no_torch(command):
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *command], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["rc"] == 0
    assert result["chars"] > 100  # it printed a real help page
    assert result["heavy"] == [], f"--help imported {result['heavy']}"


def test_version_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert xentune.__version__ == project["version"]
    done = subprocess.run(
        [sys.executable, "-m", "xentune.cli", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"xentune {project['version']}"


def test_consonance_names_shown_in_help_are_the_models():
    from xentune.defaults import CONSONANCE_MODEL_NAMES
    from xentune.psychoacoustics.consonance import CONSONANCE_MODELS

    assert tuple(CONSONANCE_MODELS) == CONSONANCE_MODEL_NAMES
