"""Template-matching harmonicity: against a slow obvious version, incon's values, gradcheck, sanity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.errors import ConfigError
from xentune.psychoacoustics.harmonicity import (
    chord_harmonicity,
    harmonic_template,
    harmonicity,
    pitch_class_spectrum,
    virtual_pitch_profile,
)
from xentune.units import DEFAULT_REFERENCE_HZ

SIGMA = 6.83


def _midi_hz(midi: list[float]) -> np.ndarray:
    return 440.0 * 2.0 ** ((np.asarray(midi, dtype=float) - 69.0) / 12.0)


# ------------------------------------------------------------------------------------------------
# The slow, obvious implementation: one partial, one bin, one rotation at a time.


def _slow_spectrum(
    pcs_cents: list[float],
    weights: list[float],
    *,
    sigma: float = SIGMA,
    round_to_bins: bool = False,
) -> np.ndarray:
    """Sum of Gaussian densities on a 1200-bin circle, truncated at 12 sigma (hrep's rule).

    With ``round_to_bins`` each partial is first moved to the nearest cent, as hrep does.
    """
    out = np.zeros(1200)
    limit = math.floor(12 * sigma)
    for c, w in zip(pcs_cents, weights, strict=True):
        c = c % 1200.0
        if round_to_bins:
            c = float(round(c))
        for g in range(1200):
            d = (g - c + 600.0) % 1200.0 - 600.0  # circular distance in cents
            if abs(d) <= limit + (0.0 if round_to_bins else 0.5):
                out[g] += w * math.exp(-0.5 * (d / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    return out


def _slow_template(n_harmonics: int, rho: float, *, round_to_bins: bool = False) -> np.ndarray:
    pcs = [1200 * math.log2(n) for n in range(1, n_harmonics + 1)]
    return _slow_spectrum(
        pcs, [n**-rho for n in range(1, n_harmonics + 1)], round_to_bins=round_to_bins
    )


def _slow_sweep(x: np.ndarray, template: np.ndarray) -> np.ndarray:
    """incon's legacy ``sweep_template``: cosine similarity of the template with x rotated by i."""
    res = np.zeros(1200)
    for i in range(1200):
        rotated = x[(np.arange(1200) + i) % 1200]
        res[i] = template @ rotated / (np.linalg.norm(template) * np.linalg.norm(rotated))
    return res


def _slow_harmonicity(
    freqs_hz: list[float],
    amps: list[float],
    *,
    kind: str,
    n_harmonics: int = 12,
    rho: float = 0.75,
    round_to_bins: bool = False,
) -> float:
    pcs = [1200 * math.log2(f / DEFAULT_REFERENCE_HZ) for f in freqs_hz]
    profile = _slow_sweep(
        _slow_spectrum(pcs, amps, round_to_bins=round_to_bins),
        _slow_template(n_harmonics, rho, round_to_bins=round_to_bins),
    )
    if kind == "peak":
        return float(profile.max())
    p = profile / profile.sum()
    p = p[p > 0]
    return float((p * np.log2(p * 1200)).sum())


def _hrep_chord(midi: list[int], n_harmonics: int) -> tuple[list[float], list[float]]:
    """hrep's expansion of a chord: every tone gets harmonics 1..n with weights n^-0.75."""
    freqs, amps = [], []
    for f0 in _midi_hz(midi):
        for n in range(1, n_harmonics + 1):
            freqs.append(f0 * n)
            amps.append(n**-0.75)
    return freqs, amps


# ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "published"),
    [("kl", 0.9285886), ("peak", 0.7021341)],
)
def test_slow_reference_reproduces_incon_regression_values(kind: str, published: float) -> None:
    # incon tests/testthat/test-regression-tests.R: c(60, 64, 67) with incon's defaults
    # (11 harmonics, rho 0.75, sigma 6.83): har_18 0.9285886, milne_13 0.7021341. This checks
    # that the slow version in this file is the published algorithm (with hrep's rounding).
    freqs, amps = _hrep_chord([60, 64, 67], 11)
    value = _slow_harmonicity(freqs, amps, kind=kind, n_harmonics=11, round_to_bins=True)
    assert value == pytest.approx(published, abs=1e-6)


