"""Roughness speed: ours batched vs a per-chord loop of PyPI ``dissonant``, and the training case.

Run: ``nice -n 5 .venv/bin/python -m pytest benchmarks/bench_roughness.py --benchmark-only -q``

Group ``4096x4x10``: 4096 chords of 4 voices x 10 harmonic partials (amplitudes 0.88^n, n = 1..10,
as ``dissonant.harmonic_tone``), fundamentals log-uniform in 110-880 Hz; 780 pairs per chord.
The baseline is ``dissonant.dissonance`` called once per chord (its only API; it has no batch
axis) with its ``Sethares1993`` model given the paper's constants s1 = 0.021, s2 = 19 (same code,
same speed) so that its numbers can be checked against ours (``sethares1993``) after timing.

Group ``256x8x16 fwd+bwd``: the generator's training step, 256 chords of 8 voices x 16 partials
(8128 pairs per chord), forward and gradient w.r.t. the fundamentals, model ``sethares``. The
baseline is the simple eager kernel on the pooled spectrum, ``roughness(*chord_partials(...))``.

Every result is checked against its baseline after timing.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xentune.psychoacoustics.pool import chord_partials
from xentune.psychoacoustics.roughness import chord_roughness, roughness, sethares1993_roughness

N_CHORDS, N_VOICES, N_PARTIALS = 4096, 4, 10
TRAIN_CHORDS, TRAIN_VOICES, TRAIN_PARTIALS = 256, 8, 16


@pytest.fixture(scope="module")
def chords() -> dict[str, object]:
    g = torch.Generator().manual_seed(0)
    f0 = 110.0 * 2 ** (3 * torch.rand(N_CHORDS, N_VOICES, generator=g, dtype=torch.float64))
    n = torch.arange(1, N_PARTIALS + 1, dtype=torch.float64)
    amps = 0.88**n  # dissonant.harmonic_tone(profile="exp")
    freqs64, amps64 = chord_partials(f0, n, amps)  # (4096, 40)
    reference = sethares1993_roughness(freqs64, amps64)  # float64, paper constants
    f_np, a_np = freqs64.numpy(), amps64.numpy()
    # x of every pair in critical-band units: how much a pair cut-off could skip (informative).
    i, j = torch.triu_indices(40, 40, 1)
    lo = torch.minimum(freqs64[:, i], freqs64[:, j])
    x = 0.24 * (freqs64[:, i] - freqs64[:, j]).abs() / (0.021 * lo + 19.0)
    return {
        "f0": f0.float(),
        "ratios": n.float(),
        "amps": amps.float(),
        "lists": [(f_np[k].copy(), a_np[k].copy()) for k in range(N_CHORDS)],
        "reference": reference,
        "far_fraction": float((x > 4.6).double().mean()),
    }


def _dissonant_paper_model() -> object:
    dissonant = pytest.importorskip("dissonant")

    class Paper1993(dissonant.models.Sethares1993):  # the JASA 1993 band constants
        s_1 = 0.021
        s_2 = 19.0

    return Paper1993()


def test_dissonant_per_chord_loop(benchmark, speedups, cpu_seconds, chords):
    dissonant = pytest.importorskip("dissonant")
    model = _dissonant_paper_model()
    lists = chords["lists"]

    def loop() -> np.ndarray:
        return np.array([dissonant.dissonance(f, a, model=model) for f, a in lists])

    values = benchmark.pedantic(loop, rounds=3, iterations=1, warmup_rounds=0)
    speedups.add(
        "4096x4x10",
        "dissonant per-chord loop",
        benchmark,
        items=N_CHORDS,
        baseline=True,
        cpu_s=cpu_seconds(loop, repeats=2),
    )
    np.testing.assert_allclose(values, chords["reference"].numpy(), rtol=1e-12, atol=0)
    speedups.note(
        f"4096x4x10: {chords['far_fraction']:.1%} of pairs lie beyond x = 4.6 critical-band units "
        "(term < 1e-7 of its weight); no cut-off is applied, every pair is computed."
    )


def test_ours_simple_eager(benchmark, speedups, cpu_seconds, chords):
    f0, r, a = chords["f0"], chords["ratios"], chords["amps"]

    def fn() -> torch.Tensor:
        return roughness(*chord_partials(f0, r, a), model="sethares1993")

    values = benchmark.pedantic(fn, rounds=10, warmup_rounds=1)
    speedups.add(
        "4096x4x10", "ours: simple eager (pooled)", benchmark, items=N_CHORDS, cpu_s=cpu_seconds(fn)
    )
    torch.testing.assert_close(values.double(), chords["reference"], rtol=1e-5, atol=0)


def test_ours_chord_eager(benchmark, speedups, cpu_seconds, chords):
    f0, r, a = chords["f0"], chords["ratios"], chords["amps"]

    def fn() -> torch.Tensor:
        return chord_roughness(f0, r, a, model="sethares1993")

    values = benchmark.pedantic(fn, rounds=10, warmup_rounds=1)
    speedups.add(
        "4096x4x10", "ours: chord_roughness eager", benchmark, items=N_CHORDS, cpu_s=cpu_seconds(fn)
    )
    torch.testing.assert_close(values.double(), chords["reference"], rtol=1e-5, atol=0)


# ------------------------------------------------------------------------------------------
# The training case: forward + backward.


@pytest.fixture(scope="module")
def train_chords() -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(1)
    f0 = 65.0 * 2 ** (4 * torch.rand(TRAIN_CHORDS, TRAIN_VOICES, generator=g))  # 65-1040 Hz
    n = torch.arange(1, TRAIN_PARTIALS + 1, dtype=torch.float32)
    amps = 0.88 ** (n - 1)
    f = f0.double().requires_grad_()
    value = roughness(*chord_partials(f, n.double(), amps.double()))
    (grad,) = torch.autograd.grad(value.sum(), f)
    return {"f0": f0, "ratios": n, "amps": amps, "value": value.detach(), "grad": grad}


def _fwd_bwd(fn, f0: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    f = f0.detach().requires_grad_()
    value = fn(f)
    (grad,) = torch.autograd.grad(value.sum(), f)
    return value.detach(), grad


def _check(result: tuple[torch.Tensor, torch.Tensor], train: dict[str, torch.Tensor]) -> None:
    value, grad = result
    torch.testing.assert_close(value.double(), train["value"], rtol=1e-5, atol=0)
    scale = float(train["grad"].abs().max())
    torch.testing.assert_close(grad.double(), train["grad"], rtol=1e-4, atol=1e-5 * scale)


def test_train_simple_eager(benchmark, speedups, cpu_seconds, train_chords):
    r, a = train_chords["ratios"], train_chords["amps"]

    def step() -> tuple[torch.Tensor, torch.Tensor]:
        return _fwd_bwd(lambda f: roughness(*chord_partials(f, r, a)), train_chords["f0"])

    result = benchmark.pedantic(step, rounds=8, warmup_rounds=1)
    speedups.add(
        "256x8x16 fwd+bwd",
        "simple eager kernel (pooled)",
        benchmark,
        items=TRAIN_CHORDS,
        baseline=True,
        cpu_s=cpu_seconds(step),
    )
    _check(result, train_chords)


def test_train_chord_eager(benchmark, speedups, cpu_seconds, train_chords):
    r, a = train_chords["ratios"], train_chords["amps"]

    def step() -> tuple[torch.Tensor, torch.Tensor]:
        return _fwd_bwd(lambda f: chord_roughness(f, r, a), train_chords["f0"])

    result = benchmark.pedantic(step, rounds=8, warmup_rounds=1)
    speedups.add(
        "256x8x16 fwd+bwd",
        "ours: chord_roughness eager",
        benchmark,
        items=TRAIN_CHORDS,
        cpu_s=cpu_seconds(step),
    )
    _check(result, train_chords)
