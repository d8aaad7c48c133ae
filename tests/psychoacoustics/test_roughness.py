"""Roughness kernels: a slow per-pair loop, published reference values, batching, gradients, devices."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.errors import ConfigError
from xentune.psychoacoustics.pool import chord_partials
from xentune.psychoacoustics.roughness import (
    MODELS,
    chord_roughness,
    hutchinson_roughness,
    roughness,
    sethares_roughness,
    vassilakis_roughness,
)

F64 = torch.float64


# ------------------------------------------------------------------------------------------
# The slow obvious implementation: one pair of sines at a time, straight from the papers.


def slow_pair(model: str, f1: float, f2: float, a1: float, a2: float) -> float:
    """Roughness of two sines, ``f1 <= f2``, with plain floats (no torch)."""
    assert f1 <= f2
    if model == "sethares":  # dissmeasure.m
        s = 0.24 / (0.0207 * f1 + 18.96)
        return (
            5.0 * min(a1, a2) * (math.exp(-3.51 * s * (f2 - f1)) - math.exp(-5.75 * s * (f2 - f1)))
        )
    if model == "sethares1993":  # JASA 1993
        s = 0.24 / (0.021 * f1 + 19.0)
        return a1 * a2 * (math.exp(-3.5 * s * (f2 - f1)) - math.exp(-5.75 * s * (f2 - f1)))
    if model == "vassilakis":  # Vassilakis 2001, each unordered pair once
        if min(a1, a2) <= 0:
            return 0.0
        s = 0.24 / (0.0207 * f1 + 18.96)
        z = math.exp(-3.5 * s * (f2 - f1)) - math.exp(-5.75 * s * (f2 - f1))
        return (a1 * a2) ** 0.1 * 0.5 * (2 * min(a1, a2) / (a1 + a2)) ** 3.11 * z
    if model == "hutchinson":  # numerator term; the caller divides by sum a^2
        cbw = 1.72 * ((f1 + f2) / 2) ** 0.65
        y = (f2 - f1) / cbw
        g = ((y / 0.25) * math.exp(1 - y / 0.25)) ** 2 if y <= 1.2 else 0.0
        return a1 * a2 * g
    raise AssertionError(model)


def slow_roughness(freqs: list[float], amps: list[float], model: str) -> float:
    total = 0.0
    for i in range(len(freqs)):
        for j in range(i + 1, len(freqs)):
            (f1, a1), (f2, a2) = sorted([(freqs[i], amps[i]), (freqs[j], amps[j])])
            total += slow_pair(model, f1, f2, a1, a2)
    if model == "hutchinson":
        energy = sum(a * a for a in amps)
        return total / energy if energy > 0 else 0.0
    return total


def assert_rel(actual: float, expected: float, rel: float) -> None:
    # abs: the loop's own rounding, e^{-b1 x} - e^{-b2 x} cancels to ~1e-16 for near-unison
    # pairs (the kernels use expm1 there); totals that small are zero for any purpose.
    assert actual == pytest.approx(expected, rel=rel, abs=1e-13), (actual, expected)


freq_lists = st.integers(min_value=1, max_value=9).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(20.0, 6000.0), min_size=n, max_size=n),
        st.lists(st.floats(0.0, 2.0), min_size=n, max_size=n),
    )
)


@pytest.mark.parametrize("model", list(MODELS))
@settings(max_examples=60, deadline=None)
@given(spectrum=freq_lists)
def test_roughness_equals_slow_loop(model, spectrum):
    freqs, amps = spectrum
    got = roughness(torch.tensor(freqs, dtype=F64), torch.tensor(amps, dtype=F64), model=model)
    assert_rel(float(got), slow_roughness(freqs, amps, model), 1e-9)


chords = st.tuples(
    st.integers(1, 5),  # voices
    st.lists(st.floats(0.5, 12.0), min_size=1, max_size=8),  # ratios
    st.data(),
)


@pytest.mark.parametrize("model", list(MODELS))
@settings(max_examples=40, deadline=None)
@given(chord=chords)
def test_chord_roughness_equals_slow_loop(model, chord):
    n_voices, ratios, data = chord
    amps = data.draw(st.lists(st.floats(0.0, 1.5), min_size=len(ratios), max_size=len(ratios)))
    f0 = data.draw(st.lists(st.floats(30.0, 2000.0), min_size=n_voices, max_size=n_voices))
    gains = data.draw(
        st.one_of(st.none(), st.lists(st.floats(0.0, 2.0), min_size=n_voices, max_size=n_voices))
    )
    freqs = [f * r for f in f0 for r in ratios]
    pooled = [(1.0 if gains is None else g) * a for g in (gains or [1.0] * n_voices) for a in amps]
    got = chord_roughness(
        torch.tensor(f0, dtype=F64),
        torch.tensor(ratios, dtype=F64),
        torch.tensor(amps, dtype=F64),
        model=model,
        voice_amplitudes=None if gains is None else torch.tensor(gains, dtype=F64),
    )
    assert_rel(float(got), slow_roughness(freqs, pooled, model), 1e-9)


@pytest.mark.parametrize("model", list(MODELS))
@pytest.mark.parametrize("gains", [False, True])
def test_chord_roughness_equals_pooled_roughness_float32(model, gains, device):
    g = torch.Generator().manual_seed(3)
    f0 = 80.0 * 2 ** (3.5 * torch.rand(256, 5, generator=g))
    ratios = torch.rand(9, generator=g) * 9 + 0.6
    amps = torch.rand(9, generator=g)
    va = torch.rand(256, 5, generator=g) if gains else None
    ref = roughness(
        *chord_partials(
            f0.double(), ratios.double(), amps.double(), None if va is None else va.double()
        ),
        model=model,
    )
    got = chord_roughness(
        f0.to(device),
        ratios.to(device),
        amps.to(device),
        model=model,
        voice_amplitudes=None if va is None else va.to(device),
    )
    assert got.dtype == torch.float32 and got.device.type == device.type
    torch.testing.assert_close(got.cpu().double(), ref, rtol=2e-6, atol=0)


# ------------------------------------------------------------------------------------------
# Published reference values.


def test_sethares_dissmeasure_matlab_values():
    """Sethares' MATLAB regression ratios (incon test-dycon.R) and the absolute 0.87303."""
    ref = sethares_roughness(torch.tensor([440.0, 460.0], dtype=F64), torch.ones(2, dtype=F64))
    assert float(ref) == pytest.approx(0.87303, abs=5e-6)
    for freqs, amps, expected in [
        ([440, 460, 480], [1, 1, 1], 2.9194),
        ([440, 460, 480], [1, 2, 3], 3.9161),
        ([440, 460, 480], [3, 2, 1], 3.9194),
        ([300, 250, 275, 425], [1.5, 2, 9, 4], 4.8657),
    ]:
        value = sethares_roughness(torch.tensor(freqs, dtype=F64), torch.tensor(amps, dtype=F64))
        assert float(value / ref) == pytest.approx(expected, abs=5e-5)


