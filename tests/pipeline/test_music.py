"""The time model's perceptual terms (closed-form checks), its pitches and a short training run."""

from __future__ import annotations

import math

import pytest
import torch

from xentune.pipeline.music import (
    TimeConfig,
    TimeModel,
    note_mask,
    notes_per_voice,
    pair_roughness,
    train_time_model,
    window_pitches,
)
from xentune.pipeline.time_terms import (
    PREFERRED_BEAT_S,
    Window,
    dynamics_targets,
    ioi_ratio_penalty,
    tempo_penalty,
    time_energy,
)
from xentune.timbre import parse_timbre

ONES = {
    "consonance": 1.0,
    "ratio": 1.0,
    "tempo": 1.0,
    "continuity": 1.0,
    "dynamics": 1.0,
    "final": 1.0,
}


def test_ratio_penalty_closed_form() -> None:
    assert float(ioi_ratio_penalty(torch.tensor(0.0))) == 0.0  # 1:1, the strongest attractor
    # On 2:1 only the weights differ: w(1:1) = 1/2, w(1:2) = 1/3 -> log(3/2).
    two = float(ioi_ratio_penalty(torch.tensor(math.log(2.0), dtype=torch.float64)))
    assert two == pytest.approx(math.log(1.5), abs=1e-3)
    assert float(ioi_ratio_penalty(torch.tensor(-math.log(2.0)))) == pytest.approx(two, abs=1e-3)
    # Between 1:1 and 4:3: -log(e^(-1.527)/2 + e^(-1.709)/7) + log(1/2) = 1.31.
    mid = float(ioi_ratio_penalty(torch.tensor(math.log(1.15), dtype=torch.float64)))
    assert mid == pytest.approx(1.31, abs=0.01)


def test_tempo_penalty_closed_form() -> None:
    mask = torch.tensor([True, True, False])
    at_beat = torch.tensor([PREFERRED_BEAT_S, PREFERRED_BEAT_S, 1.0])
    assert float(tempo_penalty(at_beat, mask)) == pytest.approx(0.0, abs=1e-12)
    slower = at_beat * math.exp(0.5)  # one BEAT_SIGMA away in log
    assert float(tempo_penalty(slower, mask)) == pytest.approx(1.0, rel=1e-5)
    fast = torch.tensor([0.05, 0.05, 1.0], dtype=torch.float64)  # under London's 100 ms
    gm = (math.log(0.05) - math.log(0.6)) / 0.5
    assert float(tempo_penalty(fast, mask)) == pytest.approx(gm**2 + 10 * 2 * math.log(2) ** 2)


def test_dynamics_targets_rise_then_release() -> None:
    t = dynamics_targets(4)
    expected = [0.45, 0.45 + 0.4 * (1 / 3) / 0.75, 0.45 + 0.4 * (2 / 3) / 0.75, 0.5]
    assert t.tolist() == pytest.approx(expected)


def _two_voice_window() -> Window:
    # voice 0: two notes of 1 s; voice 1: four of 0.5 s; window 2 s; legato; full amplitude.
    share = torch.tensor([[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    return Window(torch.tensor(2.0), share, torch.ones(2, 4), torch.ones(2, 4))


def test_time_energy_closed_form() -> None:
    w = _two_voice_window()
    mask = note_mask(2)
    assert mask.tolist() == [[True, True, False, False], [True, True, True, True]]
    rough = torch.ones(8, 8)
    terms = time_energy(
        w, rough, mask, position=torch.tensor(0), previous_last_ioi=None, weights=ONES
    )
    # Each 0.5-s note of voice 1 lies inside one note of voice 0: 4 x 0.5 s of overlap over a
    # 2-s window = 1, times amplitudes 1 and roughness 1, weighted 0.5 at the phrase's start.
    assert float(terms["consonance"]) == pytest.approx(0.5)
    assert float(terms["ratio"]) == pytest.approx(0.0, abs=1e-9)  # every ratio 1:1
    assert float(terms["continuity"]) == 0.0  # legato
    assert float(terms["dynamics"]) == pytest.approx((1.0 - 0.45) ** 2)
    assert float(terms["final"]) == 0.0  # not a phrase end
    end = time_energy(
        w, rough, mask, position=torch.tensor(3), previous_last_ioi=None, weights=ONES
    )
    assert float(end["consonance"]) == pytest.approx(2.0)  # 0.5 + 1.5 at the phrase end
    assert float(end["final"]) == pytest.approx((0.5 - 0.25) ** 2)  # voice 1's last note is short
    staccato = Window(w.length_s, w.share, torch.full((2, 4), 0.5), w.amplitude)
    half = time_energy(
        staccato, rough, mask, position=torch.tensor(0), previous_last_ioi=None, weights=ONES
    )
    assert float(half["continuity"]) == pytest.approx(0.5)


def test_notes_and_pitches() -> None:
    assert notes_per_voice(4) == (2, 3, 4, 4)
    assert notes_per_voice(2) == (2, 4)
    chord = torch.tensor([0.0, 700.0, 1600.0, 1900.0])
    nxt = torch.tensor([-100.0, 500.0, 1500.0, 2100.0])
    p = window_pitches(chord, nxt, period_cents=1200.0)
    assert p.shape == (4, 4)
    assert p[0, :2].tolist() == [0.0, -100.0]  # bass: own tone, then the next chord's
    assert p[1, :3].tolist() == [700.0, 400.0, 500.0]  # 1600 - 1200 next to 700
    assert p[3].tolist() == [1900.0, 1600.0, 1900.0, 2100.0]  # top: the voice below
    # batched equals one by one
    both = window_pitches(torch.stack([chord, nxt]), torch.stack([nxt, chord]), period_cents=1200.0)
    assert torch.equal(both[0], p)


def test_pair_roughness() -> None:
    spectrum = parse_timbre("harmonic")
    cents = torch.tensor([0.0, 100.0, 702.0])
    r = pair_roughness(cents, spectrum, reference_hz=261.63, r0=1.0)
    assert r.shape == (3, 3)
    assert torch.equal(r, r.T) and torch.all(r.diagonal() == 0)
    assert r[0, 1] > 5 * r[0, 2]  # a semitone is far rougher than a fifth
    batched = pair_roughness(
        torch.stack([cents, cents + 50]), spectrum, reference_hz=261.63, r0=1.0
    )
    assert torch.allclose(batched[0], r)


def test_training_lowers_the_energy_and_is_deterministic() -> None:
    spectrum = parse_timbre("harmonic")
    chords = torch.tensor([[[0.0, 500.0], [400.0, 900.0], [700.0, 1200.0]]]).repeat(4, 1, 1)
    cfg = TimeConfig(voices=3, train_steps=12, batch=8, seed=3)
    kw = {"spectrum": spectrum, "reference_hz": 261.63, "period_cents": 1200.0, "r0": 1.0}
    model, history = train_time_model(cfg, chords, **kw)
    again, _ = train_time_model(cfg, chords, **kw)
    assert isinstance(model, TimeModel)
    assert history["energy"][-1] < history["energy"][0]
    for a, b in zip(model.state_dict().values(), again.state_dict().values(), strict=True):
        assert torch.equal(a, b)
