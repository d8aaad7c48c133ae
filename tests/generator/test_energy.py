"""Tests of the generator's energy: each term against a slow obvious implementation and its purpose."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.errors import ConfigError
from xentune.generator.energy import Energy, EnergyConfig, dyad_curve_max
from xentune.psychoacoustics.roughness import roughness
from xentune.timbre import parse_timbre
from xentune.units import DEFAULT_REFERENCE_HZ

PRESETS = [
    "harmonic",
    "sawtooth",
    "square",
    "stretched:octave=2.1",
    "edo:n=10",
    "bar",
    "bell",
    "gamelan",
]


def _slow_dissmeasure(freqs: list[float], amps: list[float]) -> float:
    """Sethares' dissmeasure with Python loops (TTSS 2005, app. E)."""
    total = 0.0
    for i in range(len(freqs)):
        for j in range(i + 1, len(freqs)):
            f_lo, f_hi = min(freqs[i], freqs[j]), max(freqs[i], freqs[j])
            s = 0.24 / (0.0207 * f_lo + 18.96)
            x = s * (f_hi - f_lo)
            total += min(amps[i], amps[j]) * (math.exp(-3.51 * x) - math.exp(-5.75 * x))
    return 5.0 * total


def _slow_chord(cents: list[float], spec: str) -> float:
    """Pooled roughness of a chord judged with its mean pitch at the reference frequency."""
    sp = parse_timbre(spec)
    mean = sum(cents) / len(cents)
    freqs, amps = [], []
    for c in cents:
        f0 = DEFAULT_REFERENCE_HZ * 2 ** ((c - mean) / 1200)
        freqs += [f0 * r for r in sp.ratios]
        amps += list(sp.amplitudes)
    return _slow_dissmeasure(freqs, amps)


@pytest.mark.parametrize("spec", ["harmonic", "stretched:octave=2.1", "bell"])
def test_r0_is_the_dyad_curve_maximum(spec: str) -> None:
    sp = parse_timbre(spec)
    r0 = dyad_curve_max(sp)
    grid = [1.0 + 1.3 * k / 400 for k in range(401)]  # ratios 1..2.3
    values = [
        _slow_dissmeasure(
            [DEFAULT_REFERENCE_HZ * r for r in sp.ratios]
            + [DEFAULT_REFERENCE_HZ * g * r for r in sp.ratios],
            list(sp.amplitudes) * 2,
        )
        for g in grid
    ]
    # The half-cent curve finds a maximum at least as high as a 2.5-cent grid, and not much higher.
    assert max(values) <= r0 * (1 + 1e-9)
    assert r0 <= max(values) * 1.01


def test_roughness_term_matches_slow_pooled_roughness() -> None:
    energy = Energy(parse_timbre("harmonic"))
    piece = torch.tensor(
        [[[0.0, 100.0], [386.0, 500.0], [702.0, 650.0], [1200.0, 1450.0]]], dtype=torch.float64
    )
    got = energy.terms(piece)["roughness"]
    want = sum(_slow_chord(piece[0, :, t].tolist(), "harmonic") for t in range(2)) / energy.r0
    assert float(got) == pytest.approx(want, rel=1e-6)


def test_raw_roughness_drifts_but_anchored_energy_does_not() -> None:
    """The known trap: raw roughness falls as a chord rises; the anchored energy is flat inside the range."""
    sp = parse_timbre("harmonic")
    r, a = sp.tensors(dtype=torch.float64)
    chord = torch.tensor([0.0, 316.0, 702.0], dtype=torch.float64)
    low = roughness(*_pool(DEFAULT_REFERENCE_HZ * torch.exp2(chord / 1200), r, a))
    high = roughness(*_pool(DEFAULT_REFERENCE_HZ * torch.exp2((chord + 1200) / 1200), r, a))
    assert float(high) < 0.8 * float(low)  # raw roughness rewards going up an octave

    energy = Energy(sp).double()
    piece = torch.stack([chord, chord + 200]).T.unsqueeze(0)  # (1, V=3, T=2)
    shifts = torch.tensor([-500.0, 0.0, 300.0, 600.0], dtype=torch.float64)
    values = energy(piece + shifts[:, None, None])  # (4,)
    assert torch.allclose(values, values[1].expand(4), rtol=1e-12, atol=1e-12)
    x = piece.clone().requires_grad_(True)
    energy(x).sum().backward()
    assert abs(float(x.grad.sum())) < 1e-9  # no force along transposition: no drift