def midi_harmonics(midis: list[int], n_harmonics: int) -> tuple[torch.Tensor, torch.Tensor]:
    """12-TET at A4 = 440 Hz, harmonics n f0 with amplitude 1/n (hrep's default)."""
    f0 = torch.tensor([440.0 * 2 ** ((m - 69) / 12) for m in midis], dtype=F64)
    n = torch.arange(1, n_harmonics + 1, dtype=F64)
    return f0, n


@pytest.mark.parametrize(
    ("midis", "n_harmonics", "expected", "tol"),
    [
        ([60, 61], 1, 0.499, 5e-4),
        ([69, 70], 1, 0.491, 5e-4),
        ([60, 61], 11, 0.484, 5e-4),
        ([60, 64, 67], 11, 0.1202426, 5e-8),
        ([60, 63, 67], 11, 0.1300830, 5e-8),
    ],
)
def test_hutchinson_incon_values(midis, n_harmonics, expected, tol):
    f0, n = midi_harmonics(midis, n_harmonics)
    got = chord_roughness(f0, n, 1 / n, model="hutchinson")
    assert float(got) == pytest.approx(expected, abs=tol)
    assert float(hutchinson_roughness(*chord_partials(f0, n, 1 / n))) == pytest.approx(
        float(got), rel=1e-12
    )


