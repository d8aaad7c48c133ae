"""``scripts/emergence_rates.py``: rates over seeds, with training settings changed by ``--set``."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import load_script
from xentune.generator.energy import EnergyConfig
from xentune.generator.train import TrainConfig


def _script() -> ModuleType:
    return load_script("emergence_rates")


def test_set_changes_one_setting_at_a_time() -> None:
    cfg = _script().train_config(
        "harmonic",
        4,
        ["temperature=0.15", "energy.repetition_weight=1", "max_jitter_cents=6", "generator=flow"],
    )
    want = TrainConfig(
        timbre="harmonic",
        seed=4,
        temperature=0.15,
        max_jitter_cents=6.0,
        generator="flow",
        energy=EnergyConfig(repetition_weight=1.0),
    )
    assert cfg == want
    assert _script().train_config("bell", 0, []) == TrainConfig(timbre="bell", seed=0)


@pytest.mark.parametrize(
    ("item", "fragment"),
    [
        ("warp=9", "--set warp: unknown setting"),
        ("energy.warp=9", "--set energy.warp: unknown setting"),
        ("temperature", "write NAME=VALUE"),
        ("temperature=-1", "temperature=-1"),
        ("energy.repetition_weight=-2", "weights must be >= 0"),
    ],
)
def test_a_bad_setting_is_one_line_and_exit_2(
    item: str, fragment: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _script().main(["--timbres", "harmonic", "--set", item]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0]


def test_runs_the_pipeline_with_the_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sets = ["train_steps=2", "voices=2", "steps=2", "energy.repetition_weight=0.5"]
    argv = ["--timbres", "harmonic:partials=3", "--seeds", "1", "--pieces", "1"]
    argv += ["--analysis-pieces", "3", "--refine-steps", "0", "--keep", str(tmp_path)]
    for item in sets:
        argv += ["--set", item]
    assert _script().main(argv) in (0, 1)  # 1: the criteria failed (2 training steps)
    out = capsys.readouterr().out
    assert "harmonic:partials=3 seed 1" in out
    (run,) = tmp_path.iterdir()
    saved = json.loads((run / "config.json").read_text())
    assert saved["train"]["train_steps"] == 2
    assert saved["train"]["energy"]["repetition_weight"] == 0.5
    assert json.loads((run / "controls.json").read_text())["pieces"] == 3