@pytest.mark.parametrize(
    ("kind", "published", "rel"),
    [("kl", 0.9285886, 6e-3), ("peak", 0.7021341, 2e-3)],
)
def test_kernel_close_to_incon_without_rounding(kind: str, published: float, rel: float) -> None:
    # Our kernel keeps continuous pitch (hrep rounds every harmonic to a whole cent: the 3rd, 5th
    # and 7th move by 0.05, 0.31, 0.17 cents), so it agrees to the size of that rounding only.
    ratios = torch.arange(1.0, 12.0, dtype=torch.float64)
    f0 = torch.tensor(_midi_hz([60, 64, 67]))
    value = chord_harmonicity(f0, ratios, ratios**-0.75, kind=kind, n_harmonics=11)
    assert float(value) == pytest.approx(published, rel=rel)


@settings(max_examples=15, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.floats(50.0, 4000.0), st.floats(0.01, 1.0)),
        min_size=1,
        max_size=6,
    ),
    kind=st.sampled_from(["peak", "kl"]),
)
def test_matches_slow_implementation(data: list[tuple[float, float]], kind: str) -> None:
    freqs = [f for f, _ in data]
    amps = [a for _, a in data]
    expected = _slow_harmonicity(freqs, amps, kind=kind)
    got = harmonicity(
        torch.tensor(freqs, dtype=torch.float64), torch.tensor(amps, dtype=torch.float64), kind=kind
    )
    assert float(got) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_spectrum_and_profile_match_slow() -> None:
    freqs = [300.0, 451.3, 777.7]
    amps = [1.0, 0.5, 0.25]
    pcs = [1200 * math.log2(f / DEFAULT_REFERENCE_HZ) for f in freqs]
    spec = pitch_class_spectrum(
        torch.tensor(freqs, dtype=torch.float64), torch.tensor(amps, dtype=torch.float64)
    )
    np.testing.assert_allclose(spec.numpy(), _slow_spectrum(pcs, amps), atol=1e-15)
    template = harmonic_template(dtype=torch.float64)
    np.testing.assert_allclose(template.numpy(), _slow_template(12, 0.75), atol=1e-15)
    profile = virtual_pitch_profile(
        torch.tensor(freqs, dtype=torch.float64), torch.tensor(amps, dtype=torch.float64)
    )
    np.testing.assert_allclose(
        profile.numpy(),
        _slow_sweep(_slow_spectrum(pcs, amps), _slow_template(12, 0.75)),
        atol=1e-12,
    )
    # Mass: each partial contributes its amplitude (the Gaussian integrates to 1 on a 1-cent grid).
    assert float(spec.sum()) == pytest.approx(sum(amps), rel=1e-9)


@pytest.mark.parametrize("kind", ["peak", "kl"])
def test_batched_equals_looped(kind: str, device: torch.device) -> None:
    gen = torch.Generator().manual_seed(3)
    freqs = 100.0 + 2000.0 * torch.rand(2, 3, 8, generator=gen, dtype=torch.float64)
    amps = torch.rand(2, 3, 8, generator=gen, dtype=torch.float64)
    batched = harmonicity(freqs.to(device), amps.to(device), kind=kind).cpu()
    assert batched.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            one = harmonicity(freqs[i, j], amps[i, j], kind=kind)
            assert float(batched[i, j]) == pytest.approx(float(one), rel=1e-10)


@pytest.mark.parametrize("kind", ["peak", "kl"])
def test_gradcheck(kind: str) -> None:
    freqs = torch.tensor([261.0, 392.5, 523.0, 660.7], dtype=torch.float64, requires_grad=True)
    amps = torch.tensor([1.0, 0.6, 0.5, 0.3], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda f, a: harmonicity(f, a, kind=kind), (freqs, amps), atol=1e-6, rtol=1e-4
    )


def test_gradcheck_chord() -> None:
    f0 = torch.tensor(
        [[261.6, 329.0, 392.2], [220.0, 277.0, 330.1]], dtype=torch.float64, requires_grad=True
    )
    ratios = torch.arange(1.0, 7.0, dtype=torch.float64)
    amps = (0.88 ** torch.arange(6.0, dtype=torch.float64)).requires_grad_()
    assert torch.autograd.gradcheck(
        lambda f, a: chord_harmonicity(f, ratios, a, kind="kl"), (f0, amps)
    )


