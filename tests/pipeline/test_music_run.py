"""Issue 14's must-shows on a default run (slow: a full default ``generate``, about 40 s)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from xentune.generator.train import TrainConfig
from xentune.pipeline import RunConfig, generate_run
from xentune.score import load_scores


@pytest.mark.slow
def test_default_run_is_music(tmp_path: Path) -> None:
    result = generate_run(RunConfig(train=TrainConfig(), device="cpu"), tmp_path / "run")
    music = result.analysis.music
    assert music is not None and music.scale_mode == "fixed"
    for piece in music.pieces:
        assert piece.duration_s >= 30.0
        assert piece.distinct_durations >= 3 and piece.distinct_amplitudes >= 3
        assert piece.all_voices_onset_fraction < 1.0
    # rhythm emerges: peaked near small-integer ratios, beyond shuffled onsets
    assert music.near_integer_fraction > music.control_near_integer_fraction + 0.3
    assert music.ratio_peakedness_nats > music.control_peakedness_nats + 0.5
    assert music.on_scale_fraction >= 0.95
    rows = {(r.source, r.stage): r for r in result.controls}
    assert rows[("trained", "raw")].passed
    # the tuning analysis still reads the block chords
    chords = load_scores(result.path / "score-chords.json")
    assert all(c.cents.shape == (4, 8) for c in chords)
    report = json.loads((result.path / "report.json").read_text())
    assert report["music"]["n_ratios"] == music.n_ratios
