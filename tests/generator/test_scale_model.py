"""The scale generator: shapes, its log-density, seeding, and the score-function term."""

from __future__ import annotations

import math

import pytest
import torch

from xentune.errors import ConfigError
from xentune.generator.scale_model import ScaleConfig, ScalePieceModel


def test_shapes_ranges_and_seeding() -> None:
    cfg = ScaleConfig(voices=3, steps=5)
    model = ScalePieceModel(cfg)
    x, log_q, log_p = model.sample_with_score(64, generator=torch.Generator().manual_seed(0))
    assert x.shape == (64, 3, 5) and log_q.shape == (64,) and log_p.shape == (64,)
    assert bool(torch.isfinite(x).all() and torch.isfinite(log_q).all())
    # Every note is the root + a class + registers, within a few jitters of the supports.
    top = cfg.root_high_cents + cfg.n_periods * cfg.period_high_cents
    assert float(x.min()) > cfg.root_low_cents - 10 * cfg.max_jitter_cents
    assert float(x.max()) < top + 10 * cfg.max_jitter_cents
    # Untrained choices are uniform: log-probability of V*T degrees and V registers.
    expected = -3 * 5 * math.log(cfg.n_classes) - 3 * math.log(cfg.n_periods)
    assert torch.allclose(log_p, torch.full_like(log_p, expected))
    again, _ = model.sample(64, generator=torch.Generator().manual_seed(0))
    assert torch.equal(x, again)


def test_gradients_reach_every_parameter() -> None:
    model = ScalePieceModel(ScaleConfig(voices=2, steps=3))
    x, log_q, log_p = model.sample_with_score(32, generator=torch.Generator().manual_seed(1))
    (x.square().mean() * 1e-6 + log_q.mean() + log_p.mean()).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None and bool(torch.isfinite(p.grad).all()), name
        assert float(p.grad.abs().sum()) > 0, name


def test_jitter_and_spread_are_bounded() -> None:
    cfg = ScaleConfig()
    model = ScalePieceModel(cfg)
    with torch.no_grad():
        model.jitter_logit.fill_(50.0)
    assert float(model.jitter_cents()) == pytest.approx(cfg.max_jitter_cents)


def test_bad_config() -> None:
    with pytest.raises(ConfigError, match="period range"):
        ScaleConfig(period_low_cents=1500.0, period_high_cents=1000.0)
    with pytest.raises(ConfigError, match="n_classes"):
        ScaleConfig(n_classes=0)
