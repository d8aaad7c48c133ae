"""The controls of a run: random chords, distinct chords, and every metric scored alike."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from xentune.generator.controls import (
    distinct_chord_fraction,
    random_chords,
    score_samples,
)
from xentune.psychoacoustics.curve import curve_minima
from xentune.report.sources import analysis_for_score
from xentune.score import Score, save_scores
from xentune.timbre import parse_timbre
from xentune.tuning.emergence import near_minimum_fraction

HARMONIC_MINIMA = (315.6, 386.3, 498.0, 702.0, 884.4, 967.4, 1200.0)


def _just_chords(n: int, *, seed: int, noise_cents: float = 2.0) -> np.ndarray:
    """Pieces (n, 4, 8) of just major triads (any inversion, over three octaves), plus noise."""
    rng = np.random.default_rng(seed)
    degrees = np.array([0.0, 386.3, 702.0])
    pick = rng.integers(0, degrees.size, size=(n, 4, 8))
    octave = rng.integers(0, 3, size=(n, 4, 8))
    x = degrees[pick] + 1200.0 * octave + rng.normal(0, noise_cents, size=(n, 4, 8))
    return np.sort(x, axis=1) - 1200.0


def test_random_chords_are_uniform_sorted_and_seeded() -> None:
    g = torch.Generator().manual_seed(3)
    x = random_chords(64, voices=4, steps=8, low_cents=-1500.0, high_cents=2100.0, generator=g)
    assert x.shape == (64, 4, 8)
    assert float(x.min()) >= -1500.0 and float(x.max()) <= 2100.0
    assert bool((x[:, 1:] >= x[:, :-1]).all())
    again = random_chords(
        64,
        voices=4,
        steps=8,
        low_cents=-1500.0,
        high_cents=2100.0,
        generator=torch.Generator().manual_seed(3),
    )
    assert torch.equal(x, again)
    # Uniform: the mean pitch is near the middle of the range.
    assert abs(float(x.mean()) - 300.0) < 60.0


def test_distinct_chord_fraction() -> None:
    one = np.tile(np.array([0.0, 386.0, 702.0])[None, :, None], (4, 1, 8))  # one chord, 32 times
    assert distinct_chord_fraction(one) == pytest.approx(1 / 32)
    spread = np.random.default_rng(0).uniform(-1500, 2100, size=(8, 4, 8))
    assert distinct_chord_fraction(spread) == 1.0
    # Within the tolerance (15 cents per voice) two chords are one; beyond it, two.
    near = np.stack([one[:1], one[:1] + 14.0], axis=0)[:, 0]
    assert distinct_chord_fraction(near) == pytest.approx(1 / 16)  # 16 chords, all one
    apart = np.stack([one[:1], one[:1] + 16.0], axis=0)[:, 0]
    assert distinct_chord_fraction(apart) == pytest.approx(2 / 16)
    assert distinct_chord_fraction(near, tolerance_cents=10.0) == pytest.approx(2 / 16)


def test_near_minimum_fraction_and_its_chance_level() -> None:
    minima = [m.cents for m in curve_minima(parse_timbre("harmonic"), ratio_range=(1.0, 2.3))]
    assert len(minima) == 7
    x = np.random.default_rng(1).uniform(-6000, 6000, size=(64, 4, 16))
    fraction, chance = near_minimum_fraction(x, minima_cents=minima, period_cents=1200.0)
    assert chance == pytest.approx(7 * 30 / 1200, abs=2e-3)  # 17.5%
    assert fraction == pytest.approx(chance, abs=0.03)
    on = _just_chords(16, seed=2)
    fraction, _ = near_minimum_fraction(on, minima_cents=minima, period_cents=1200.0)
    assert fraction > 0.85  # all but the minor sixths 8/5 (814 c), not a minimum of harmonic


def test_score_samples_harmonic_passes_and_random_fails() -> None:
    spectrum = parse_timbre("harmonic")
    good = score_samples(
        _just_chords(32, seed=4),
        source="trained",
        stage="raw",
        timbre="harmonic",
        spectrum=spectrum,
        minima_cents=HARMONIC_MINIMA,
    )
    assert good.period_source == "data"
    assert abs(good.period_cents - 1200.0) < 2.0
    assert good.criteria is not None and good.passed, good.criteria
    assert good.near_minimum_fraction > 0.9 and good.peakedness_nats > 1.0
    g = torch.Generator().manual_seed(5)
    chords = random_chords(16, voices=4, steps=8, low_cents=-1500, high_cents=2100, generator=g)
    bad = score_samples(
        chords,
        source="random",
        stage="raw",
        timbre="harmonic",
        spectrum=spectrum,
        minima_cents=HARMONIC_MINIMA,
    )
    assert bad.passed is False
    assert bad.peakedness_nats < 0.15 and bad.near_minimum_fraction < 0.25
    row = bad.to_dict()
    assert row["criteria_passed"] is False and row["criteria_failures"]


def test_relabelled_score_keeps_its_own_period(tmp_path: object) -> None:
    # Must-show 4 in miniature: harmonic music whose score says "stretched 2.1" analyses to 1200.
    from pathlib import Path

    out = Path(str(tmp_path)) / "score.json"
    spec = parse_timbre("stretched:octave=2.1").to_dict()
    pieces = _just_chords(16, seed=6)
    save_scores(
        out,
        [
            Score.from_chords(p, step_s=0.6, timbre="stretched:octave=2.1", spectrum=spec)
            for p in pieces
        ],
    )
    a = analysis_for_score(out)
    assert a.emergence is not None and a.emergence.period_source == "data"
    assert a.period.cents == pytest.approx(1200.0, abs=2.0)
    assert a.period.timbre_pseudo_octave_cents == pytest.approx(1200 * math.log2(2.1))