def _pool(f0: torch.Tensor, r: torch.Tensor, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return (f0[:, None] * r).flatten(), a.repeat(f0.shape[0])


def test_range_term_holds_pitches_inside_the_instrument() -> None:
    cfg = EnergyConfig()
    energy = Energy(parse_timbre("harmonic"), cfg).double()
    inside = torch.tensor([[[0.0], [702.0]]], dtype=torch.float64)
    assert float(energy.terms(inside)["range"]) == 0.0
    above = torch.tensor(
        [[[cfg.range_high_cents + 100.0], [cfg.range_high_cents + 300.0]]], dtype=torch.float64
    )
    assert float(energy.terms(above)["range"]) == pytest.approx(1.0 + 9.0)
    below = torch.tensor([[[cfg.range_low_cents - 200.0], [0.0]]], dtype=torch.float64)
    assert float(energy.terms(below)["range"]) == pytest.approx(4.0)


def test_fusion_forbids_unison_collapse() -> None:
    """Unison has almost no cross-roughness; the fusion term makes it the worst dyad, not the best."""
    energy = Energy(parse_timbre("harmonic")).double()
    cents = torch.tensor([0.0, 10.0, 20.0, 60.0, 702.0, 1200.0], dtype=torch.float64)
    dyads = torch.stack([torch.zeros_like(cents), cents], -1).unsqueeze(-1)  # (6, 2, 1)
    terms = energy.terms(dyads)
    assert float(terms["fusion"][0]) == pytest.approx(1.0)
    assert float(terms["fusion"][-1]) < 1e-100
    e = energy(dyads)
    assert float(terms["roughness"][0]) < float(
        terms["roughness"][4]
    )  # the trap: unison is smoothest
    assert (
        float(e[0]) > float(e[3]) > float(e[4]) > float(e[5])
    )  # with fusion: unison worst, octave best


def test_melodic_terms() -> None:
    energy = Energy(parse_timbre("harmonic")).double()
    piece = torch.tensor(
        [[[0.0, 400.0, 400.0]]], dtype=torch.float64
    )  # one voice: step 400, repeat
    terms = energy.terms(piece)
    assert float(terms["step"]) == pytest.approx((400.0 / energy.config.step_cents) ** 2)
    want = (
        _slow_chord([0.0, 400.0], "harmonic") + _slow_chord([400.0, 400.0], "harmonic")
    ) / energy.r0
    assert float(terms["melodic_roughness"]) == pytest.approx(want, rel=1e-6)


def _slow_repetition(piece: list[list[float]], width: float) -> float:
    """Repeated chords of one piece ``piece[v][t]``: loops over pairs of steps, voices sorted."""
    steps = len(piece[0])
    chords = [sorted(voice[t] for voice in piece) for t in range(steps)]
    total = 0.0
    for a in range(steps):
        for b in range(a + 1, steps):
            sq = sum(((x - y) / width) ** 2 for x, y in zip(chords[a], chords[b], strict=True))
            total += math.exp(-0.5 * sq)
    return total


def test_repetition_term_matches_slow_pairs() -> None:
    energy = Energy(parse_timbre("harmonic"), EnergyConfig(repetition_weight=1.0)).double()
    piece = [[0.0, 0.0, 5.0, 200.0], [700.0, 702.0, 690.0, 700.0], [386.0, 380.0, 386.0, 500.0]]
    got = energy.terms(torch.tensor([piece], dtype=torch.float64))["repetition"]
    assert float(got) == pytest.approx(_slow_repetition(piece, 15.0), rel=1e-12)
    # The same chord at every step: every one of the T (T - 1) / 2 pairs counts 1.
    still = torch.tensor([[[0.0] * 5, [386.0] * 5, [702.0] * 5]], dtype=torch.float64)
    assert float(energy.terms(still)["repetition"]) == pytest.approx(10.0)
    # One voice moving a semitone is a new chord; common tones cost nothing.
    moved = torch.tensor([[[0.0, 0.0], [386.0, 486.0], [702.0, 702.0]]], dtype=torch.float64)
    assert float(energy.terms(moved)["repetition"]) < 1e-9
    off = Energy(parse_timbre("harmonic"), EnergyConfig(repetition_weight=0.0)).double()
    assert "repetition" not in off.terms(still)
    # Weighted, it adds its weight per repeated pair to the energy (2 by default).
    default = Energy(parse_timbre("harmonic")).double()
    assert default.config.repetition_weight == 2.0
    assert float(default(still) - off(still)) == pytest.approx(2.0 * 10.0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.lists(st.floats(-1500, 2700, allow_nan=False), min_size=3, max_size=3),
        min_size=2,
        max_size=4,
    ),
    st.floats(1.0, 100.0),
)
def test_repetition_term_properties(piece: list[list[float]], width: float) -> None:
    """Against the slow sum for any piece and width; blind to the order of the voices; 0..pairs."""
    energy = Energy(
        parse_timbre("harmonic:partials=3"),
        EnergyConfig(repetition_weight=1.0, repetition_cents=width),
    ).double()
    x = torch.tensor([piece], dtype=torch.float64)  # (1, V, T=3)
    got = float(energy.terms(x)["repetition"])
    assert got == pytest.approx(_slow_repetition(piece, width), rel=1e-9, abs=1e-12)
    assert float(energy.terms(x.flip(1))["repetition"]) == pytest.approx(got, rel=1e-12, abs=1e-15)
    assert -1e-12 <= got <= 3.0 + 1e-12


