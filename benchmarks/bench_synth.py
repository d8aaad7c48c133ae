"""Synth speed: 60 s of 8 voices x 16 partials at 48 kHz, ours vs naive numpy vs the sin ceiling.

Run: ``nice -n 5 .venv/bin/python -m pytest benchmarks/bench_synth.py --benchmark-only -q``

The piece: 8 voices of 120 chords of 0.5 s (960 notes, pitches uniform over two octaves around
middle C), a 16-partial harmonic timbre (amplitudes 0.88^(k-1)), ADSR 10/80 ms, sustain 0.7,
release 80 ms, no random phase. Every note sounds for 0.58 s: 4.28e8 partial-samples in all.

- ``naive numpy``: the baseline. Per note, per partial, ``np.sin`` of the float64 closed-form
  phase over the note's samples, times the envelope, added into the output.
- ``ours``: ``render_notes`` (block rotation: one small matrix product per note).
- ``sin ceiling``: ``torch.sin(x, out=buf)`` over the same number of partial-samples into a
  preallocated float32 buffer (1 Mi-sample chunks), i.e. what any synth that evaluates one sine
  per partial-sample cannot beat.

Ours and the ceiling run with 1 torch thread and with the default (2 here): numpy's ``sin`` is
single-threaded, and on the shared 2-core box the second core is often busy, where every
parallel torch op waits for it (measured: 2-10x slower per op). Ours is checked against the
naive result after timing. The real-time factor (60 s divided by the median time) is printed
under the table. On a GPU, ``ours 256 pieces (cuda)`` renders a batch of
256 pieces of 4 s (torchsynth's setting: 4 s sounds, but 128 partials instead of ~3 oscillators)
and reports its real-time factor against torchsynth's published 16200x (V100, batch 128).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from xentune.synth.additive import render_notes
from xentune.synth.envelope import Envelope

SR = 48000
SECONDS = 60.0
VOICES, PARTIALS, STEP_S = 8, 16, 0.5
ENV = Envelope(attack_s=0.01, decay_s=0.08, sustain=0.7, release_s=0.08)
THREADS = [1, torch.get_num_threads()] if torch.get_num_threads() > 1 else [1]


def _group(threads: int) -> str:
    return f"synth 60 s, 8 voices x 16 partials @ 48 kHz, torch threads {threads}"


@pytest.fixture(params=THREADS, ids=lambda n: f"threads{n}")
def threads(request: pytest.FixtureRequest) -> object:
    """Torch intra-op threads for one benchmark (numpy's sin is single-threaded throughout)."""
    before = torch.get_num_threads()
    torch.set_num_threads(request.param)
    yield request.param
    torch.set_num_threads(before)


def _piece(seed: int, seconds: float) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    steps = int(round(seconds / STEP_S))
    shape = (VOICES, steps)
    return {
        "freq": 261.6255653005986 * 2 ** (rng.uniform(-1200, 1200, shape) / 1200),
        "onset": np.broadcast_to(np.arange(steps) * STEP_S, shape).copy(),
        "dur": np.full(shape, STEP_S),
        "amp": np.full(shape, 0.1),
    }


@pytest.fixture(scope="module")
def piece() -> dict[str, object]:
    p = _piece(0, SECONDS)
    ratios = np.arange(1, PARTIALS + 1, dtype=np.float64)
    amps = 0.88 ** (ratios - 1)
    note_samples = int(np.ceil((STEP_S + ENV.release_s) * SR))
    return {
        **p,
        "ratios": ratios,
        "amps": amps,
        "tensors": [torch.from_numpy(p[k].reshape(-1)) for k in ("freq", "onset", "dur", "amp")],
        "partial_samples": p["freq"].size * PARTIALS * note_samples,
    }


def _naive(piece: dict[str, object]) -> np.ndarray:
    """Per note, per partial, np.sin (float64), the obvious way."""
    n_samples = int(SECONDS * SR)
    out = np.zeros(n_samples)
    a, k, s, r = ENV.attack_s, ENV.decay_s, ENV.sustain, ENV.release_s
    for f, onset, dur, amp in zip(
        piece["freq"].ravel(),
        piece["onset"].ravel(),
        piece["dur"].ravel(),
        piece["amp"].ravel(),
        strict=True,
    ):
        start = int(np.ceil(onset * SR))
        stop = min(n_samples, int(np.ceil((onset + dur + r) * SR)))
        t = np.arange(start, stop) / SR - onset
        held = np.interp(np.minimum(t, dur), [0.0, a, a + k], [0.0, 1.0, s])
        env = amp * held * np.clip((dur + r - t) / r, 0.0, 1.0)
        for ratio, pa in zip(piece["ratios"], piece["amps"], strict=True):
            out[start:stop] += env * pa * np.sin(2 * np.pi * ratio * f * t)
    return out


def _ours(piece: dict[str, object], device: str = "cpu") -> torch.Tensor:
    freq, onset, dur, amp = (x.to(device) for x in piece["tensors"])
    return render_notes(
        freq,
        onset,
        dur,
        amp,
        torch.from_numpy(piece["ratios"]).to(device),
        torch.from_numpy(piece["amps"]).to(device),
        sample_rate=SR,
        n_samples=int(SECONDS * SR),
        envelope=ENV,
    )


def test_naive_numpy(benchmark, speedups, piece) -> None:
    out = benchmark.pedantic(_naive, args=(piece,), rounds=2, warmup_rounds=0)
    piece["naive_out"] = out
    for n in THREADS:
        speedups.add(
            _group(n), "naive numpy", benchmark, items=piece["partial_samples"], baseline=True
        )
    speedups.note(f"naive numpy: {SECONDS / benchmark.stats['median']:.1f}x real time")


def test_ours(benchmark, speedups, piece, threads) -> None:
    out = benchmark.pedantic(_ours, args=(piece,), rounds=5, warmup_rounds=1)
    speedups.add(
        _group(threads), "ours (render_notes, cpu)", benchmark, items=piece["partial_samples"]
    )
    speedups.note(
        f"ours, {threads} thread(s): {SECONDS / benchmark.stats['median']:.1f}x real time"
    )
    reference = piece.get("naive_out")
    if reference is None:
        reference = _naive(piece)
    err = float(np.max(np.abs(out.double().numpy() - reference)))
    speedups.note(
        f"ours vs naive numpy: max abs difference {err:.2e} (peak {np.abs(reference).max():.2f})"
    )
    assert err < 1e-4


def test_sin_ceiling(benchmark, speedups, piece, threads) -> None:
    chunk = 1 << 20
    x = torch.rand(chunk, generator=torch.Generator().manual_seed(0)) * 6.2831855
    buf = torch.empty(chunk)
    n_chunks = -(-piece["partial_samples"] // chunk)

    def run() -> None:
        for _ in range(n_chunks):
            torch.sin(x, out=buf)

    benchmark.pedantic(run, rounds=3, warmup_rounds=1)
    speedups.add(
        _group(threads), "sin ceiling (torch.sin, out=)", benchmark, items=piece["partial_samples"]
    )
    speedups.note(
        f"sin ceiling, {threads} thread(s): {SECONDS / benchmark.stats['median']:.1f}x real time "
        f"({piece['partial_samples'] / benchmark.stats['median'] / 1e9:.2f} G sin/s)"
    )


def test_ours_256_pieces_cuda(benchmark, speedups) -> None:
    if not torch.cuda.is_available():
        pytest.skip("no CUDA device here (the GPU batch runs where one is present)")
    n_pieces, seconds = 256, 4.0
    pieces = [_piece(s, seconds) for s in range(n_pieces)]
    dev = "cuda"
    tensors = [
        torch.from_numpy(np.stack([p[k].reshape(-1) for p in pieces])).to(dev)
        for k in ("freq", "onset", "dur", "amp")
    ]
    ratios = torch.arange(1, PARTIALS + 1, dtype=torch.float64, device=dev)
    amps = 0.88 ** (ratios - 1)

    def run() -> torch.Tensor:
        y = render_notes(
            *tensors, ratios, amps, sample_rate=SR, n_samples=int(seconds * SR), envelope=ENV
        )
        torch.cuda.synchronize()
        return y

    out = benchmark.pedantic(run, rounds=5, warmup_rounds=1)
    speedups.add("gpu batch", "ours 256 pieces x 4 s (cuda)", benchmark, items=n_pieces)
    rtf = n_pieces * seconds / benchmark.stats["median"]
    speedups.note(
        f"GPU: {rtf:,.0f}x real time for 256 pieces of 8 voices x 16 partials (torchsynth: 16200x)"
    )
    assert out.shape == (n_pieces, int(seconds * SR)) and bool(torch.isfinite(out).all())
