"""Spectral pitch similarity: against a binned cosine, the pairwise definition, gradcheck, timbre sanity."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.psychoacoustics.similarity import (
    SIGMA_CENTS,
    chord_spectral_similarity,
    spectral_pitch_similarity,
)

N = torch.arange(1.0, 11.0, dtype=torch.float64)
AMPS = N**-0.5  # 10 partials rolling off at 3 dB per octave


def _binned_cosine(
    cents_a: list[float], amps_a: list[float], cents_b: list[float], amps_b: list[float]
) -> float:
    """The obvious version: sample both smoothed spectra on a 0.1-cent grid, take the cosine."""
    lo = min(cents_a + cents_b) - 12 * SIGMA_CENTS
    hi = max(cents_a + cents_b) + 12 * SIGMA_CENTS
    x = np.arange(lo, hi, 0.1)

    def spectrum(cents: list[float], amps: list[float]) -> np.ndarray:
        out = np.zeros_like(x)
        for c, a in zip(cents, amps, strict=True):
            out += a * np.exp(-0.5 * ((x - c) / SIGMA_CENTS) ** 2)
        return out

    sa, sb = spectrum(cents_a, amps_a), spectrum(cents_b, amps_b)
    return float(sa @ sb / math.sqrt((sa @ sa) * (sb @ sb)))


def _cents(freqs: torch.Tensor) -> list[float]:
    return (1200.0 * torch.log2(freqs)).tolist()


@pytest.mark.parametrize("interval_cents", [0.0, 3.0, 386.3, 700.0, 1200.0, 1284.4])
def test_closed_form_equals_binned_cosine(interval_cents: float) -> None:
    fa = 220.0 * N
    fb = 220.0 * 2 ** (interval_cents / 1200) * N**1.07
    value = spectral_pitch_similarity(fa, AMPS, fb, AMPS)
    want = _binned_cosine(_cents(fa), AMPS.tolist(), _cents(fb), AMPS.tolist())
    assert float(value) == pytest.approx(want, abs=1e-6)


def test_identical_spectra_are_one_and_symmetric() -> None:
    fa, fb = 200.0 * N, 300.0 * N**1.02
    assert float(spectral_pitch_similarity(fa, AMPS, fa, AMPS)) == pytest.approx(1.0, abs=1e-12)
    ab = spectral_pitch_similarity(fa, AMPS, fb, AMPS)
    ba = spectral_pitch_similarity(fb, AMPS, fa, AMPS)
    assert float(ab) == pytest.approx(float(ba), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(
    f0=st.lists(st.floats(60.0, 1500.0), min_size=2, max_size=5),
    stretch=st.floats(0.9, 1.1),
)
def test_chord_form_is_the_mean_over_voice_pairs(f0: list[float], stretch: float) -> None:
    ratios = N**stretch
    f = torch.tensor(f0, dtype=torch.float64)
    want = np.mean(
        [
            float(spectral_pitch_similarity(f[i] * ratios, AMPS, f[j] * ratios, AMPS))
            for i in range(len(f0))
            for j in range(i + 1, len(f0))
        ]
    )
    got = float(chord_spectral_similarity(f, ratios, AMPS))
    assert got == pytest.approx(want, rel=1e-10, abs=1e-14)
    assert -1e-12 <= got <= 1.0 + 1e-12


def test_transposition_and_amplitude_scale_invariant() -> None:
    f0 = torch.tensor([261.63, 329.63, 392.0], dtype=torch.float64)
    base = chord_spectral_similarity(f0, N, AMPS)
    assert float(chord_spectral_similarity(f0 * 1.37, N, AMPS)) == pytest.approx(float(base))
    assert float(chord_spectral_similarity(f0, N, 5.0 * AMPS)) == pytest.approx(float(base))


@pytest.mark.parametrize(("octave", "best"), [(2.0, 1200.0), (2.1, 1284.4), (1.9, 1111.2)])
def test_peak_follows_the_timbre(octave: float, best: float) -> None:
    # Partials k^log2(A) of two tones A apart coincide: the octave-like peak moves with A.
    ratios = N ** math.log2(octave)
    cents = torch.arange(1000.0, 1400.0, 0.5, dtype=torch.float64)
    f0 = torch.stack([torch.full_like(cents, 200.0), 200.0 * torch.exp2(cents / 1200)], -1)
    s = chord_spectral_similarity(f0, ratios, AMPS)
    assert float(cents[s.argmax()]) == pytest.approx(best, abs=0.5)


def test_batched_equals_one_by_one(device: torch.device) -> None:
    g = torch.Generator().manual_seed(1)
    f0 = 100.0 * 2 ** (3 * torch.rand(3, 5, 4, generator=g, dtype=torch.float64))
    f0 = f0.to(device)
    batched = chord_spectral_similarity(f0, N.to(device), AMPS.to(device))
    assert batched.shape == (3, 5) and batched.device == f0.device
    for i in range(3):
        for j in range(5):
            one = chord_spectral_similarity(f0[i, j], N.to(device), AMPS.to(device))
            assert one.shape == ()
            assert float(one) == pytest.approx(float(batched[i, j]), rel=1e-12)


def test_one_voice_and_dtype() -> None:
    out = chord_spectral_similarity(torch.tensor([[200.0], [300.0]]), N.float(), AMPS.float())
    assert out.shape == (2,) and out.dtype == torch.float32 and bool((out == 1).all())
    f0 = torch.tensor([200.0, 300.0])
    assert chord_spectral_similarity(f0, N.float(), AMPS.float()).dtype == torch.float32
    assert chord_spectral_similarity(f0, N, AMPS).dtype == torch.float64


def test_gradcheck() -> None:
    f0 = torch.tensor([[200.0, 301.0, 455.0]], dtype=torch.float64, requires_grad=True)
    ratios = N[:5].clone().requires_grad_(True)
    amps = AMPS[:5].clone().requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda f, r, a: chord_spectral_similarity(f, r, a), (f0, ratios, amps)
    )
    fa = (200.0 * N[:4]).requires_grad_(True)
    fb = (297.0 * N[:4]).requires_grad_(True)
    assert torch.autograd.gradcheck(
        lambda x, y, a: spectral_pitch_similarity(x, a, y, a), (fa, fb, amps[:4])
    )


def test_runs_on_cuda(cuda_device: torch.device) -> None:
    f0 = torch.tensor([[200.0, 300.0, 450.0]], dtype=torch.float64)
    cpu = chord_spectral_similarity(f0, N, AMPS)
    gpu = chord_spectral_similarity(f0.to(cuda_device), N.to(cuda_device), AMPS.to(cuda_device))
    assert gpu.device.type == "cuda"
    assert float(gpu.cpu()) == pytest.approx(float(cpu), rel=1e-10)