def test_hutchinson_g_and_cbw_values():
    """incon's hutch_g(1) = 0.0397, hutch_g(0.5) = 0.5413, cut-off at 1.2; cbw(400,440) = 87.225."""
    # Two unit sines whose distance is y critical bandwidths: R = g(y) / 2.
    just_below = (4 * 1.19 * math.exp(1 - 4 * 1.19)) ** 2  # 0.0123, still inside the cut-off
    for y, g in [(1.0, 0.0397), (0.5, 0.5413), (1.19, just_below), (1.21, 0.0), (1.5, 0.0)]:
        lo = 400.0
        hi = lo + y * 1.72 * lo**0.65  # first guess, then solve y = (hi - lo) / cbw(mean) exactly
        for _ in range(60):
            hi = lo + y * 1.72 * ((lo + hi) / 2) ** 0.65
        r = hutchinson_roughness(torch.tensor([lo, hi], dtype=F64), torch.ones(2, dtype=F64))
        assert 2 * float(r) == pytest.approx(g, abs=5e-5)


VASSILAKIS_P208_HZ = [
    [262, 526, 790, 1049, 1318, 1573],
    [277, 554, 837, 1118, 1398, 1677],
    [294, 590, 886, 1180, 1473, 1772],
    [311, 624, 932, 1244, 1569, 1873],
    [330, 663, 995, 1323, 1654, 1994],
    [349, 701, 1053, 1408, 1751, 2107],
    [370, 741, 1118, 1482, 1852, 2235],
    [392, 783, 1179, 1570, 1973, 2373],
    [415, 834, 1250, 1670, 2093, 2499],
    [440, 884, 1329, 1768, 2200, 2666],
    [466, 937, 1400, 1874, 2345, 2799],
    [494, 990, 1484, 1985, 2476, 2973],
    [524, 1052, 1573, 2110, 2634, 3154],
]
#: Vassilakis (2001) p. 210: roughness of C4 with each tone m2 ... octave (incon test-dycon.R).
VASSILAKIS_P210 = [
    40.383,
    27.617,
    18.117,
    16.002,
    11.446,
    12.826,
    6.17877,
    10.103,
    5.782,
    6.214,
    6.996,
    1.589,
]


def test_vassilakis_p210_dyads_are_ours_times_100():
    """The published dyads are a constant multiple of ours: 99.9 +- 0.1 (incon's doubled sum: ~49.9)."""
    tones = torch.tensor(VASSILAKIS_P208_HZ, dtype=F64)  # (13, 6) measured partials
    amps = 1 / torch.arange(1, 7, dtype=F64)
    dyads = torch.stack([torch.cat([tones[0], tones[k]]) for k in range(1, 13)])  # (12, 12)
    ours = vassilakis_roughness(dyads, amps.repeat(2).expand(12, -1))
    ratio = torch.tensor(VASSILAKIS_P210, dtype=F64) / ours
    assert float(ratio.min()) > 99.7 and float(ratio.max()) < 100.0
    assert float(ratio.std() / ratio.mean()) < 1e-3
    assert (
        float(torch.corrcoef(torch.stack([ours, torch.tensor(VASSILAKIS_P210, dtype=F64)]))[0, 1])
        > 0.9999
    )


# ------------------------------------------------------------------------------------------
# Shape of the curve.


@pytest.mark.parametrize("model", list(MODELS))
def test_single_pure_tone_is_zero_and_two_unison_tones_are_not(model, device):
    one = torch.tensor([440.0], device=device)
    assert float(roughness(one, torch.ones(1, device=device), model=model)) == 0.0
    f0 = torch.tensor([[220.0]], device=device)
    assert (
        float(
            chord_roughness(
                f0, torch.ones(1, device=device), torch.ones(1, device=device), model=model
            )
        )
        == 0.0
    )
    r = torch.arange(1.0, 7.0, device=device)
    unison = chord_roughness(
        torch.tensor([110.0, 110.0], device=device), r, 0.88 ** (r - 1), model=model
    )
    assert float(unison) > 0.0  # within-tone pairs count


