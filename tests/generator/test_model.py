"""Tests of the generator flow: the spline against closed forms, exact densities, autoregressive structure."""

from __future__ import annotations

import math

import pytest
import torch

from xentune.errors import ConfigError
from xentune.generator.model import FlowConfig, PieceFlow, rational_quadratic_spline


def _random_params(shape: tuple[int, ...], n_bins: int, seed: int) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(*shape, n_bins, generator=g, dtype=torch.float64)
    h = torch.randn(*shape, n_bins, generator=g, dtype=torch.float64)
    d = torch.randn(*shape, n_bins + 1, generator=g, dtype=torch.float64)
    return w, h, d


def test_spline_zero_parameters_is_identity() -> None:
    x = torch.linspace(0, 1, 101, dtype=torch.float64)
    zeros = torch.zeros(101, 8, dtype=torch.float64)
    y, logd = rational_quadratic_spline(x, zeros, zeros, torch.zeros(101, 9, dtype=torch.float64))
    assert torch.allclose(y, x, atol=1e-12)
    assert torch.allclose(logd, torch.zeros_like(logd), atol=1e-12)


def test_spline_is_monotone_onto_unit_interval_and_log_derivative_is_exact() -> None:
    x = torch.linspace(0, 1, 20001, dtype=torch.float64)
    w, h, d = (p.expand(20001, -1) for p in _random_params((1,), 12, seed=3))
    y, logd = rational_quadratic_spline(x, w, h, d)
    assert float(y[0]) == pytest.approx(0.0, abs=1e-12) and float(y[-1]) == pytest.approx(
        1.0, abs=1e-12
    )
    assert bool((y[1:] > y[:-1]).all())
    numeric = (y[2:] - y[:-2]) / (x[2:] - x[:-2])  # central differences (coarse in narrow bins)
    assert torch.allclose(torch.exp(logd[1:-1]), numeric, rtol=2e-2)
    xg = x.clone().requires_grad_(True)
    (dy,) = torch.autograd.grad(rational_quadratic_spline(xg, w, h, d)[0].sum(), xg)
    assert torch.allclose(
        torch.exp(logd[1:-1]), dy[1:-1], rtol=1e-9
    )  # the closed form is y's derivative
    # The density of y = spline(u), u uniform, integrates to 1: integral of dy = 1.
    assert float(torch.trapezoid(torch.exp(logd), x)) == pytest.approx(1.0, rel=1e-6)


def test_spline_passes_through_its_knots() -> None:
    """At the knots the spline takes the cumulative heights (Durkan et al. 2019, eq. 4 at xi = 0)."""
    w, h, d = _random_params((), 5, seed=1)
    from xentune.generator.model import MIN_BIN

    wn = MIN_BIN + (1 - 5 * MIN_BIN) * torch.softmax(w, -1)
    hn = MIN_BIN + (1 - 5 * MIN_BIN) * torch.softmax(h, -1)
    xk = torch.cumsum(wn, -1)[:-1]
    yk = torch.cumsum(hn, -1)[:-1]
    y, _ = rational_quadratic_spline(xk, w.expand(4, -1), h.expand(4, -1), d.expand(4, -1))
    assert torch.allclose(y, yk, atol=1e-12)


def test_spline_gradcheck() -> None:
    x = torch.tensor([0.1, 0.35, 0.8], dtype=torch.float64, requires_grad=True)
    w, h, d = (p.requires_grad_(True) for p in _random_params((3,), 4, seed=2))
    assert torch.autograd.gradcheck(lambda *a: rational_quadratic_spline(*a), (x, w, h, d))


def _trained_like(cfg: FlowConfig, seed: int = 0) -> PieceFlow:
    """A flow with random (non-identity) weights everywhere, in float64."""
    torch.manual_seed(seed)
    flow = PieceFlow(cfg).double()
    with torch.no_grad():
        for layer in flow.layers:
            layer.out.weight.normal_(0, 0.3)
            layer.out.bias.normal_(0, 0.3)
    return flow


