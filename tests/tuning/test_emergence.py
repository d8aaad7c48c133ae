"""Tests of the emergent interval system: synthetic pieces with known intervals, periods and noise."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.errors import ConfigError
from xentune.timbre import parse_timbre
from xentune.tuning.emergence import (
    EmergentScale,
    circular_density,
    emergent_edos,
    emergent_scale,
    interval_pool,
    peakedness,
)
from xentune.tuning.period import find_period, period_self_similarity

JUST = [Fraction(6, 5), Fraction(5, 4), Fraction(4, 3), Fraction(3, 2), Fraction(5, 3)]
JUST_CENTS = np.array([1200 * math.log2(r) for r in JUST])


def _dyads(
    intervals_cents: np.ndarray,
    *,
    n: int,
    noise_cents: float,
    seed: int,
    period_cents: float | None = None,
) -> np.ndarray:
    """Two-voice pieces (S, 2, T): a random bass and, above it, one of the intervals plus noise.

    With ``period_cents``, each interval is also played 0, 1 or 2 periods wider (compound
    intervals: the evidence of a period in the data).
    """
    rng = np.random.default_rng(seed)
    s, t = n, 16
    bass = rng.uniform(-1200, 0, size=(s, t))
    pick = rng.integers(0, len(intervals_cents), size=(s, t))
    upper = bass + intervals_cents[pick] + rng.normal(0, noise_cents, size=(s, t))
    if period_cents is not None:
        upper += period_cents * rng.integers(0, 3, size=(s, t))
    return np.stack([bass, upper], axis=1)  # (S, 2, T)


def test_just_intervals_found_within_a_cent() -> None:
    # Dyads at the five just intervals and the octave, 3 cents of noise: each peak within 1 cent.
    data = _dyads(np.append(JUST_CENTS, 1200.0), n=64, noise_cents=3.0, seed=1, period_cents=1200)
    scale = emergent_scale(data, spectrum=parse_timbre("harmonic"), include_successive=False)
    assert scale.period_source == "data"
    assert abs(scale.period_cents - 1200.0) < 1.0
    assert len(scale.steps_cents) == len(JUST)
    np.testing.assert_allclose(scale.steps_cents, JUST_CENTS, atol=1.0)
    assert all(s > 2 for s in scale.strengths)  # several times a flat density
    assert scale.n_intervals == 64 * 16


def test_stretched_period_and_steps_found() -> None:
    # The same dyads stretched by log2(2.1): the pseudo-octave 1284.47 cents is found in the data.
    stretch = math.log2(2.1)
    data = _dyads(
        np.append(JUST_CENTS, 1200.0) * stretch,
        n=64,
        noise_cents=3.0,
        seed=2,
        period_cents=1200 * stretch,
    )
    scale = emergent_scale(
        data, spectrum=parse_timbre("stretched:octave=2.1"), include_successive=False
    )
    assert scale.period_source == "data"
    assert abs(scale.period_cents - 1200 * stretch) < 1.0
    np.testing.assert_allclose(scale.steps_cents, JUST_CENTS * stretch, atol=1.0)
    assert all(abs(s - 701.955) > 10 for s in scale.steps_cents)


def test_period_found_in_data_away_from_guide() -> None:
    # Octaves played 6 cents wide: the data, not the timbre, decides the period.
    data = _dyads(np.array([386.3, 702.0]), n=32, noise_cents=2.0, seed=3, period_cents=1206.0)
    scale = emergent_scale(data, spectrum=parse_timbre("harmonic"), include_successive=False)
    assert scale.period_source == "data"
    assert abs(scale.period_cents - 1206.0) < 1.0
    found = find_period(data[:, 1] - data[:, 0])
    assert found is not None
    assert found[0] == pytest.approx(1206.0, abs=1.0)
    assert found[1] > 0.5


@pytest.mark.parametrize("period", [1040.0, 1200.0, 1284.47, 1400.0])
def test_period_from_data_ignores_the_declared_pseudo_octave(period: float) -> None:
    # A known period anywhere in 1000-1450 cents is found whatever the timbre declares (2.1 here).
    steps = np.array([0.27, 0.44, 0.61, 0.83]) * period
    data = _dyads(steps, n=48, noise_cents=3.0, seed=11, period_cents=period)
    scale = emergent_scale(
        data, spectrum=parse_timbre("stretched:octave=2.1"), include_successive=False
    )
    assert scale.period_source == "data"
    assert scale.period_cents == pytest.approx(period, abs=1.5)
    assert scale.period_similarity is not None and scale.period_similarity > 0.35


def test_self_similarity_peaks_at_the_period() -> None:
    data = _dyads(JUST_CENTS, n=48, noise_cents=2.0, seed=12, period_cents=1200.0)
    lags, sim = period_self_similarity(data[:, 1] - data[:, 0])
    assert lags[0] == 1000.0 and lags[-1] == 1450.0
    assert lags[int(np.nanargmax(sim))] == pytest.approx(1200.0, abs=1.0)
    # Far from the period the density does not match its shifted copy.
    assert np.nanmax(sim[np.abs(lags - 1200.0) > 30]) < 0.5 * np.nanmax(sim)


def test_uniform_intervals_show_no_period() -> None:
    for seed in range(5):
        x = np.sort(np.random.default_rng(seed).uniform(-1500, 2100, size=(16, 4, 8)), axis=1)
        assert find_period(interval_pool(x)) is None


def test_no_compound_intervals_no_period() -> None:
    # Every interval inside one octave: a period cannot be read from such data.
    data = _dyads(np.append(JUST_CENTS, 1200.0), n=64, noise_cents=3.0, seed=1)
    assert find_period(data[:, 1] - data[:, 0]) is None


def test_no_wide_intervals_falls_back_to_the_timbre() -> None:
    data = _dyads(np.array([386.3, 702.0]), n=16, noise_cents=2.0, seed=5)
    scale = emergent_scale(
        data, spectrum=parse_timbre("stretched:octave=2.1"), include_successive=False
    )
    assert scale.period_source == "timbre"
    assert scale.period_cents == pytest.approx(1200 * math.log2(2.1))
    default = emergent_scale(data, include_successive=False)
    assert (default.period_source, default.period_cents) == ("default", 1200.0)


def test_uniform_intervals_give_no_steps() -> None:
    # Pitches spread over ten octaves: intervals uniform modulo the octave.
    for seed in range(3):
        data = np.random.default_rng(seed).uniform(-6000, 6000, size=(64, 4, 16))
        scale = emergent_scale(data, period_cents=1200.0)
        assert len(scale.steps_cents) <= 1, scale.steps_cents
        assert scale.peakedness < 0.02


def test_peakedness_falls_as_the_noise_grows() -> None:
    values = [
        emergent_scale(
            _dyads(JUST_CENTS, n=64, noise_cents=noise, seed=6),
            period_cents=1200.0,
            include_successive=False,
        ).peakedness
        for noise in (2.0, 20.0, 200.0)
    ]
    assert values[0] > values[1] > values[2] > 0
    assert values[0] > 1.0
    # All intervals identical: the divergence of a single Gaussian of width h from flat.
    one = emergent_scale(np.array([[[0.0] * 8, [500.0] * 8]]), period_cents=1200.0)
    expected = math.log(1200 / (math.sqrt(2 * math.pi * math.e) * 5.0))
    assert one.peakedness == pytest.approx(expected, rel=1e-3)
    assert peakedness(np.full(100, 1 / 1200), period_cents=1200.0) == pytest.approx(0.0, abs=1e-12)


def test_circular_density_matches_a_direct_sum() -> None:
    # Slow obvious reference: a sum of Gaussians and their images one period either side.
    rng = np.random.default_rng(7)
    values = np.concatenate([rng.normal(3.0, 4.0, 50), rng.uniform(0, 1000, 50), [999.0, 0.5]])
    period, h = 1000.0, 6.0
    grid, dens = circular_density(
        values, period_cents=period, bandwidth_cents=h, grid_step_cents=0.5
    )
    reduced = np.mod(values, period)
    ref = np.zeros_like(grid)
    for k in (-1, 0, 1):
        z = (grid[:, None] - reduced[None, :] - k * period) / h
        ref += np.exp(-0.5 * z * z).sum(axis=1)
    ref /= values.size * h * math.sqrt(2 * math.pi)
    np.testing.assert_allclose(dens, ref, atol=2e-3 * ref.max())
    assert dens.sum() * period / grid.size == pytest.approx(1.0)
    # The cluster straddling 0 wraps: high at both ends of the grid.
    assert dens[0] > 5 / period and dens[-1] > 5 / period


def test_interval_pool_matches_loops() -> None:
    x = np.random.default_rng(8).normal(0, 500, size=(3, 4, 5))
    expected = []
    for s in range(3):
        for i in range(4):
            for j in range(i + 1, 4):
                expected += [abs(x[s, i, t] - x[s, j, t]) for t in range(5)]
    melodic = [
        abs(x[s, v, t + 1] - x[s, v, t]) for s in range(3) for v in range(4) for t in range(4)
    ]
    melodic = [m for m in melodic if m >= 20.0]
    simultaneous = interval_pool(x, include_successive=False)
    np.testing.assert_allclose(np.sort(simultaneous), np.sort(expected))
    both = interval_pool(x)
    np.testing.assert_allclose(np.sort(both), np.sort(expected + melodic))


def test_tensor_input_equals_array_input() -> None:
    data = _dyads(np.append(JUST_CENTS, 1200.0), n=16, noise_cents=3.0, seed=9)
    a = emergent_scale(data, spectrum=parse_timbre("harmonic"))
    b = emergent_scale(torch.tensor(data, dtype=torch.float64), spectrum=parse_timbre("harmonic"))
    assert a == b


@settings(max_examples=20, deadline=None)
@given(shift=st.floats(-2400, 2400), seed=st.integers(0, 10_000))
def test_transposition_and_voice_order_do_not_matter(shift: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = _dyads(np.append(JUST_CENTS, 1200.0), n=8, noise_cents=3.0, seed=seed)
    x = np.concatenate(
        [x, x[:, :1] + 1200.0 * rng.integers(1, 2, size=(8, 1, 16))], axis=1
    )  # 3 voices
    a = emergent_scale(x, period_cents=1200.0)
    b = emergent_scale(x[:, ::-1] + shift, period_cents=1200.0)
    np.testing.assert_allclose(a.steps_cents, b.steps_cents, atol=1e-6)
    np.testing.assert_allclose(a.strengths, b.strengths, rtol=1e-6)


@pytest.mark.parametrize(
    ("bad", "kwargs", "match"),
    [
        (np.full((2, 3, 4), np.nan), {}, "NaN"),
        (np.zeros((2, 1, 4)), {}, "voices >= 2"),
        (np.zeros((3, 4)), {}, "shape"),
        (np.zeros((2, 3, 4)), {"bandwidth_cents": 0.0}, "bandwidth_cents=0.0"),
        (np.zeros((2, 3, 4)), {"period_cents": float("nan")}, "period_cents=nan"),
    ],
)
def test_bad_input(bad: np.ndarray, kwargs: dict[str, float], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        emergent_scale(bad, **kwargs)


def test_to_dict_is_json_ready() -> None:
    import json

    scale = emergent_scale(_dyads(JUST_CENTS, n=16, noise_cents=3.0, seed=10), period_cents=1200.0)
    data = json.loads(json.dumps(scale.to_dict()))
    assert data["period_cents"] == 1200.0
    assert data["steps_cents"] == list(scale.steps_cents)


def _scale_with(steps: list[float], period: float = 1200.0) -> EmergentScale:
    n = int(round(period / 0.1))
    return EmergentScale(
        period, tuple(steps), (1.0,) * len(steps), np.zeros(n), np.full(n, 1 / period), 0
    )


def test_to_scale() -> None:
    pytest.importorskip("xentune.tuning.scale")
    scale = _scale_with([386.0, 702.0], period=1284.0).to_scale()
    assert scale.degrees_cents == pytest.approx((386.0, 702.0, 1284.0))
    assert scale.period_cents == pytest.approx(1284.0)


def test_emergent_edos_finds_ten() -> None:
    pytest.importorskip("xentune.tuning.edo")
    steps = [240.0 + 0.5, 360.0 - 0.4, 480.0, 720.0 + 0.3, 840.0]
    fits = emergent_edos(_scale_with(steps))
    assert fits[0].n == 10
    assert emergent_edos(_scale_with([])) == []