@pytest.mark.parametrize("model", list(MODELS))
def test_two_sine_peak_near_a_quarter_critical_band(model):
    """Plomp & Levelt: maximum roughness at about 25% of a critical bandwidth."""
    lo = 440.0
    df = torch.linspace(0.01, 150.0, 150_000, dtype=F64)
    freqs = torch.stack([torch.full_like(df, lo), lo + df], -1)
    values = roughness(freqs, torch.ones_like(freqs), model=model)
    peak = float(df[values.argmax()])
    cbw = 1.72 * (lo + peak / 2) ** 0.65  # Hutchinson & Knopoff bandwidth at the mean frequency
    if model == "hutchinson":
        assert peak / cbw == pytest.approx(0.25, abs=1e-4)
    else:
        b1 = {"sethares": 3.51}.get(model, 3.5)
        s = 0.24 / (
            {"sethares1993": 0.021}.get(model, 0.0207) * lo
            + {"sethares1993": 19.0}.get(model, 18.96)
        )
        x_peak = math.log(5.75 / b1) / (5.75 - b1)  # closed form of the maximum
        assert peak * s == pytest.approx(x_peak, abs=1e-4)
        assert 0.2 < peak / cbw < 0.33  # 25.8 Hz at 440 Hz = 0.29 critical bandwidths


# ------------------------------------------------------------------------------------------
# Batching, shapes, gradients, devices.


@pytest.mark.parametrize("model", list(MODELS))
def test_batched_equals_one_by_one(model, device):
    g = torch.Generator().manual_seed(0)
    freqs = (100 + 3000 * torch.rand(4, 3, 12, generator=g, dtype=F64)).to(device)
    amps = torch.rand(4, 3, 12, generator=g, dtype=F64).to(device)
    batched = roughness(freqs, amps, model=model)
    assert batched.shape == (4, 3)
    for i in range(4):
        for j in range(3):
            assert float(batched[i, j]) == pytest.approx(
                float(roughness(freqs[i, j], amps[i, j], model=model)), rel=1e-12
            )
    f0 = (100 + 500 * torch.rand(2, 3, 4, generator=g, dtype=F64)).to(device)  # (2, 3) chords of 4
    va = torch.rand(2, 3, 4, generator=g, dtype=F64).to(device)
    r = torch.tensor([1.0, 2.0, 2.9, 4.2], dtype=F64, device=device)
    a = torch.tensor([1.0, 0.6, 0.5, 0.2], dtype=F64, device=device)
    chord = chord_roughness(f0, r, a, model=model, voice_amplitudes=va)
    assert chord.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            one = chord_roughness(f0[i, j], r, a, model=model, voice_amplitudes=va[i, j])
            assert one.shape == ()
            assert float(chord[i, j]) == pytest.approx(float(one), rel=1e-12)


@pytest.mark.parametrize("model", list(MODELS))
def test_shapes(model):
    r = torch.arange(1.0, 5.0)
    a = torch.ones(4)
    assert chord_roughness(torch.full((2, 3, 5, 4), 300.0), r, a, model=model).shape == (2, 3, 5)
    assert chord_roughness(torch.full((0, 4), 300.0), r, a, model=model).shape == (0,)
    assert chord_roughness(torch.full((7, 1), 300.0), r, a, model=model).shape == (7,)  # one voice
    assert roughness(
        torch.full((2, 3, 5, 4), 300.0), torch.ones(2, 3, 5, 4), model=model
    ).shape == (2, 3, 5)
    va = torch.ones(3, 1, 4)  # broadcast voice gains
    assert chord_roughness(
        torch.full((3, 5, 4), 300.0), r, a, model=model, voice_amplitudes=va
    ).shape == (3, 5)


def test_unknown_model_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown roughness model 'plomp'.*sethares"):
        roughness(torch.ones(2), torch.ones(2), model="plomp")
    with pytest.raises(ConfigError, match="unknown roughness model"):
        chord_roughness(torch.ones(2), torch.ones(2), torch.ones(2), model="plomp")