def test_gradient_points_towards_the_harmonic() -> None:
    # A third partial slightly flat of 3 f0: increasing its frequency must raise harmonicity.
    freqs = torch.tensor([200.0, 400.0, 597.0, 800.0], dtype=torch.float64, requires_grad=True)
    amps = torch.tensor([1.0, 0.6, 0.5, 0.4], dtype=torch.float64)
    harmonicity(freqs, amps, kind="peak").backward()
    assert freqs.grad is not None and freqs.grad[2] > 0


@pytest.mark.parametrize("kind", ["peak", "kl"])
def test_harmonic_beats_inharmonic(kind: str) -> None:
    n = torch.arange(1.0, 11.0, dtype=torch.float64)
    amps = 1.0 / n
    harmonic = harmonicity(220.0 * n, amps, kind=kind)
    stretched = harmonicity(220.0 * n**1.07, amps, kind=kind)
    bar = harmonicity(
        220.0 * torch.tensor([1.0, 2.7565, 5.4039, 8.9330], dtype=torch.float64),
        amps[:4],
        kind=kind,
    )
    assert harmonic > stretched
    assert harmonic > bar


@pytest.mark.parametrize("kind", ["peak", "kl"])
def test_dyad_order_for_harmonic_tones(kind: str) -> None:
    ratios = torch.arange(1.0, 11.0, dtype=torch.float64)
    amps = 1.0 / ratios
    just = {"octave": 2.0, "fifth": 1.5, "tritone": 45 / 32, "minor second": 16 / 15}
    f0 = torch.tensor([[261.63, 261.63 * r] for r in just.values()], dtype=torch.float64)  # (4, 2)
    h = dict(zip(just, chord_harmonicity(f0, ratios, amps, kind=kind).tolist(), strict=True))
    assert min(h["octave"], h["fifth"]) > max(h["tritone"], h["minor second"])
    assert h["octave"] > h["fifth"]


def test_invariant_to_transposition_and_amplitude_scale() -> None:
    n = torch.arange(1.0, 11.0, dtype=torch.float64)
    freqs = torch.cat([261.63 * n, 261.63 * 1.25 * n])
    amps = torch.cat([1 / n, 1 / n])
    base = harmonicity(freqs, amps, kind="kl")
    # Whole-cent transpositions are exact; fractional ones move the grid by < half a bin.
    assert float(harmonicity(freqs * 2 ** (7 / 1200), amps, kind="kl")) == pytest.approx(
        float(base), rel=1e-9
    )
    assert float(harmonicity(freqs * 2 ** (7.37 / 1200), amps, kind="kl")) == pytest.approx(
        float(base), rel=1e-3
    )
    assert float(harmonicity(freqs, 3.0 * amps, kind="kl")) == pytest.approx(float(base), rel=1e-9)


def test_silent_partials_change_nothing() -> None:
    freqs = torch.tensor([200.0, 300.0, 457.0], dtype=torch.float64)
    amps = torch.tensor([1.0, 0.5, 0.0], dtype=torch.float64)
    assert float(harmonicity(freqs, amps)) == pytest.approx(
        float(harmonicity(freqs[:2], amps[:2])), rel=1e-12
    )


def test_float32_close_to_float64() -> None:
    n = torch.arange(1.0, 9.0, dtype=torch.float64)
    f0 = torch.tensor([[261.63, 327.0, 392.0]], dtype=torch.float64)
    for kind in ("peak", "kl"):
        v64 = chord_harmonicity(f0, n, 1 / n, kind=kind)
        v32 = chord_harmonicity(f0.float(), n.float(), 1 / n.float(), kind=kind)
        assert v32.dtype == torch.float32
        assert float(v32) == pytest.approx(float(v64), rel=1e-4)


def test_unknown_kind() -> None:
    with pytest.raises(ConfigError, match="unknown harmonicity kind 'max'"):
        harmonicity(torch.tensor([100.0]), torch.tensor([1.0]), kind="max")


