"""The synthesizer's inner loops: the block path (phase identity, one matmul per note) and the direct glide path."""

from __future__ import annotations

import math

import numpy as np
import torch

from xentune.synth.envelope import Envelope
from xentune.synth.nyquist import TINY, frac_turns, nyquist_gain

__all__ = ["OverlapAdd", "add_block_chunk", "block_times", "direct_tiles"]


def block_times(
    row0: torch.Tensor, bmax: int, onset: torch.Tensor, *, sr: float, L: int
) -> torch.Tensor:
    """Time since onset of the first sample of each block, float64, shape (I, Bmax+1)."""
    j = torch.arange(bmax + 1, device=row0.device)
    first = (row0[:, None] + j[None, :]).to(torch.float64) * L  # samples, (I, Bmax+1)
    return first / sr - onset[:, None]  # s


class OverlapAdd:
    """Adds note tiles (I, Bmax+1, L) into the output rows of one chunk.

    On CUDA, one ``index_add_`` (atomics). On the CPU, one slice ``add_`` per item over its valid
    blocks: ``index_add_`` along dim 0 adds row by row there, which measured 5.7 ms for 16k rows
    on one thread but 90-360 ms on two busy cores; the slice loop measured 5.9 and 14 ms.
    """

    def __init__(self, out: torch.Tensor, rows: torch.Tensor, n_blk: np.ndarray) -> None:
        self.out = out
        self.rows = rows  # (I, C, Bmax+1)
        self.n_blk = n_blk
        self.first = rows[:, :, 0].cpu().numpy() if not out.is_cuda else None  # (I, C)

    def add(self, channel: int, tiles: torch.Tensor, gains: torch.Tensor | None = None) -> None:
        """Add ``tiles`` (I, Bmax+1, L) to ``channel``, each item scaled by ``gains`` (I,)."""
        if self.first is None:
            if gains is not None:
                tiles = tiles * gains.to(tiles.dtype)[:, None, None]
            self.out.index_add_(
                0, self.rows[:, channel].reshape(-1), tiles.reshape(-1, tiles.shape[-1])
            )
            return
        rows = self.first[:, channel].tolist()
        alphas = [1.0] * len(rows) if gains is None else gains.tolist()
        for i, (row, n, alpha) in enumerate(zip(rows, self.n_blk.tolist(), alphas, strict=True)):
            self.out[row : row + n].add_(tiles[i, :n], alpha=alpha)


def add_block_chunk(
    sink: OverlapAdd,
    workspace: torch.Tensor,
    freq: torch.Tensor,
    onset: torch.Tensor,
    dur: torch.Tensor,
    amp: torch.Tensor,
    gains: torch.Tensor,
    phase: torch.Tensor | None,
    row0: torch.Tensor,
    n_blk: torch.Tensor,
    bmax: int,
    *,
    ratios: torch.Tensor,
    pamps: torch.Tensor,
    tau: torch.Tensor | None,
    env: Envelope,
    sr: float,
    L: int,
    dtype: torch.dtype,
    rolloff: float,
) -> None:
    """Add constant-pitch notes to the output (through ``sink``) by block rotation.

    Block ``Bmax`` of every item is a zero dummy (the target of unused breakpoint slots).
    ``workspace`` (2, >= I * (Bmax+1) * L) holds the partial sum and the envelope.
    """
    n_items = freq.shape[0]
    n_channels = gains.shape[1]
    device = freq.device
    t_b = block_times(row0, bmax, onset, sr=sr, L=L)  # s, (I, Bmax+1)
    j = torch.arange(bmax + 1, device=device)
    valid = j[None, :] < n_blk[:, None]  # (I, Bmax+1)

    partial_hz = freq[:, None] * ratios[None, :]  # Hz, (I, P)
    weight = (
        amp[:, None] * pamps[None, :] * nyquist_gain(partial_hz, sample_rate=sr, rolloff=rolloff)
    )
    theta = frac_turns(partial_hz[:, None, :] * t_b[:, :, None])  # rad, (I, Bmax+1, P)
    if phase is not None:
        theta += phase[:, None, :]
    theta = theta.to(dtype)
    n_partials = ratios.shape[0]
    coef = torch.empty(n_items, bmax + 1, 2 * n_partials, device=device, dtype=dtype)
    torch.sin(theta, out=coef[:, :, :n_partials])  # pairs with cos(psi_m)
    torch.cos(theta, out=coef[:, :, n_partials:])  # pairs with sin(psi_m)
    w = weight[:, None, :]  # (I, 1, P)
    if tau is not None:
        w = w * torch.exp(-t_b[:, :, None] / tau)  # (I, Bmax+1, P)
    coef.view(n_items, bmax + 1, 2, n_partials).mul_(w.to(dtype)[:, :, None, :])

    m = torch.arange(L, device=device, dtype=torch.float64)  # samples into the block
    psi = frac_turns(partial_hz[:, :, None] * (m / sr)).to(dtype)  # rad, (I, P, L)
    basis = torch.empty(n_items, 2 * n_partials, L, device=device, dtype=dtype)
    torch.cos(psi, out=basis[:, :n_partials])
    torch.sin(psi, out=basis[:, n_partials:])
    if tau is not None:
        decay_m = torch.exp(-(m / sr)[None, :] / tau[:, None]).to(dtype)  # (P, L)
        basis.view(n_items, 2, n_partials, L).mul_(decay_m)
    shape = (n_items, bmax + 1, L)
    size = n_items * (bmax + 1) * L
    raw = workspace[0, :size].view(shape)
    torch.bmm(coef, basis, out=raw)  # the partial sum, no envelope yet

    # Envelope: linear inside blocks without a breakpoint -> level + slope * m; exact (per
    # sample) in the few blocks that hold one; zero in padding blocks.
    d = dur[:, None]
    ends = env(torch.stack([t_b, t_b + (L - 1) / sr], dim=-1), d[:, :, None])  # (I, Bmax+1, 2)
    e0 = ends[..., 0]
    slope = (ends[..., 1] - e0) / (L - 1)  # per sample
    e0 = torch.where(valid, e0, 0.0)
    slope = torch.where(valid, slope, 0.0)
    bp = env.breakpoints(dur)  # s after onset, (I, 5)
    bp_blk = torch.floor((onset[:, None] + bp) * sr / L).to(torch.int64) - row0[:, None]
    bp_ok = (bp_blk >= 0) & (bp_blk < n_blk[:, None])
    bp_blk = torch.where(bp_ok, bp_blk, bmax)  # unused slots -> the zero dummy block
    t_fix = t_b.gather(1, bp_blk)[:, :, None] + m / sr  # s, (I, 5, L)
    env_fix = torch.where(bp_ok[:, :, None], env(t_fix, d[:, :, None]), 0.0)  # (I, 5, L)
    fix_index = bp_blk[:, :, None].expand(-1, -1, L)
    line = torch.stack([torch.ones_like(m), m]).to(dtype).expand(n_items, 2, L)  # (I, 2, L)
    ramp = workspace[1, :size].view(shape)
    torch.bmm(torch.stack([e0, slope], dim=-1).to(dtype), line, out=ramp)  # level + slope * m
    # Repeated indices (two breakpoints in one block) write identical values.
    ramp.scatter_(1, fix_index, env_fix.to(dtype))
    raw.mul_(ramp)  # (I, Bmax+1, L), the notes' sound
    for c in range(n_channels):
        sink.add(c, raw, None if n_channels == 1 else gains[:, c])


