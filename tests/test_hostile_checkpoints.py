"""Crafted model files: every command that loads one refuses it cleanly and never runs its code."""

from __future__ import annotations

import builtins
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch

from tests.conftest import CliResult
from tests.hostile import assert_refused, snapshot
from xentune.generator.train import TrainConfig, train


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished 2-step model file of the settings `train --train-steps 2` uses."""
    path = tmp_path_factory.mktemp("ckpt") / "model.pt"
    train(TrainConfig(train_steps=2), checkpoint_path=path, quiet=True)
    return path


def _state(checkpoint: Path) -> dict[str, Any]:
    return torch.load(checkpoint, map_location="cpu", weights_only=True)


class _WritesMarker:
    """Unpickling this calls ``open(marker, "w")``: the marker file appears if code ever runs."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return builtins.open, (str(self.marker), "w")


def _set(path: tuple[str, ...], value: object) -> Callable[[dict[str, Any]], None]:
    def mutate(state: dict[str, Any]) -> None:
        target = state
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return mutate


def _optimizer_shape(state: dict[str, Any]) -> None:
    state["optimizer"]["state"][0]["exp_avg"] = torch.zeros(3)


#: name -> (mutation of a good state, fragment of the error). Every field a checkpoint has.
CRAFTED: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "rng-short": (_set(("rng",), torch.zeros(10, dtype=torch.uint8)), "random-number state"),
    "rng-string": (_set(("rng",), "seed"), "random-number state"),
    "optimizer-groups": (_set(("optimizer", "param_groups"), "x"), "optimizer"),
    "optimizer-lr": (
        lambda s: s["optimizer"]["param_groups"][0].__setitem__("lr", "fast"),
        "optimizer settings",
    ),
    "optimizer-shape": (_optimizer_shape, "exp_avg"),
    "weight-shape": (_set(("model", "offset"), torch.zeros(7)), "offset"),
    "weight-nan": (
        lambda s: s["model"].__setitem__(
            "offset", torch.full_like(s["model"]["offset"], float("nan"))
        ),
        "NaN",
    ),
    "weight-missing": (lambda s: s["model"].pop("offset"), "weights do not match"),
    "history-string": (_set(("history",), "abc"), "history"),
    "history-values": (_set(("history", "energy"), ["x", "y"]), "history energy"),
    "step-string": (_set(("step",), "abc"), "step"),
    "step-huge": (_set(("step",), 10**400), "step"),
    "config-classes": (_set(("config", "n_classes"), 200_000), "n_classes"),
    "config-string": (_set(("config", "voices"), "4"), "voices"),
    "config-list": (_set(("config",), [1, 2]), "config"),
    "spectrum": (_set(("spectrum",), {"partials": [[1e308, "loud"]]}), "spectrum"),
}


def _commands(model: Path, out: Path) -> dict[str, list[str]]:
    return {
        "sample": ["sample", str(model), "--out", str(out), "--pieces", "1", "--refine-steps", "0"],
        "train-resume": ["train", "--out", str(model), "--train-steps", "2", "--resume", "--quiet"],
        "generate-resume": [
            "generate", "--resume", str(model), "--out", str(out), "--train-steps", "2",
            "--pieces", "1", "--quiet",
        ],
    }  # fmt: skip


def _bad_fields_for(command: str) -> list[str]:
    """``sample`` loads weights, config, step and history only; the resumers check everything."""
    if command == "sample":
        return [k for k in CRAFTED if not k.startswith(("rng", "optimizer"))]
    return list(CRAFTED)


#: ``generate --resume`` runs the same checks (`check_resumable`) as ``train --resume``; its
#: matrix is slow-marked, and its pickle and foreign-file cases below stay in the fast suite.
_MATRIX = [
    pytest.param(c, f, marks=[pytest.mark.slow] if c == "generate-resume" else [])
    for c in ("sample", "train-resume", "generate-resume")
    for f in _bad_fields_for(c)
]


@pytest.mark.parametrize(("command", "field"), _MATRIX)
def test_crafted_field_is_refused(
    cli: Callable[..., CliResult], checkpoint: Path, tmp_path: Path, command: str, field: str
) -> None:
    mutate, fragment = CRAFTED[field]
    state = _state(checkpoint)
    mutate(state)
    model = tmp_path / "model.pt"
    torch.save(state, model)
    before = snapshot(tmp_path)
    result = cli(*_commands(model, tmp_path / "run")[command])
    assert_refused(result, before, tmp_path, fragment)


@pytest.mark.parametrize("command", ["sample", "train-resume", "generate-resume"])
def test_pickle_that_runs_code_is_refused_and_never_runs(
    cli: Callable[..., CliResult], checkpoint: Path, tmp_path: Path, command: str
) -> None:
    marker = tmp_path / "pwned"
    state = _state(checkpoint)
    state["history"] = _WritesMarker(marker)
    model = tmp_path / "model.pt"
    torch.save(state, model)
    before = snapshot(tmp_path)
    result = cli(*_commands(model, tmp_path / "run")[command])
    assert_refused(result, before, tmp_path, "never code")
    assert not marker.exists()


@pytest.mark.parametrize("command", ["sample", "train-resume", "generate-resume"])
@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "not a readable"),
        (b"\x80\x04K\x01.", "xentune model"),
        (b"PK\x03\x04junk", "not a readable"),
    ],
)
def test_foreign_bytes_are_refused(
    cli: Callable[..., CliResult], tmp_path: Path, command: str, content: bytes, fragment: str
) -> None:
    model = tmp_path / "model.pt"
    model.write_bytes(content)
    before = snapshot(tmp_path)
    assert_refused(cli(*_commands(model, tmp_path / "run")[command]), before, tmp_path, fragment)


def test_good_checkpoint_still_loads(
    cli: Callable[..., CliResult], checkpoint: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model.pt"
    shutil.copyfile(checkpoint, model)
    result = cli(*_commands(model, tmp_path / "run")["sample"])
    assert result.code == 0, result.stderr
    assert (tmp_path / "run" / "score.json").is_file()