def test_runs_on_cuda(cuda_device: torch.device) -> None:
    n = torch.arange(1.0, 11.0)
    f0 = torch.tensor([[261.63, 392.0], [261.63, 277.2]])
    cpu = chord_harmonicity(f0, n, 1 / n, kind="kl")
    gpu = chord_harmonicity(
        f0.to(cuda_device), n.to(cuda_device), (1 / n).to(cuda_device), kind="kl"
    )
    assert gpu.device.type == "cuda"
    torch.testing.assert_close(gpu.cpu(), cpu, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("kind", ["peak", "kl"])
def test_chord_fast_path_equals_pooled_partials(kind: str) -> None:
    from xentune.psychoacoustics.pool import chord_partials

    gen = torch.Generator().manual_seed(5)
    f0 = 100.0 + 400.0 * torch.rand(3, 2, 4, generator=gen, dtype=torch.float64)  # (3, 2, V=4)
    gains = torch.rand(3, 2, 4, generator=gen, dtype=torch.float64)
    gains[0, 0, 1] = 0.0  # a silent voice
    ratios = torch.tensor([1.0, 2.01, 2.98, 4.2, 5.0], dtype=torch.float64)
    amps = torch.tensor([1.0, 0.7, 0.5, 0.2, 0.1], dtype=torch.float64)
    fast = chord_harmonicity(f0, ratios, amps, voice_amplitudes=gains, kind=kind)
    slow = harmonicity(*chord_partials(f0, ratios, amps, gains), kind=kind)
    assert fast.shape == (3, 2)
    torch.testing.assert_close(fast, slow, rtol=1e-10, atol=1e-12)
    # The silent voice contributes nothing: same as the chord without it.
    gains3 = gains[0, 0, [0, 2, 3]]
    torch.testing.assert_close(
        chord_harmonicity(f0[0, 0, [0, 2, 3]], ratios, amps, voice_amplitudes=gains3, kind=kind),
        fast[0, 0],
        rtol=1e-10,
        atol=1e-12,
    )


def test_gradcheck_voice_amplitudes_and_ratios() -> None:
    f0 = torch.tensor([[261.6, 329.0, 392.2]], dtype=torch.float64, requires_grad=True)
    gains = torch.tensor([[1.0, 0.5, 0.8]], dtype=torch.float64, requires_grad=True)
    ratios = torch.tensor([1.0, 2.0, 3.01, 4.0], dtype=torch.float64, requires_grad=True)
    amps = torch.tensor([1.0, 0.5, 0.3, 0.2], dtype=torch.float64)
    assert torch.autograd.gradcheck(
        lambda f, g, r: chord_harmonicity(f, r, amps, voice_amplitudes=g, kind="kl"),
        (f0, gains, ratios),
    )


def test_profile_equals_sampled_spectra_correlated_directly() -> None:
    # Two independent routes: the closed-form Fourier profile, and the sampled (scatter) spectrum
    # and template correlated with an explicit FFT.
    freqs = torch.tensor([[220.0, 330.5, 441.0, 612.3]], dtype=torch.float64)
    amps = torch.tensor([[1.0, 0.5, 0.4, 0.2]], dtype=torch.float64)
    x = pitch_class_spectrum(freqs, amps)
    t = harmonic_template(dtype=torch.float64)
    corr = torch.fft.irfft(torch.fft.rfft(x) * torch.fft.rfft(t).conj(), n=1200)
    direct = corr / (x.norm(dim=-1, keepdim=True) * t.norm())
    torch.testing.assert_close(virtual_pitch_profile(freqs, amps), direct, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("kind", ["peak", "kl"])
def test_empty_batch(kind: str) -> None:
    # The melodic dyads of a one-step piece: shape (..., 0, 2). MKL's irfft rejects empty input.
    r = torch.arange(1.0, 6.0)
    out = chord_harmonicity(torch.full((3, 0, 2), 261.0), r, 1 / r, kind=kind)
    assert out.shape == (3, 0)
    assert harmonicity(torch.full((0, 4), 261.0), torch.ones(0, 4), kind=kind).shape == (0,)