def random_chord(seed: int, batch: int = 3) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    f0 = (150 + 300 * torch.rand(batch, 3, generator=g, dtype=F64)).requires_grad_()
    ratios = torch.tensor([1.0, 2.01, 2.97, 4.1, 5.3], dtype=F64)
    amps = (0.2 + torch.rand(5, generator=g, dtype=F64)).requires_grad_()  # distinct: no min ties
    va = (0.3 + torch.rand(batch, 3, generator=g, dtype=F64)).requires_grad_()
    return f0, ratios, amps, va


@pytest.mark.parametrize("model", list(MODELS))
def test_gradcheck_spectrum_kernels(model):
    g = torch.Generator().manual_seed(1)
    freqs = (200 + 400 * torch.rand(2, 7, generator=g, dtype=F64)).requires_grad_()
    amps = (0.1 + torch.rand(2, 7, generator=g, dtype=F64)).requires_grad_()
    assert torch.autograd.gradcheck(lambda f, a: roughness(f, a, model=model), (freqs, amps))


@pytest.mark.parametrize("model", list(MODELS))
def test_gradcheck_chord_roughness(model):
    f0, ratios, amps, va = random_chord(2)
    assert torch.autograd.gradcheck(
        lambda f, a: chord_roughness(f, ratios, a, model=model), (f0, amps)
    )
    assert torch.autograd.gradcheck(
        lambda f, a, v: chord_roughness(f, ratios, a, model=model, voice_amplitudes=v),
        (f0, amps, va),
    )


@pytest.mark.parametrize("model", list(MODELS))
def test_chord_gradients_equal_pooled_gradients(model):
    f0, ratios, amps, va = random_chord(5, batch=6)
    fast = chord_roughness(f0, ratios, amps, model=model, voice_amplitudes=va).sum()
    slow = roughness(*chord_partials(f0, ratios, amps, va), model=model).sum()
    for fast_g, slow_g in zip(
        torch.autograd.grad(fast, (f0, amps, va)),
        torch.autograd.grad(slow, (f0, amps, va)),
        strict=True,
    ):
        torch.testing.assert_close(fast_g, slow_g, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("model", list(MODELS))
def test_cuda_matches_cpu(model, cuda_device):
    f0, ratios, amps, va = (t.detach() for t in random_chord(7, batch=64))
    cpu = chord_roughness(f0, ratios, amps, model=model, voice_amplitudes=va)
    gpu = chord_roughness(
        f0.to(cuda_device),
        ratios.to(cuda_device),
        amps.to(cuda_device),
        model=model,
        voice_amplitudes=va.to(cuda_device),
    )
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-12, atol=0)
    freqs, pooled = chord_partials(f0, ratios, amps, va)
    torch.testing.assert_close(
        roughness(freqs.to(cuda_device), pooled.to(cuda_device), model=model).cpu(),
        cpu,
        rtol=1e-12,
        atol=0,
    )
    f = f0.float().to(cuda_device).requires_grad_()
    chord_roughness(
        f, ratios.float().to(cuda_device), amps.float().to(cuda_device), model=model
    ).sum().backward()
    assert f.grad is not None and bool(torch.isfinite(f.grad).all())


@pytest.mark.parametrize("model", list(MODELS))
def test_eager_chunks_equal_one_pass(model, monkeypatch):
    """Large batches are evaluated in chunks (weights from voice gains built per chunk)."""
    from xentune.psychoacoustics import roughness as module

    f0, ratios, amps, va = (t.detach() for t in random_chord(9, batch=37))
    whole = chord_roughness(f0, ratios, amps, model=model, voice_amplitudes=va)
    monkeypatch.setattr(module, "_EAGER_CHUNK_PAIRS", 100)  # one chord (105 pairs) per chunk
    chunked = chord_roughness(f0, ratios, amps, model=model, voice_amplitudes=va)
    torch.testing.assert_close(chunked, whole, rtol=1e-14, atol=0)
    pooled = roughness(*chord_partials(f0, ratios, amps, va), model=model)
    torch.testing.assert_close(chunked, pooled, rtol=1e-12, atol=0)