def test_untrained_flow_is_uniform_over_the_pitch_box() -> None:
    cfg = FlowConfig(voices=3, steps=2, bass_low_cents=-600, bass_high_cents=600, gap_max_cents=900)
    flow = PieceFlow(cfg)
    with torch.no_grad():
        cents, log_q = flow.sample(4000, generator=torch.Generator().manual_seed(0))
    bass, gaps = cents[:, 0], cents[:, 1:] - cents[:, :-1]
    assert float(bass.min()) >= -600 and float(bass.max()) <= 600
    assert float(gaps.min()) >= 0 and float(gaps.max()) <= 900
    assert float(bass.mean()) == pytest.approx(0.0, abs=20)
    assert float(gaps.mean()) == pytest.approx(450.0, abs=20)
    # Uniform density on a box of volume 1200^2 * 900^4: log q = -log volume everywhere.
    want = -(2 * math.log(1200) + 4 * math.log(900))
    assert torch.allclose(log_q, torch.full_like(log_q, want), atol=1e-3)


def test_log_density_matches_the_jacobian_of_the_map() -> None:
    """log q from the flow equals log N(z) - log|det dx/dz| with the Jacobian from autograd."""
    cfg = FlowConfig(voices=2, steps=2, n_bins=6, hidden=16, n_layers=2)
    flow = _trained_like(cfg)
    z = torch.randn(3, cfg.dim, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    _, log_q = flow(z)
    for b in range(3):
        jac = torch.autograd.functional.jacobian(
            lambda v: flow(v.unsqueeze(0))[0].flatten(), z[b]
        )  # (D, D)
        log_normal = -0.5 * float(z[b].square().sum()) - 0.5 * cfg.dim * math.log(2 * math.pi)
        want = log_normal - float(torch.linalg.slogdet(jac)[1])
        assert float(log_q[b].detach()) == pytest.approx(want, abs=1e-6)


def test_flow_is_autoregressive_chord_by_chord() -> None:
    """The first layer's Jacobian is triangular in the chord-by-chord order (MADE masks)."""
    cfg = FlowConfig(voices=3, steps=2, n_bins=6, hidden=32, n_layers=1)
    flow = _trained_like(cfg)
    layer = flow.layers[0]
    u = torch.rand(cfg.dim, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda v: layer(v.unsqueeze(0))[0][0], u)  # (D, D)
    order = torch.arange(cfg.dim).view(cfg.voices, cfg.steps).T.flatten()
    permuted = jac[order][:, order]
    assert torch.allclose(permuted.triu(1), torch.zeros_like(permuted))
    assert bool((permuted.diagonal() > 0).all())
    assert float(permuted.tril(-1).abs().sum()) > 0  # and it does use the earlier variables


def test_flow_density_integrates_to_one() -> None:
    """One voice, one step: q is a 1-D density on the bass range; its integral is 1."""
    cfg = FlowConfig(voices=1, steps=1, bass_low_cents=0, bass_high_cents=1200, n_bins=8, hidden=4)
    flow = _trained_like(cfg, seed=4)
    z = torch.linspace(-9, 9, 200001, dtype=torch.float64).unsqueeze(-1)
    cents, log_q = flow(z)
    x = cents.flatten()
    assert float(torch.trapezoid(torch.exp(log_q), x)) == pytest.approx(1.0, abs=1e-4)


def test_sample_is_seeded() -> None:
    flow = PieceFlow(FlowConfig(voices=2, steps=3))
    a, _ = flow.sample(5, generator=torch.Generator().manual_seed(7))
    b, _ = flow.sample(5, generator=torch.Generator().manual_seed(7))
    c, _ = flow.sample(5, generator=torch.Generator().manual_seed(8))
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.shape == (5, 2, 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"voices": 0}, "voices=0: must be an integer >= 1"),
        ({"steps": -1}, "steps=-1"),
        ({"bass_low_cents": 100.0, "bass_high_cents": 0.0}, "bass range 100.0..0.0"),
        ({"gap_max_cents": float("nan")}, "gap_max_cents=nan"),
    ],
)
def test_config_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        FlowConfig(**kwargs)  # type: ignore[arg-type]
