"""Composition: pieces of any length from the chord generator and the time model, on the scale."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xentune.errors import ConfigError
from xentune.generator.energy import Energy
from xentune.generator.train import untrained_model
from xentune.generator.train_config import TrainConfig
from xentune.pipeline.music import TimeConfig, TimeModel
from xentune.pipeline.pieces import compose_pieces, snap_to_scale
from xentune.timbre import parse_timbre
from xentune.tuning.scale import Scale

EDO12 = Scale.from_cents([100.0 * k for k in range(1, 13)])


def test_snap_to_scale() -> None:
    x = torch.tensor([1234.5, -50.1, -49.9, 0.0, 2450.0])
    assert snap_to_scale(x, EDO12).tolist() == [1200.0, -100.0, 0.0, 0.0, 2400.0]
    just = Scale.from_cents([386.3137, 701.955, 1200.0])
    assert snap_to_scale(torch.tensor([690.0, 1590.0]), just).tolist() == pytest.approx(
        [701.955, 1586.3137]
    )


def _compose(length_s: float, **kw: object) -> list:
    config = TrainConfig(voices=3, steps=8, train_steps=1, hidden=16, seed=0)
    spectrum = parse_timbre("harmonic")
    model = untrained_model(config, spectrum=spectrum)
    energy = Energy(spectrum, config.energy, reference_hz=config.reference_hz)
    torch.manual_seed(0)
    time_model = TimeModel(TimeConfig(voices=3)).eval()
    args = {
        "energy": energy,
        "n_pieces": 2,
        "length_s": length_s,
        "seed": 5,
        "scale": EDO12,
        "scale_mode": "fixed",
        "refine_steps": 0,
        "spectrum": spectrum,
        "timbre": "harmonic",
        "reference_hz": config.reference_hz,
        "r0": 1.0,
    }
    args.update(kw)
    return compose_pieces(model, time_model, **args)  # type: ignore[arg-type]


def test_pieces_reach_their_length_on_the_scale_deterministically() -> None:
    a = _compose(10.0)
    b = _compose(10.0)
    assert a == b  # same seed, same pieces
    for s in a:
        assert s.end_s >= 10.0
        sounding = s.amplitude > 0
        on_grid = np.abs(s.cents[sounding] - np.round(s.cents[sounding] / 100) * 100)
        assert on_grid.max() < 1e-3  # fixed: on 12-EDO
        assert s.tempo_bpm is not None and 20 < s.tempo_bpm < 400
    longer = _compose(20.0)
    assert all(s.end_s >= 20.0 for s in longer)
    # Piece 1 starts the same whatever the number of pieces (its own seed).
    one = _compose(10.0, n_pieces=1)
    assert one[0] == a[0]
    adaptive = _compose(10.0, scale_mode="adaptive")
    off = [np.abs(s.cents - np.round(s.cents / 100) * 100).max() for s in adaptive]
    assert max(off) > 1.0  # free pitch


def test_bad_settings() -> None:
    with pytest.raises(ConfigError, match="--scale"):
        _compose(10.0, scale_mode="loose")
    with pytest.raises(ConfigError, match="--length"):
        _compose(0.5)
    with pytest.raises(ConfigError, match="--length"):
        _compose(float("nan"))
