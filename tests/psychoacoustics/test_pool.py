"""Pooling the partials of a chord: layout, gains, batching, gradients."""

from __future__ import annotations

import torch

from xentune.psychoacoustics.pool import chord_partials

F64 = torch.float64


def test_voice_major_layout_and_values():
    f0 = torch.tensor([100.0, 150.0], dtype=F64)
    ratios = torch.tensor([1.0, 2.0, 3.5], dtype=F64)
    amps = torch.tensor([1.0, 0.5, 0.25], dtype=F64)
    freqs, pooled = chord_partials(f0, ratios, amps)
    assert freqs.tolist() == [100.0, 200.0, 350.0, 150.0, 300.0, 525.0]
    assert pooled.tolist() == [1.0, 0.5, 0.25, 1.0, 0.5, 0.25]


def test_voice_amplitudes_scale_each_voice():
    f0 = torch.tensor([[100.0, 150.0, 220.0]])
    ratios = torch.tensor([1.0, 2.0])
    amps = torch.tensor([1.0, 0.5])
    _, pooled = chord_partials(f0, ratios, amps, torch.tensor([[2.0, 0.0, 1.0]]))
    assert pooled.tolist() == [[2.0, 1.0, 0.0, 0.0, 1.0, 0.5]]


def test_leading_dims_match_one_by_one():
    g = torch.Generator().manual_seed(0)
    f0 = 100 + 400 * torch.rand(2, 3, 4, generator=g, dtype=F64)
    va = torch.rand(2, 3, 4, generator=g, dtype=F64)
    ratios = torch.tensor([1.0, 2.1, 2.9], dtype=F64)
    amps = torch.tensor([1.0, 0.6, 0.3], dtype=F64)
    freqs, pooled = chord_partials(f0, ratios, amps, va)
    assert freqs.shape == pooled.shape == (2, 3, 12)
    for i in range(2):
        for j in range(3):
            f1, a1 = chord_partials(f0[i, j], ratios, amps, va[i, j])
            assert torch.equal(f1, freqs[i, j]) and torch.equal(a1, pooled[i, j])


def test_gradients_flow_to_fundamentals_and_gains():
    f0 = torch.tensor([[110.0, 165.0]], dtype=F64, requires_grad=True)
    va = torch.tensor([[0.7, 1.2]], dtype=F64, requires_grad=True)
    ratios = torch.tensor([1.0, 2.0, 3.0], dtype=F64)
    amps = torch.tensor([1.0, 0.5, 0.3], dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda f, a, v: torch.cat(chord_partials(f, ratios, a, v), -1), (f0, amps, va)
    )
