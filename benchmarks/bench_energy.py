"""Training's energy, forward + backward, with the roughness pair sum eager (as training runs) vs fused.

Run: ``nice -n 5 .venv/bin/python -m pytest benchmarks/bench_energy.py --benchmark-only -q``

The default ``generate`` trains on batches of 128 pieces of 4 voices x 8 steps with the
``harmonic`` timbre (6 partials) and the ``sethares`` model: one energy call evaluates 1024
chords of 4 voices and 3584 melodic dyads. Group ``energy 128x4x8 fwd+bwd`` times the whole
`Energy` and its gradient w.r.t. the pitches; group ``chords 1024x4x6 fwd+bwd`` the chord
roughness alone. The baseline is the eager path training uses; ``fused`` swaps in the compiled
kernel (``chord_dissonance(..., fused=True)``), compiled in an untimed warm-up. One intra-op
thread, as training sets. Values and
gradients are checked against the baseline after timing.

Measured 2026-12-04 on the 2-core CPU (torch 2.11, one thread, same run): energy fwd+bwd eager
17.6 ms, fused 5.2 ms (x3.4 median, x3.0 cpu); chords alone x3.5. But the compile warm-up took
49.9 s, and a whole default training (600 steps, ``/tmp/train_time.py`` in the issue-12 note)
took 18.8-23.8 s wall eager vs 39.7-46.9 s fused (warm inductor cache): the compile costs more
than the 600 steps save, so training stays eager and the fused path was removed after this run.
"""

from __future__ import annotations

import functools
import time
import warnings

import pytest
import torch

from xentune.generator import energy as energy_module
from xentune.generator.energy import Energy
from xentune.psychoacoustics.dissonance import chord_dissonance
from xentune.psychoacoustics.roughness import chord_roughness
from xentune.timbre import parse_timbre

BATCH, VOICES, STEPS = 128, 4, 8


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Training runs on one intra-op CPU thread (`xentune.generator.train`); so do we."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def pieces() -> dict[str, object]:
    g = torch.Generator().manual_seed(0)
    cents = -1500.0 + 3600.0 * torch.rand(BATCH, VOICES, STEPS, generator=g)  # (B, V, T) cents
    energy = Energy(parse_timbre("harmonic"))
    return {"cents": cents, "energy": energy, "results": {}}


def _fwd_bwd(fn, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().requires_grad_()
    value = fn(x)
    (grad,) = torch.autograd.grad(value.sum(), x)
    return value.detach(), grad


def _energy_step(energy: Energy, cents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    return _fwd_bwd(energy, cents)


def _chord_step(
    energy: Energy, cents: torch.Tensor, fused: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    f0 = energy.reference_hz * torch.exp2(cents.transpose(-1, -2) / 1200.0)  # (B, T, V) Hz
    return _fwd_bwd(lambda f: chord_roughness(f, energy.ratios, energy.amps, fused=fused), f0)


def _check(result, baseline) -> None:
    torch.testing.assert_close(result[0], baseline[0], rtol=1e-5, atol=1e-6)
    scale = float(baseline[1].abs().max())
    torch.testing.assert_close(result[1], baseline[1], rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("fused", [False, True], ids=["eager", "fused"])
def test_energy(benchmark, speedups, cpu_seconds, pieces, monkeypatch, fused):
    energy, cents = pieces["energy"], pieces["cents"]
    if fused:
        monkeypatch.setattr(
            energy_module, "chord_dissonance", functools.partial(chord_dissonance, fused=True)
        )
    step = functools.partial(_energy_step, energy, cents)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # a compile fall-back fails the benchmark
        step()  # compile (fused), untimed
    if fused:
        speedups.note(f"energy fused: compile warm-up {time.perf_counter() - start:.1f} s")
    result = benchmark.pedantic(step, rounds=30, warmup_rounds=3)
    name = "fused (torch.compile)" if fused else "eager (training's path)"
    speedups.add(
        f"energy {BATCH}x{VOICES}x{STEPS} fwd+bwd",
        name,
        benchmark,
        items=BATCH,
        baseline=not fused,
        cpu_s=cpu_seconds(step, repeats=10),
    )
    pieces["results"][("energy", fused)] = result
    if fused:
        _check(result, pieces["results"][("energy", False)])


@pytest.mark.parametrize("fused", [False, True], ids=["eager", "fused"])
def test_chords(benchmark, speedups, cpu_seconds, pieces, fused):
    energy, cents = pieces["energy"], pieces["cents"]
    step = functools.partial(_chord_step, energy, cents, fused)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        step()
    result = benchmark.pedantic(step, rounds=30, warmup_rounds=3)
    name = "fused (torch.compile)" if fused else "eager (training's path)"
    speedups.add(
        f"chords {BATCH * STEPS}x{VOICES}x6 fwd+bwd",
        name,
        benchmark,
        items=BATCH * STEPS,
        baseline=not fused,
        cpu_s=cpu_seconds(step, repeats=10),
    )
    pieces["results"][("chords", fused)] = result
    if fused:
        _check(result, pieces["results"][("chords", False)])
