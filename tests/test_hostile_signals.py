"""Ctrl-C and SIGTERM: a resumable checkpoint is kept and named, or nothing is said about resuming."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

import xentune.generator.train as train_module
from tests.conftest import REPO_ROOT, CliResult
from tests.hostile import snapshot
from xentune.errors import Interrupted
from xentune.generator.train import TrainConfig, load_trained
from xentune.pipeline import RunConfig, generate_run


def _interrupt_at(monkeypatch: pytest.MonkeyPatch, step: int) -> None:
    """Ctrl-C arrives when training reaches optimiser step ``step`` (0-based)."""
    real = train_module.temperature_at

    def hit(cfg: TrainConfig, k: int) -> float:
        if k == step:
            raise KeyboardInterrupt
        return real(cfg, k)

    monkeypatch.setattr(train_module, "temperature_at", hit)


def _assert_interrupted(result: CliResult, *fragments: str) -> None:
    assert result.code == 130, (result.code, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("xentune: interrupted: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("command", ["generate", "train"])
def test_ctrl_c_before_a_checkpoint_says_nothing_about_resuming(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    _interrupt_at(monkeypatch, 1)
    out = tmp_path / ("run" if command == "generate" else "m.pt")
    before = snapshot(tmp_path)
    result = cli(command, "--out", out, "--train-steps", "3", "--quiet", "--device", "cpu")
    _assert_interrupted(result, "before the first")
    assert "--resume" not in result.stderr + result.stdout
    assert snapshot(tmp_path) == before  # the temp folder and the lock are gone


def test_ctrl_c_in_generate_keeps_the_checkpoint_it_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = RunConfig(
        train=TrainConfig(
            voices=2, steps=2, train_steps=3, batch_size=8, checkpoint_every=1, hidden=8
        ),
        pieces=1,
        refine_steps=0,
        device="cpu",
    )
    _interrupt_at(monkeypatch, 2)
    with pytest.raises(Interrupted, match="--resume") as e:
        generate_run(config, tmp_path / "run")
    kept = tmp_path / "run.interrupted.pt"
    assert str(kept) in str(e.value)
    assert load_trained(kept).step == 2  # resumable: the named file exists and loads
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.interrupted.pt"]


def test_ctrl_c_in_train_after_a_checkpoint_names_it(
    cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_init = TrainConfig.__init__

    def every_step(self: TrainConfig, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("checkpoint_every", 1)
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(TrainConfig, "__init__", every_step)
    _interrupt_at(monkeypatch, 2)
    out = tmp_path / "m.pt"
    result = cli("train", "--out", out, "--train-steps", "3", "--quiet", "--device", "cpu")
    _assert_interrupted(result, f"--resume --out {out}")
    assert load_trained(out).step == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]


@pytest.mark.slow  # a subprocess imports torch and trains for a few seconds
def test_sigterm_to_a_training_process(tmp_path: Path) -> None:
    out = tmp_path / "m.pt"
    cmd = [sys.executable, "-m", "xentune.cli", "train", "--out", str(out), "--train-steps", "100000", "--quiet", "--device", "cpu"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
    deadline = time.monotonic() + 120
    while not out.exists() and time.monotonic() < deadline:  # the first checkpoint (step 50)
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("xentune: interrupted: "), err
    assert f"--resume --out {out}" in lines[0]
    assert load_trained(out).step >= 50
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
