"""Composite dissonance vs roughness alone, forward + backward, the training case, same run.

Run: ``nice -n 5 .venv/bin/python -m pytest benchmarks/bench_composite.py --benchmark-only -q``

Group ``256x8x16 fwd+bwd: composite vs roughness``: the training case of
``bench_roughness.py`` (256 chords of 8 voices x 16 partials, amplitudes 0.88^(n-1),
fundamentals log-uniform in 65-1040 Hz), value and gradient w.r.t. the fundamentals, float32,
eager (no ``torch.compile``), as the generator's energy calls it. The baseline is the energy's
default roughness (``sethares``, `chord_roughness`); beside it the composite's own roughness term
(``hutchinson``) and its harmonicity term (KL), then the composite. The "speed-up" column reads
below 1 where an entry is slower than the baseline: the composite's cost is its inverse.
Every result is checked against a float64 evaluation after timing.

Group ``energy fwd+bwd ...``: the generator's actual step, `Energy` with its defaults on a
training batch (128 pieces of 4 voices x 8 chords, timbre ``harmonic``: 6 partials), value and
gradient, default energy (``sethares``) against ``consonance_model="composite"``. With few
partials the roughness is cheap and the composite's harmonicity (an inverse FFT of 1200 bins per
chord and per melodic dyad) dominates.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from xentune.psychoacoustics.composite import composite_dissonance
from xentune.psychoacoustics.harmonicity import chord_harmonicity
from xentune.psychoacoustics.roughness import chord_roughness

TRAIN_CHORDS, TRAIN_VOICES, TRAIN_PARTIALS = 256, 8, 16
GROUP = "256x8x16 fwd+bwd: composite vs roughness"

Kernel = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]

KERNELS: dict[str, Kernel] = {
    "sethares": lambda f, r, a: chord_roughness(f, r, a, model="sethares"),
    "hutchinson": lambda f, r, a: chord_roughness(f, r, a, model="hutchinson"),
    "harmonicity": lambda f, r, a: chord_harmonicity(f, r, a, kind="kl"),
    "composite": composite_dissonance,
}


@pytest.fixture(scope="module")
def train_chords() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    f0 = 65.0 * 2 ** (4 * torch.rand(TRAIN_CHORDS, TRAIN_VOICES, generator=g))  # 65-1040 Hz
    n = torch.arange(1, TRAIN_PARTIALS + 1, dtype=torch.float32)
    return {"f0": f0, "ratios": n, "amps": 0.88 ** (n - 1)}


def _fwd_bwd(
    fn: Kernel, f0: torch.Tensor, r: torch.Tensor, a: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    f = f0.detach().requires_grad_()
    value = fn(f, r, a)  # (B,)
    (grad,) = torch.autograd.grad(value.sum(), f)  # (B, V)
    return value.detach(), grad


@pytest.mark.parametrize("name", list(KERNELS))
def test_train_step(benchmark, speedups, cpu_seconds, train_chords, name: str) -> None:
    fn = KERNELS[name]
    f0, r, a = train_chords["f0"], train_chords["ratios"], train_chords["amps"]

    def step() -> tuple[torch.Tensor, torch.Tensor]:
        return _fwd_bwd(fn, f0, r, a)

    value, grad = benchmark.pedantic(step, rounds=8, warmup_rounds=1)
    label = {"sethares": "roughness alone (sethares)"}.get(name, name)
    speedups.add(
        GROUP,
        label,
        benchmark,
        items=TRAIN_CHORDS,
        baseline=name == "sethares",
        cpu_s=cpu_seconds(step),
    )
    want_value, want_grad = _fwd_bwd(fn, f0.double(), r.double(), a.double())
    torch.testing.assert_close(value.double(), want_value, rtol=1e-4, atol=1e-5)
    scale = float(want_grad.abs().max())
    torch.testing.assert_close(grad.double(), want_grad, rtol=1e-3, atol=1e-4 * scale)


# ------------------------------------------------------------------------------------------
# The generator's own step: the whole energy of a training batch with the default settings.

ENERGY_GROUP = "energy fwd+bwd, 128 pieces x 4 voices x 8 steps, harmonic (6 partials)"


@pytest.mark.parametrize("consonance", [None, "composite"])
def test_energy_step(benchmark, speedups, cpu_seconds, consonance: str | None) -> None:
    from xentune.generator.energy import Energy, EnergyConfig
    from xentune.timbre import parse_timbre

    energy = Energy(parse_timbre("harmonic"), EnergyConfig(consonance_model=consonance))
    g = torch.Generator().manual_seed(0)
    cents = torch.rand(128, 4, 8, generator=g) * 2400.0 - 600.0  # (B, V, T) cents

    def step() -> torch.Tensor:
        x = cents.detach().requires_grad_()
        energy(x).sum().backward()
        assert x.grad is not None
        return x.grad

    grad = benchmark.pedantic(step, rounds=5, warmup_rounds=1)
    label = "energy, sethares (default)" if consonance is None else "energy, --consonance composite"
    speedups.add(
        ENERGY_GROUP,
        label,
        benchmark,
        items=128,
        baseline=consonance is None,
        cpu_s=cpu_seconds(step),
    )
    assert bool(torch.isfinite(grad).all()) and float(grad.abs().sum()) > 0
