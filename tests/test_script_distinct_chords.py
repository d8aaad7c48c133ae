"""``scripts/distinct_chords.py``: the README's no-collapse figure, from a run's model file."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import numpy as np
import pytest

from tests.conftest import load_script
from xentune.generator.sample import sample_pieces
from xentune.generator.train import TrainConfig, load_trained, train


def _script() -> ModuleType:
    return load_script("distinct_chords")


def _distinct_slow(x: np.ndarray, tol: float = 15.0) -> float:
    """The obvious count: walk the chords, keep one unless a kept chord matches it voice by voice."""
    chords = [sorted(x[s, :, t]) for s in range(x.shape[0]) for t in range(x.shape[2])]
    kept: list[list[float]] = []
    for c in chords:
        if not any(all(abs(a - b) <= tol for a, b in zip(c, k, strict=True)) for k in kept):
            kept.append(c)
    return len(kept) / len(chords)


def test_prints_the_share_of_distinct_chords(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = TrainConfig(
        timbre="harmonic:partials=4", voices=3, steps=4, train_steps=5, batch_size=16, seed=7
    )
    model = tmp_path / "model.pt"
    train(cfg, quiet=True, checkpoint_path=model)
    assert _script().main([str(tmp_path), "--pieces", "12"]) == 0
    line = capsys.readouterr().out.strip()
    share = float(line.split("\t")[-1])
    x = sample_pieces(load_trained(model).model, n_pieces=12, seed=7).detach().numpy()
    assert share == pytest.approx(_distinct_slow(x), abs=5e-4)
    assert "seed 7" in line
    assert _script().main([str(model), "--pieces", "12", "--tolerance", "40"]) == 0
    strict = float(capsys.readouterr().out.strip().split("\t")[-1])
    assert strict == pytest.approx(_distinct_slow(x, 40.0), abs=5e-4)


def test_a_folder_without_a_model_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _script().main([str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "model.pt" in err[0]
    assert _script().main([str(tmp_path), "--pieces", "0"]) == 2
    capsys.readouterr()
    assert _script().main([str(tmp_path), "--tolerance", "nan"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--tolerance nan" in err[0]
