"""Batched additive synthesis: notes (Hz, onset, duration, amplitude) with a `Spectrum` to audio.

How it is computed (and why)
----------------------------
A note's partial ``k`` is ``a_k g_k(t) sin(2 pi r_k f t + phi_k)`` with ``t`` the time since the
onset. The output is cut into blocks of ``L`` samples (256 by default) on one grid shared by
all notes. At the first sample ``t_b`` of each block the phase ``2 pi frac(r_k f t_b)`` is
computed exactly in float64 *cycles* and wrapped before it is cast to float32; inside the block
the trig identity ``sin(theta_b + psi_m) = sin(theta_b) cos(psi_m) + cos(theta_b) sin(psi_m)``
turns the sum over partials into one matrix product per note,
``(blocks, 2P) @ (2P, L)``, against a per-note basis ``cos/sin(2 pi r_k f m / sr)`` (``m < L``,
also from float64 cycles). The ADSR envelope is linear inside every block that holds none of its
five breakpoints, so it is applied as ``level + slope * m`` per block; the few blocks that hold a
breakpoint get the exact per-sample envelope. Per-partial exponential decay factorises like the
phase (``exp(-(t_b + m/sr)/tau) = exp(-t_b/tau) exp(-m/sr/tau)``).

So the work per output sample is a short dot product (2P multiply-adds), not P sines. Measured
on the shared 2-core development CPU (``benchmarks/bench_synth.py``, 60 s of 8 voices x 16
partials at 48 kHz): 288x real time on one torch thread, 4.9x the ``torch.sin`` ceiling and 26x
a naive per-note, per-partial numpy renderer in the same run (84x real time with two threads
on the busy shared cores, where every parallel op waits for the other core); no ``cumsum``.

Phase accuracy: nothing is accumulated, so nothing drifts. Phases are exact float64 products
``r_k f t`` (relative error 1e-16: 1e-9 cycles after ten minutes at 20 kHz), wrapped to one cycle
and only then rounded to float32 (error <= 6e-8 cycles). The alternative, a float32 phase
``cumsum``, is what the CPU hides and CUDA exposes: torch's CPU ``cumsum`` accumulates float32
in double, CUDA's in float32, and a sequential float32 accumulation of a 4000.123 Hz phase at
48 kHz is off by 1710 rad after 10 s (reference/performance.md §1.4). Measured here: the last
second of a 60 s, 4000.123 Hz partial matches the float64 closed form to 4.2e-7 (test_additive.py).

Notes whose pitch glides (``glide_cents``) cannot use the block identity (the frequency changes
inside a block), so they take a direct path: the closed-form phase of an exponential glide in
float64 cycles per sample, one ``sin`` per partial-sample. Both paths drop partials at and above
Nyquist with a smooth raised-cosine gain (`nyquist_gain`), so a gliding partial fades out
instead of clicking off.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch

from xentune.spectrum import Spectrum
from xentune.synth.envelope import Envelope
from xentune.synth.tiles import OverlapAdd, add_block_chunk, direct_tiles

__all__ = [
    "DEFAULT_BLOCK_SIZE",
    "DEFAULT_CHUNK_SAMPLES",
    "default_envelope",
    "equal_power_pan",
    "render_notes",
    "voice_pans",
]

#: Samples per block of the block-rotation path (the sqrt of a typical note length in samples
#: balances the per-block phase work against the per-note basis work).
DEFAULT_BLOCK_SIZE = 256
#: Work per chunk, in samples of note tiles (bounds memory: 2 x 64 MB of float32 workspace).
DEFAULT_CHUNK_SAMPLES = 1 << 24


def equal_power_pan(pan: torch.Tensor) -> torch.Tensor:
    """Left and right gains of an equal-power pan law.

    Parameters
    ----------
    pan : Tensor, shape (...)
        -1 (hard left) .. 0 (centre) .. 1 (hard right).

    Returns
    -------
    Tensor, shape (..., 2)
        ``(cos, sin)`` of ``(pan + 1) pi / 4``: each channel is 1/sqrt(2) at the centre, and
        ``left**2 + right**2 == 1`` everywhere.
    """
    angle = (torch.clamp(pan, -1.0, 1.0) + 1.0) * (math.pi / 4.0)
    return torch.stack([torch.cos(angle), torch.sin(angle)], dim=-1)


def render_notes(
    freq_hz: torch.Tensor,
    onset_s: torch.Tensor,
    duration_s: torch.Tensor,
    amplitude: torch.Tensor,
    ratios: torch.Tensor,
    partial_amps: torch.Tensor,
    *,
    sample_rate: float,
    n_samples: int,
    decay_s: torch.Tensor | None = None,
    envelope: Envelope | None = None,
    phase_rad: torch.Tensor | None = None,
    glide_cents: torch.Tensor | None = None,
    pan: torch.Tensor | None = None,
    rolloff: float = 0.1,
    block_size: int = DEFAULT_BLOCK_SIZE,
    chunk_samples: int = DEFAULT_CHUNK_SAMPLES,
    dtype: torch.dtype = torch.float32,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Render notes of one timbre to audio, batched over any leading dimensions.

    Each note sounds ``envelope(t) * amplitude * sum_k partial_amps[k] * nyquist_gain(r_k f)
    * exp(-t / decay_s[k]) * sin(2 pi r_k f t + phase_rad[k])`` for ``t`` from its onset to
    ``duration_s + envelope.release_s`` later; notes are summed into the output.

    Parameters
    ----------
    freq_hz : Tensor, shape (..., N)
        Frequency of each note's first partial ratio 1 in Hz, > 0.
    onset_s : Tensor, shape (..., N)
        Start time of each note in seconds, >= 0.
    duration_s : Tensor, shape (..., N)
        Note-on to note-off time in seconds, >= 0.
    amplitude : Tensor, shape (..., N)
        Linear note amplitude, >= 0 (notes with 0 cost nothing).
    ratios : Tensor, shape (P,)
        Partial frequency ratios of the timbre.
    partial_amps : Tensor, shape (P,)
        Partial amplitudes of the timbre.
    sample_rate : float
        Samples per second.
    n_samples : int
        Length of the output; notes past it are cut.
    decay_s : Tensor, shape (P,), optional
        Per-partial exponential decay time constant in seconds (`Spectrum.decay_s`).
    envelope : Envelope, optional
        ADSR envelope (default ``Envelope()``).
    phase_rad : Tensor, shape (..., N, P), optional
        Starting phase of every partial of every note in radians (default 0: every partial
        starts as a sine at its onset).
    glide_cents : Tensor, shape (..., N), optional
        Pitch change from note-on to note-off in cents (linear in cents, i.e. exponential in Hz;
        the pitch holds after note-off). Notes with a glide take the direct (slower) path.
    pan : Tensor, shape (..., N), optional
        Stereo position of each note in [-1, 1]; when given the output has 2 channels.
    rolloff : float
        Width of the Nyquist fade as a fraction of Nyquist (see `nyquist_gain`).
    block_size : int
        Samples per block (>= 2).
    chunk_samples : int
        Bound on the samples of note tiles processed at once (memory, not results).
    dtype : torch.dtype
        Output dtype (float32 or float64); phases are always computed in float64.
    progress : callable, optional
        Called as ``progress(done, total)`` (in blocks of notes) after every chunk.

    Returns
    -------
    Tensor, shape (..., n_samples), or (..., 2, n_samples) with ``pan``
        On the device of ``freq_hz``. Not differentiable through the frequencies (the block
        phases are wrapped in float64); use it to listen, not to train.

    Examples
    --------
    >>> one = torch.ones(1, dtype=torch.float64)
    >>> y = render_notes(440 * one, 0 * one, one, one, one, one, sample_rate=8000, n_samples=8000)
    >>> y.shape
    torch.Size([8000])
    """
    env = Envelope() if envelope is None else envelope
    if block_size < 2:
        raise ValueError(f"block_size={block_size}: must be >= 2")
    device = freq_hz.device
    f64 = torch.float64
    notes = torch.broadcast_tensors(freq_hz, onset_s, duration_s, amplitude)
    batch_shape = notes[0].shape[:-1]
    n_notes = notes[0].shape[-1]
    n_batch = math.prod(batch_shape)
    freq, onset, dur, amp = (x.reshape(n_batch * n_notes).to(device, f64) for x in notes)
    ratios64 = ratios.to(device, f64).reshape(-1)  # (P,)
    pamps64 = partial_amps.to(device, f64).reshape(-1)  # (P,)
    n_partials = ratios64.shape[0]
    tau = None if decay_s is None else decay_s.to(device, f64).reshape(-1)  # s, (P,)
    phase = None
    if phase_rad is not None:
        phase = phase_rad.to(device, f64).expand(*batch_shape, n_notes, n_partials)
        phase = phase.reshape(n_batch * n_notes, n_partials)
    glide = None
    if glide_cents is not None:
        glide = glide_cents.to(device, f64).expand(*batch_shape, n_notes).reshape(-1)
    n_channels = 1 if pan is None else 2
    if pan is None:
        gains = torch.ones(n_batch * n_notes, 1, device=device, dtype=f64)
    else:
        gains = equal_power_pan(pan.to(device, f64).expand(*batch_shape, n_notes).reshape(-1))
    batch_index = torch.arange(n_batch, device=device).repeat_interleave(n_notes)  # (B*N,)

    sr = float(sample_rate)
    L = int(block_size)
    n_rows = max(1, -(-int(n_samples) // L))  # blocks per (batch, channel)
    out = torch.zeros(n_batch * n_channels * n_rows, L, device=device, dtype=dtype)

    # Sample extent of every note: first sample at or after the onset, up to the end of release.
    start = torch.ceil(onset * sr).to(torch.int64)
    stop = torch.clamp(
        torch.ceil((onset + dur + env.release_s) * sr).to(torch.int64), max=int(n_samples)
    )
    active = (amp > 0) & (stop > start)
    row0 = start // L
    n_blk = (stop - 1) // L + 1 - row0
    # Host-side planning (one sync): which notes, in which chunks.
    active_np = active.cpu().numpy()
    idx_np = np.nonzero(active_np)[0]
    row0_np = row0.cpu().numpy()[idx_np]
    nblk_np = n_blk.cpu().numpy()[idx_np]
    glide_np = (
        np.zeros(idx_np.shape, dtype=bool)
        if glide is None
        else (glide.cpu().numpy()[idx_np] != 0.0)
    )
    # Long notes are split into segments of at most max_blocks blocks (same note, later rows),
    # so that one item fits a chunk on either path (the direct path's budget is a quarter).
    max_blocks = max(1, chunk_samples // (4 * L * n_channels) - 1)
    n_seg = -(-nblk_np // max_blocks)
    item_note = np.repeat(idx_np, n_seg)
    seg = np.arange(item_note.size) - np.repeat(np.cumsum(n_seg) - n_seg, n_seg)
    item_row0 = np.repeat(row0_np, n_seg) + seg * max_blocks
    item_nblk = np.minimum(np.repeat(nblk_np, n_seg) - seg * max_blocks, max_blocks)
    item_glide = np.repeat(glide_np, n_seg)
    total_blocks = int(item_nblk.sum())
    done_blocks = 0
    workspace: torch.Tensor | None = None

    common = {
        "ratios": ratios64,
        "pamps": pamps64,
        "tau": tau,
        "env": env,
        "sr": sr,
        "L": L,
        "dtype": dtype,
        "rolloff": rolloff,
    }
    for direct in (False, True):
        sel = np.nonzero(item_glide == direct)[0]
        if sel.size == 0:
            continue
        order = sel[np.argsort(-item_nblk[sel], kind="stable")]  # longest first: little padding
        # Bound tiles (items x blocks x L) and, for the block path, the per-note basis
        # (items x 2P x L); the direct path holds a few float64 temporaries per tile sample.
        budget = chunk_samples // (4 if direct else 1)
        i = 0
        while i < order.size:
            bmax = int(item_nblk[order[i]])
            per_item = (bmax + 1) * L * (n_channels if direct else 1)
            if not direct:
                per_item = max(per_item, 2 * n_partials * L)
            count = max(1, budget // per_item)
            chunk = order[i : i + count]
            i += count
            items = torch.as_tensor(item_note[chunk], device=device)
            c_row0 = torch.as_tensor(item_row0[chunk], device=device)
            c_nblk = torch.as_tensor(item_nblk[chunk], device=device)
            # Rows of the flat output: ((batch * C + channel) * n_rows + block row).
            j = torch.arange(bmax + 1, device=device)
            chan = torch.arange(n_channels, device=device)
            rows = (batch_index[items][:, None, None] * n_channels + chan[None, :, None]) * n_rows
            rows = rows + c_row0[:, None, None] + j[None, None, :]  # (I, C, Bmax+1)
            rows = torch.clamp(rows, max=out.shape[0] - 1)  # pad blocks hold zeros
            sink = OverlapAdd(out, rows, item_nblk[chunk])
            args = (
                freq[items],
                onset[items],
                dur[items],
                amp[items],
                gains[items],
                None if phase is None else phase[items],
                c_row0,
                c_nblk,
                bmax,
            )
            if direct:
                assert glide is not None
                tiles = direct_tiles(*args, glide=glide[items], **common)
                for c in range(n_channels):
                    sink.add(c, tiles[:, c])  # gains are in the tiles
            else:
                size = len(chunk) * (bmax + 1) * L
                if workspace is None or workspace.shape[1] < size:
                    # Reused across chunks: fresh multi-MB buffers page-fault on every
                    # allocation, which costs more than the arithmetic (performance.md §3.1).
                    workspace = torch.empty(
                        2, max(size, min(budget, n_batch * n_rows * L)), device=device, dtype=dtype
                    )
                add_block_chunk(sink, workspace, *args, **common)
            done_blocks += int(item_nblk[chunk].sum())
            if progress is not None:
                progress(done_blocks, total_blocks)

    audio = out.view(n_batch, n_channels, n_rows * L)[..., : int(n_samples)]
    audio = audio.reshape(*batch_shape, n_channels, int(n_samples))
    if pan is None:
        audio = audio.squeeze(-2)
    return audio.contiguous()


# ----------------------------------------------------------------------------------------
# Score-free helpers: the envelope a timbre is played with, voice positions


def default_envelope(spectrum: Spectrum) -> Envelope:
    """The envelope a timbre is rendered with unless told otherwise.

    Sustained timbres (no ``decay_s``): 10 ms attack, 80 ms decay to 0.7, 80 ms release.
    Struck timbres (bells, bars, gamelan): 2 ms attack, no ADSR decay (the partials decay on
    their own time constants), and a release as long as the slowest partial's time constant
    (at most 2 s), so that a bell keeps ringing after its note-off instead of being choked.
    """
    if spectrum.decay_s is None:
        return Envelope(attack_s=0.01, decay_s=0.08, sustain=0.7, release_s=0.08)
    return Envelope(
        attack_s=0.002, decay_s=0.0, sustain=1.0, release_s=min(2.0, max(spectrum.decay_s))
    )


def voice_pans(n_voices: int, *, width: float = 1.0) -> torch.Tensor:
    """Stereo positions of ``n_voices`` voices spread evenly over ``[-width/2, width/2]``.

    Returns
    -------
    Tensor, shape (V,), float64
        Voice 1 leftmost; a single voice sits in the centre.
    """
    if n_voices <= 1:
        return torch.zeros(max(n_voices, 0), dtype=torch.float64)
    return torch.linspace(-width / 2, width / 2, n_voices, dtype=torch.float64)