@pytest.mark.parametrize("spec", PRESETS)
def test_dyad_energy_minima_are_the_curve_minima(spec: str) -> None:
    """A two-voice chord's energy has its deepest minimum at the timbre's pseudo-octave (or its best dyad)."""
    sp = parse_timbre(spec)
    energy = Energy(sp).double()
    cents = torch.arange(100.0, 1400.0, 1.0, dtype=torch.float64)
    dyads = torch.stack([torch.zeros_like(cents), cents], -1).unsqueeze(-1)  # (G, 2, 1)
    e = energy(dyads)
    assert torch.isfinite(e).all()
    assert float(e.min()) < 0.75  # some interval is clearly consonant for every preset
    if sp.pseudo_octave is not None:
        best = float(cents[e.argmin()])
        assert best == pytest.approx(1200 * math.log2(sp.pseudo_octave), abs=2.0)


def test_batched_equals_one_by_one() -> None:
    energy = Energy(parse_timbre("stretched:octave=2.1")).double()
    g = torch.Generator().manual_seed(0)
    pieces = (
        torch.rand(3, 2, 3, 4, generator=g, dtype=torch.float64) * 2400 - 1200
    )  # (3, 2, V=3, T=4)
    batched = energy(pieces)
    for i in range(3):
        for j in range(2):
            assert float(batched[i, j]) == pytest.approx(float(energy(pieces[i, j])), rel=1e-12)


def test_gradcheck() -> None:
    energy = Energy(parse_timbre("harmonic:partials=4")).double()
    x = torch.tensor(
        [[[-100.0, 0.0], [380.0, 420.0], [690.0, 1300.0]]], dtype=torch.float64, requires_grad=True
    )
    assert torch.autograd.gradcheck(energy, (x,), eps=1e-4, atol=1e-5)


def test_harmonicity_term_rewards_harmonic_chords() -> None:
    cfg = EnergyConfig(harmonicity_weight=1.0)
    energy = Energy(parse_timbre("harmonic"), cfg).double()
    just = torch.tensor([[0.0], [386.3], [702.0]], dtype=torch.float64)
    off = torch.tensor([[0.0], [436.0], [652.0]], dtype=torch.float64)
    h = energy.terms(torch.stack([just, off]))["harmonicity"]
    assert float(h[0]) > float(h[1])
    assert "harmonicity" not in Energy(parse_timbre("harmonic")).terms(just)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"fusion_weight": -1.0}, "fusion_weight=-1.0: weights must be >= 0"),
        ({"step_cents": float("nan")}, "step_cents=nan: must be a finite"),
        ({"fusion_cents": 0.0}, "fusion_cents=0.0: must be > 0"),
        ({"repetition_cents": -5.0}, "repetition_cents=-5.0: must be > 0"),
        ({"repetition_weight": -1.0}, "repetition_weight=-1.0: weights must be >= 0"),
        ({"range_low_cents": 100.0, "range_high_cents": 0.0}, "range must span"),
        ({"roughness_model": "nope"}, "roughness model 'nope' is unknown"),
        ({"consonance_model": "nope"}, "unknown consonance model 'nope'; use one of .*composite"),
    ],
)
def test_config_errors(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        EnergyConfig(**kwargs)  # type: ignore[arg-type]


def test_reference_hz_error() -> None:
    with pytest.raises(ConfigError, match="reference_hz=-1.0"):
        Energy(parse_timbre("harmonic"), reference_hz=-1.0)


def test_config_round_trip() -> None:
    cfg = EnergyConfig(fusion_weight=2.5, roughness_model="vassilakis")
    assert EnergyConfig(**cfg.to_dict()) == cfg
    cfg = EnergyConfig(consonance_model="composite")
    assert EnergyConfig(**cfg.to_dict()) == cfg and cfg.chord_model == "composite"
    assert EnergyConfig().chord_model == "sethares"


def test_composite_chord_term_is_the_span_normalised_composite() -> None:
    from xentune.psychoacoustics.composite import composite_dissonance
    from xentune.psychoacoustics.curve import dissonance_curve

    sp = parse_timbre("harmonic")
    energy = Energy(sp, EnergyConfig(consonance_model="composite"))
    curve = dissonance_curve(sp, model="composite")
    assert energy.offset == pytest.approx(float(curve.values.min()))
    assert energy.r0 == pytest.approx(float(curve.values.max() - curve.values.min()))
    chords = torch.tensor([[[-350.0, 0.0, 350.0], [-250.0, 100.0, 450.0]]], dtype=torch.float64)
    piece = chords.transpose(-1, -2)  # (1, V, T) voices x steps
    got = energy.terms(piece)["roughness"]
    ratios, amps = sp.tensors(dtype=torch.float64)
    f0 = DEFAULT_REFERENCE_HZ * torch.exp2((chords - chords.mean(-1, keepdim=True)) / 1200)
    want = ((composite_dissonance(f0, ratios, amps) - energy.offset) / energy.r0).sum(-1)
    torch.testing.assert_close(got, want)
    # A consonant chord is lower than a cluster; gradients reach the pitches.
    x = torch.tensor([[[0.0], [386.3], [702.0]], [[0.0], [100.0], [200.0]]], requires_grad=True)
    e = energy.terms(x)["roughness"]
    assert float(e[0].detach()) < float(e[1].detach())
    e.sum().backward()
    assert x.grad is not None and bool(torch.isfinite(x.grad).all())
