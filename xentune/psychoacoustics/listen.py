"""Listening: the stable partials of a recorded tone, and roughness measured on rendered audio."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.signal import get_window

from xentune.errors import AudioError, SpecError
from xentune.spectrum import Spectrum

__all__ = [
    "MeasuredPartials",
    "audio_roughness",
    "measure_partials",
    "spectrum_from_audio",
    "spectrum_from_audio_file",
    "spectrum_from_audio_spec",
]

#: Blackman-Harris (4-term): highest side lobe -92 dB, so window leakage never passes for a
#: partial above any threshold we use (a Hann window's -31 dB side lobes would).
_WINDOW = "blackmanharris"
#: Half-width of the Blackman-Harris main lobe, in bins of the unpadded frame.
_MAIN_LOBE_BINS = 4.0


@dataclass(frozen=True)
class MeasuredPartials:
    """Partials found in a recording, with absolute frequencies.

    Attributes
    ----------
    freqs_hz : np.ndarray, shape (K,)
        Partial frequencies in Hz, ascending.
    amps : np.ndarray, shape (K,)
        Sine amplitude of each partial (linear, full scale = 1) at the tone's loudest moment
        (automatic segment) or at ``start_s``, extrapolated along the fitted decay.
    decay_s : np.ndarray, shape (K,)
        Fitted exponential decay time constant in seconds (``inf`` for a sustained partial).
    start_s, end_s : float
        The analysed segment.
    """

    freqs_hz: np.ndarray
    amps: np.ndarray
    decay_s: np.ndarray
    start_s: float
    end_s: float


def _sustained_segment(x: np.ndarray, sample_rate: int) -> tuple[int, int, int]:
    """The sustained part of a tone: from just after the loudest 20 ms until the level has
    fallen 40 dB below it (or the end). Skips attack transients and the silent tail.

    Returns (start, end, peak) sample indices; ``peak`` is the loudest moment (the onset of a
    struck tone's decay), to which decaying amplitudes are extrapolated."""
    hop = max(1, int(0.02 * sample_rate))
    n = len(x) // hop
    if n == 0:
        return 0, len(x), 0
    rms = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-30)  # (frames,)
    peak = int(np.argmax(rms))
    start = min((peak + 2) * hop, len(x))
    below = np.nonzero(rms[peak:] < rms[peak] * 10 ** (-40 / 20))[0]
    end = (peak + int(below[0])) * hop if below.size else len(x)
    return start, max(end, start), peak * hop + hop // 2


