"""Render `Score` pieces with a timbre: a score's notes become the synthesizer's note tensors."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch

from xentune.score import Score
from xentune.spectrum import Spectrum
from xentune.synth.additive import default_envelope, render_notes, voice_pans
from xentune.synth.envelope import Envelope
from xentune.synth.nyquist import TWO_PI

__all__ = ["render_score", "render_scores"]


def render_score(
    score: Score,
    spectrum: Spectrum,
    *,
    sample_rate: int = 48000,
    device: torch.device | str | None = None,
    stereo: bool = True,
    seed: int = 0,
    random_phase: bool = True,
    envelope: Envelope | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> torch.Tensor:
    """Render one piece with a timbre.

    Parameters
    ----------
    score : Score
        The piece (V voices x N notes).
    spectrum : Spectrum
        The timbre (normally the one the piece was made for).
    sample_rate : int
        Samples per second.
    device : torch.device, str or None
        Where to compute (default: CPU). The result is on that device.
    stereo : bool
        Pan the voices across the stereo field (2 channels) or mix to mono (1 channel).
    seed : int
        Seed of the random starting phases (a ``torch.Generator`` on the CPU, so the same seed
        gives the same phases on every device).
    random_phase : bool
        Start every partial of every note at a random phase (uniform in [0, 2 pi)). This lowers
        the crest factor of harmonic tones (all-sine phases line up into peaks), so the file is
        louder at the same peak level; it does not change the spectrum.
    envelope : Envelope or None
        Default: `default_envelope` of the spectrum.
    progress : callable or None
        ``progress(done, total)`` (see `render_notes`).

    Returns
    -------
    Tensor, shape (C, S), float32
        ``C`` is 2 (stereo) or 1; ``S`` covers the last note-off plus the release.
    """
    return render_scores(
        [score],
        spectrum,
        sample_rate=sample_rate,
        device=device,
        stereo=stereo,
        seed=seed,
        random_phase=random_phase,
        envelope=envelope,
        progress=progress,
    )[0]


def render_scores(
    scores: Sequence[Score],
    spectrum: Spectrum,
    *,
    sample_rate: int = 48000,
    device: torch.device | str | None = None,
    stereo: bool = True,
    seed: int = 0,
    random_phase: bool = True,
    envelope: Envelope | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[torch.Tensor]:
    """Render many pieces in one batched call (see `render_score` for the parameters).

    Pieces are padded to a common voice and note count with silent notes and rendered as one
    batch. Piece ``k`` uses the phase seed ``seed + k``, so ``render_scores(scores, seed=s)[k]``
    equals ``render_score(scores[k], seed=s + k)`` up to float32 rounding (1e-6).

    Returns
    -------
    list of Tensor, each shape (C, S_k)
        Each piece cut to its own length.
    """
    if not scores:
        return []
    dev = torch.device("cpu") if device is None else torch.device(device)
    env = default_envelope(spectrum) if envelope is None else envelope
    ratios, pamps = spectrum.tensors(dtype=torch.float64, device=dev)
    decay = (
        None
        if spectrum.decay_s is None
        else torch.tensor(spectrum.decay_s, dtype=torch.float64, device=dev)
    )
    n_pieces = len(scores)
    n_voices = max(s.n_voices for s in scores)
    n_notes = max(s.n_notes for s in scores)
    n_partials = spectrum.n_partials
    shape = (n_pieces, n_voices, n_notes)
    freq = np.ones(shape)
    onset = np.zeros(shape)
    dur = np.zeros(shape)
    amp = np.zeros(shape)  # padding notes are silent
    pan = np.zeros(shape)
    phase = np.zeros((*shape, n_partials))
    lengths = []
    for k, s in enumerate(scores):
        v, n = s.n_voices, s.n_notes
        freq[k, :v, :n] = s.hz()
        onset[k, :v, :n] = s.onset_s
        dur[k, :v, :n] = s.duration_s
        amp[k, :v, :n] = s.amplitude
        pan[k, :v, :n] = voice_pans(v).numpy()[:, None]
        if random_phase:
            gen = torch.Generator().manual_seed(seed + k)
            phase[k, :v, :n] = (
                torch.rand((v, n, n_partials), generator=gen, dtype=torch.float64) * TWO_PI
            ).numpy()
        # Last note-off plus release, in samples (1e-6 absorbs float error in 1.2 * 16000 etc.).
        lengths.append(max(1, math.ceil((s.end_s + env.release_s) * sample_rate - 1e-6)))

    def t(x: np.ndarray) -> torch.Tensor:
        return torch.from_numpy(x.reshape(n_pieces, n_voices * n_notes, *x.shape[3:])).to(dev)

    audio = render_notes(
        t(freq),
        t(onset),
        t(dur),
        t(amp),
        ratios,
        pamps,
        sample_rate=sample_rate,
        n_samples=max(lengths),
        decay_s=decay,
        envelope=env,
        phase_rad=t(phase) if random_phase else None,
        pan=t(pan) if stereo else None,
        progress=progress,
    )  # (S, C, samples) or (S, samples)
    if not stereo:
        audio = audio[:, None, :]
    return [audio[k, :, : lengths[k]].contiguous() for k in range(n_pieces)]