def direct_tiles(
    freq: torch.Tensor,
    onset: torch.Tensor,
    dur: torch.Tensor,
    amp: torch.Tensor,
    gains: torch.Tensor,
    phase: torch.Tensor | None,
    row0: torch.Tensor,
    n_blk: torch.Tensor,
    bmax: int,
    *,
    glide: torch.Tensor,
    ratios: torch.Tensor,
    pamps: torch.Tensor,
    tau: torch.Tensor | None,
    env: Envelope,
    sr: float,
    L: int,
    dtype: torch.dtype,
    rolloff: float,
) -> torch.Tensor:
    """Tiles of gliding notes, one ``sin`` per partial-sample, shape (I, C, Bmax+1, L).

    The pitch moves linearly in cents from note-on to note-off (``f(t) = f exp(kappa t)``,
    ``kappa = glide ln2 / (1200 duration)``) and holds after; the phase is the closed-form
    integral ``f t expm1(kappa t) / (kappa t)`` in float64 cycles, wrapped before the cast.
    """
    device = freq.device
    t_b = block_times(row0, bmax, onset, sr=sr, L=L)  # s, (I, Bmax+1)
    m = torch.arange(L, device=device, dtype=torch.float64)
    t = t_b[:, :, None] + m / sr  # s, (I, Bmax+1, L)
    d = dur[:, None, None]
    kappa = (glide * (math.log(2.0) / 1200.0) / torch.clamp(dur, min=TINY))[:, None, None]  # 1/s
    held = torch.minimum(t, d)
    x = kappa * held
    small = x.abs() < TINY
    growth = torch.where(small, 1.0, torch.expm1(x) / torch.where(small, 1.0, x))
    f = freq[:, None, None]
    cycles = f * held * growth + f * torch.exp(kappa * d) * torch.clamp(
        t - d, min=0.0
    )  # (I, Bmax+1, L)
    inst_hz = f * torch.exp(x)  # Hz, instantaneous frequency of ratio 1
    acc = torch.zeros(t.shape, device=device, dtype=dtype)
    for k in range(ratios.shape[0]):
        theta = frac_turns(ratios[k] * cycles)
        if phase is not None:
            theta = theta + phase[:, k, None, None]
        g = pamps[k] * nyquist_gain(ratios[k] * inst_hz, sample_rate=sr, rolloff=rolloff)
        if tau is not None:
            g = g * torch.exp(-t / tau[k])
        acc += g.to(dtype) * torch.sin(theta.to(dtype))
    j = torch.arange(bmax + 1, device=device)
    valid = (j[None, :] < n_blk[:, None])[:, :, None]
    scale = torch.where(valid, env(t, d) * amp[:, None, None], 0.0).to(dtype)
    mono = acc * scale  # (I, Bmax+1, L)
    return mono[:, None, :, :] * gains.to(dtype)[:, :, None, None]