def measure_partials(
    audio: np.ndarray,
    sample_rate: int,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    threshold_db: float = -40.0,
    max_partials: int = 24,
    fmin_hz: float = 20.0,
    frame_s: float | None = None,
) -> MeasuredPartials:
    """Find the stable partials of a tone: STFT, peak picking, sub-bin interpolation, tracking.

    A long Blackman-Harris frame (``frame_s``, zero-padded 4x) is hopped over the segment; the
    power spectra are averaged and its local maxima above ``threshold_db`` (relative to the
    strongest peak) are the candidate partials. Each peak's frequency is refined by a parabola
    through the log magnitudes of its three highest bins (error well below 0.01 bin for this
    window with zero padding). Every candidate is then tracked through the frames (magnitude at
    its bin in each frame); a line fitted to log-amplitude against time gives the amplitude at
    the segment start and the decay time, so struck sounds (bells, bars) get their onset
    amplitudes and decays, and a peak that is not present through the frames is dropped.

    Parameters
    ----------
    audio : np.ndarray, shape (samples,) or (channels, samples)
        The recording (channels are averaged).
    sample_rate : int
        Samples per second.
    start_s, end_s : float, optional
        The segment to analyse; by default the sustained part is found automatically.
    threshold_db : float
        Partials weaker than this, relative to the strongest, are dropped.
    max_partials : int
        Keep at most this many partials (the strongest).
    fmin_hz : float
        Ignore peaks below this frequency (rumble, DC).
    frame_s : float, optional
        STFT frame length in seconds; longer separates closer partials (two partials are
        resolved when about ``8 / frame_s`` Hz apart, the window's main-lobe width) but needs a
        longer segment. Default: a third of the segment, between 0.1 s and 1 s, so the peaks
        are tracked through at least three frames.

    Returns
    -------
    MeasuredPartials

    Raises
    ------
    AudioError
        Empty, silent or too short audio, or a segment outside the recording.
    """
    x = np.asarray(audio, dtype=np.float64)
    if x.ndim == 2:
        x = x.mean(axis=0)
    if x.ndim != 1 or x.size == 0:
        raise AudioError("the audio is empty; give a recording of a sustained or struck tone")
    if not np.all(np.isfinite(x)):
        raise AudioError("the audio contains NaN or infinite samples")
    duration = x.size / sample_rate
    if start_s is not None and not 0 <= start_s < duration:
        raise AudioError(f"--start {start_s:g} s is outside the recording (0..{duration:.3f} s)")
    if end_s is not None and end_s <= (start_s or 0.0):
        raise AudioError(f"--end {end_s:g} s must be after --start {start_s or 0.0:g} s")
    if start_s is None and end_s is None:
        i0, i1, i_ref = _sustained_segment(x, sample_rate)
    else:
        i0 = int(round((start_s or 0.0) * sample_rate))
        i1 = x.size if end_s is None else min(x.size, int(round(end_s * sample_rate)))
        i_ref = i0
    seg = x[i0:i1]
    if seg.size == 0 or np.max(np.abs(seg)) < 1e-6:
        raise AudioError("the audio is silent (peak below -120 dBFS) in the analysed segment")
    if frame_s is None:
        frame_s = min(1.0, max(0.1, seg.size / sample_rate / 3))
    n_frame = int(round(frame_s * sample_rate))
    if seg.size < n_frame:
        # Short recordings: one frame covering what there is (coarser resolution).
        n_frame = seg.size
    if n_frame < 256:
        raise AudioError(
            f"the analysed segment is only {seg.size / sample_rate * 1000:.1f} ms; "
            "give at least 0.1 s of sustained tone (or widen --start/--end)"
        )
    window = get_window(_WINDOW, n_frame, fftbins=True)
    n_fft = 1 << int(math.ceil(math.log2(n_frame * 4)))
    hop = max(1, n_frame // 4)
    n_frames = 1 + (seg.size - n_frame) // hop
    starts = np.arange(n_frames) * hop
    frames = np.stack([seg[s : s + n_frame] for s in starts]) * window  # (F, n_frame)
    spec = np.abs(np.fft.rfft(frames, n=n_fft, axis=1))  # (F, bins)
    # Sine amplitude a gives a peak of a * sum(window) / 2.
    spec *= 2.0 / window.sum()
    mean_power = np.mean(spec**2, axis=0)  # (bins,)
    mag = np.sqrt(mean_power)
    bin_hz = sample_rate / n_fft
    pad = n_fft / n_frame  # zero-padding factor
    lobe = int(math.ceil(_MAIN_LOBE_BINS * pad))
    floor = mag.max() * 10 ** (threshold_db / 20)
    lo_bin = max(1, int(math.ceil(fmin_hz / bin_hz)))
    candidates: list[int] = []
    for k in range(lo_bin, mag.size - 1):
        if mag[k] < floor or mag[k] < mag[k - 1] or mag[k] <= mag[k + 1]:
            continue
        left, right = max(0, k - lobe), min(mag.size, k + lobe + 1)
        if mag[k] < mag[left:right].max():
            continue  # a side lobe or shoulder of a stronger neighbour
        candidates.append(k)
    freqs, amps, decays = [], [], []
    t = (i0 - i_ref + starts + n_frame / 2) / sample_rate  # (F,) frame centres, s after i_ref
    for k in candidates:
        la, lb, lc = np.log(mag[k - 1 : k + 2] + 1e-30)
        denom = la - 2 * lb + lc
        delta = 0.5 * (la - lc) / denom if denom < 0 else 0.0  # bins, in (-0.5, 0.5)
        f = (k + delta) * bin_hz
        # Track: magnitude of this peak in every frame (interpolated at the refined bin).
        track = np.max(spec[:, k - 1 : k + 2], axis=1)  # (F,)
        present = track > floor * 0.1
        if present.mean() < 0.5:
            continue  # not stable through the segment: a transient
        if n_frames >= 3:
            logs = np.log(track[present] + 1e-30)
            slope, intercept = np.polyfit(t[present], logs, 1)
            if slope < -1e-3:
                amp0 = float(np.exp(intercept))  # extrapolated to the onset (i_ref)
                tau = -1.0 / slope
            else:
                amp0 = float(np.sqrt(np.mean(track**2)))
                tau = math.inf
        else:
            amp0, tau = float(mag[k]), math.inf
        # Parabolic peak height correction (log domain).
        amp0 *= math.exp(-0.25 * (la - lc) * delta) if denom < 0 else 1.0
        freqs.append(f)
        amps.append(amp0)
        decays.append(tau)
    if not freqs:
        raise AudioError(
            "no stable partials found; is the recording a pitched tone? (try --start/--end)"
        )
    order = np.argsort(amps)[::-1][:max_partials]
    order = np.sort(order)
    return MeasuredPartials(
        freqs_hz=np.asarray(freqs)[order],
        amps=np.asarray(amps)[order],
        decay_s=np.asarray(decays)[order],
        start_s=i0 / sample_rate,
        end_s=i1 / sample_rate,
    )


def spectrum_from_audio(
    audio: np.ndarray,
    sample_rate: int,
    *,
    name: str = "audio",
    fundamental_db: float = -20.0,
    **kwargs: float | None,
) -> Spectrum:
    """A `Spectrum` (ratios, relative amplitudes, decays) measured from a recorded tone.

    The fundamental is the lowest partial within ``fundamental_db`` of the strongest one (so a
    faint rumble below the tone does not become the reference); ratios are relative to it and
    amplitudes relative to the strongest partial. Partials below the fundamental (a bell's hum)
    are kept with ratios < 1. Options are those of `measure_partials`.
    """
    m = measure_partials(audio, sample_rate, **kwargs)  # type: ignore[arg-type]
    strong = np.nonzero(m.amps >= m.amps.max() * 10 ** (fundamental_db / 20))[0]
    f0 = float(m.freqs_hz[strong[0]])
    ratios = tuple(float(f / f0) for f in m.freqs_hz)
    amps = tuple(float(a / m.amps.max()) for a in m.amps)
    finite = np.isfinite(m.decay_s)
    decay = tuple(float(d) if np.isfinite(d) else 1e6 for d in m.decay_s) if finite.any() else None
    return Spectrum(ratios, amps, name=name, decay_s=decay)


def spectrum_from_audio_file(path: str | Path, **kwargs: float | None) -> Spectrum:
    """`spectrum_from_audio` of a WAV/FLAC/OGG file (read with soundfile)."""
    from xentune.audio_io import read_audio

    audio, sample_rate = read_audio(path)
    return spectrum_from_audio(audio, sample_rate, name=f"audio:{path}", **kwargs)


def spectrum_from_audio_spec(spec: str) -> Spectrum:
    """Parse the timbre spec ``audio:PATH`` (the partials measured from a recording)."""
    path = spec[len("audio:") :].strip()
    if not path:
        raise SpecError("audio: needs a file path, e.g. --timbre audio:note.wav")
    try:
        return spectrum_from_audio_file(path)
    except AudioError as e:
        raise SpecError(f"{spec}: {e}") from None


def audio_roughness(
    audio: np.ndarray,
    sample_rate: int,
    *,
    model: str = "sethares",
    threshold_db: float = -50.0,
    frame_s: float = 1.0,
) -> float:
    """Roughness of a rendered sound, computed from the partials measured in it.

    The partials (absolute Hz, sine amplitudes) are measured with `measure_partials` over the
    whole signal (no automatic segmenting: give the sustained part) and fed to the analytic
    model, so the number is comparable with the roughness of the partial list that was meant to
    be rendered. Partials closer than the analysis resolution (about ``2 / frame_s`` Hz) merge
    into one peak; their pair term is lost, which is the main source of disagreement.
    """
    import torch

    from xentune.psychoacoustics.roughness import roughness

    duration_s = np.asarray(audio).shape[-1] / sample_rate
    m = measure_partials(
        audio,
        sample_rate,
        start_s=0.0,
        end_s=duration_s,
        threshold_db=threshold_db,
        max_partials=512,
        frame_s=frame_s,
    )
    f = torch.as_tensor(m.freqs_hz, dtype=torch.float64)
    a = torch.as_tensor(m.amps, dtype=torch.float64)
    return float(roughness(f, a, model=model))
