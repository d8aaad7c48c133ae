"""Audio files: loudness normalisation (BS.1770), peak safety, atomic WAV/FLAC writing, reading."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import soundfile as sf
import torch
import torchaudio.functional as AF

from xentune import defaults
from xentune.atomic import atomic_file, check_output_path
from xentune.errors import AudioError

__all__ = [
    "DEFAULT_LUFS",
    "DEFAULT_PEAK_DBFS",
    "measure_lufs",
    "normalize_loudness",
    "read_audio",
    "write_audio",
]

#: Default integrated loudness of written audio (streaming services play at -14 to -16 LUFS).
DEFAULT_LUFS = defaults.DEFAULT_LUFS
#: Highest sample peak allowed after normalisation, in dBFS (1 dB of headroom for converters).
DEFAULT_PEAK_DBFS = -1.0

#: Most samples (frames x channels) `read_audio` loads: one minute of stereo at 48 kHz. A
#: recording of one tone needs seconds; measuring partials peaks at about 16 bytes of memory
#: per loaded sample x 10 (600 s of stereo peaked at 9.3 GB; one minute, under 1.5 GB).
MAX_READ_SAMPLES = 60 * 48_000 * 2

#: soundfile container and the subtypes it can hold, by file suffix.
_FORMATS = {
    ".wav": ("WAV", ("PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE")),
    ".flac": ("FLAC", ("PCM_16", "PCM_24")),
}

#: BS.1770 measures over 400 ms gating blocks; shorter audio has no integrated loudness.
_GATE_S = 0.4
#: Peak level at which loudness is measured (see `measure_lufs`).
_MEASURE_PEAK = 0.1


def _as_channels_first(audio: torch.Tensor | np.ndarray) -> torch.Tensor:
    """(C, S) float64 CPU tensor from (S,) or (C, S) audio."""
    x = torch.as_tensor(audio).detach().to("cpu", torch.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise AudioError(
            f"audio has shape {tuple(x.shape)}; expected (samples,) or (channels, samples)"
        )
    return x


def measure_lufs(audio: torch.Tensor | np.ndarray, sample_rate: int) -> float:
    """Integrated loudness in LUFS (ITU-R BS.1770-4, via ``torchaudio.functional.loudness``).

    Parameters
    ----------
    audio : Tensor or array, shape (S,) or (C, S), C <= 5
        Linear samples (full scale = 1).
    sample_rate : int
        Samples per second.

    Returns
    -------
    float
        Loudness in LUFS; ``-inf`` for silence or audio shorter than one 400 ms gating block.
        A full-scale 1 kHz sine in one channel reads -3.01 LUFS.
    """
    x = _as_channels_first(audio)
    if x.shape[0] > 5:
        raise AudioError(f"audio has {x.shape[0]} channels; loudness is defined for up to 5")
    peak = float(x.abs().max()) if x.numel() else 0.0
    if x.shape[1] < round(_GATE_S * sample_rate) or peak == 0.0:
        return -math.inf
    # torchaudio's K-weighting filters (lfilter) clamp their output to [-1, 1], which makes
    # loud input read too quiet (a file peaking at 6.4 read 4 LU low). Loudness is homogeneous
    # (x * g reads 20 log10 g louder), so measure at a safe -20 dBFS peak and scale back.
    scale = _MEASURE_PEAK / peak
    value = float(AF.loudness(x * scale, int(sample_rate))) - 20.0 * math.log10(scale)
    return value if math.isfinite(value) else -math.inf


def normalize_loudness(
    audio: torch.Tensor | np.ndarray,
    sample_rate: int,
    *,
    lufs: float | None = DEFAULT_LUFS,
    peak_dbfs: float = DEFAULT_PEAK_DBFS,
) -> tuple[torch.Tensor, float]:
    """Scale audio to a target loudness without letting any sample exceed ``peak_dbfs``.

    Parameters
    ----------
    audio : Tensor or array, shape (S,) or (C, S)
        Linear samples.
    sample_rate : int
        Samples per second.
    lufs : float or None
        Target integrated loudness (BS.1770) in LUFS. ``None`` keeps the level and only turns
        it down if the peak is over the ceiling. Audio too short (< 400 ms) or too quiet to
        measure is scaled to the peak ceiling instead.
    peak_dbfs : float
        Ceiling on the absolute sample peak after scaling, in dBFS (<= 0). One linear gain is
        applied to the whole file (no limiter, no distortion): when the loudness target would
        push the peak over the ceiling, the gain is lowered and the file ends up quieter.

    Returns
    -------
    audio : Tensor, shape (C, S), float64
    gain_db : float
        The gain applied, in dB.
    """
    x = _as_channels_first(audio)
    if not bool(torch.isfinite(x).all()):
        raise AudioError(
            "audio contains NaN or infinite samples; it cannot be normalised or written"
        )
    peak = float(x.abs().max()) if x.numel() else 0.0
    if peak == 0.0:
        return x, 0.0
    peak_gain = 10.0 ** (peak_dbfs / 20.0) / peak  # the most gain that keeps the peak safe
    if lufs is None:
        gain = min(1.0, peak_gain)
    else:
        measured = measure_lufs(x, sample_rate)
        gain = (
            peak_gain
            if not math.isfinite(measured)
            else min(peak_gain, 10.0 ** ((lufs - measured) / 20.0))
        )
    return x * gain, 20.0 * math.log10(gain)


def write_audio(
    path: str | os.PathLike[str],
    audio: torch.Tensor | np.ndarray,
    sample_rate: int,
    *,
    lufs: float | None = DEFAULT_LUFS,
    subtype: str = "PCM_24",
    peak_dbfs: float = DEFAULT_PEAK_DBFS,
    force: bool = False,
) -> Path:
    """Normalise and write audio to a WAV or FLAC file atomically (temp file, then rename).

    Parameters
    ----------
    path : path-like
        Output file; ``.wav`` or ``.flac``.
    audio : Tensor or array, shape (S,) or (C, S)
        Linear samples (any scale; see `normalize_loudness`).
    sample_rate : int
        Samples per second, > 0.
    lufs : float or None
        Target loudness; ``None`` to keep the level (the peak limit still applies).
    subtype : str
        ``PCM_24`` (default), ``PCM_16``, ``PCM_32``, ``FLOAT`` (WAV only) or ``DOUBLE`` (WAV only).
    peak_dbfs : float
        Sample-peak ceiling in dBFS; nothing is ever clipped.
    force : bool
        Replace an existing file.

    Returns
    -------
    Path

    Raises
    ------
    AudioError
        Unsupported suffix or subtype, empty or non-finite audio, bad sample rate.
    OutputExistsError, ConfigError
        The file exists (without ``force``) or its folder does not.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in _FORMATS:
        raise AudioError(
            f"{p}: unsupported audio format {suffix or '(no suffix)'!r}; use .wav or .flac"
        )
    container, subtypes = _FORMATS[suffix]
    subtype = subtype.upper()
    if subtype not in subtypes:
        raise AudioError(
            f"{p}: subtype {subtype} is not available for {container}; use one of {', '.join(subtypes)}"
        )
    if not (isinstance(sample_rate, int) and sample_rate > 0):
        raise AudioError(
            f"{p}: sample rate {sample_rate!r} must be a positive whole number of Hz (e.g. 48000)"
        )
    check_output_path(p, force=force)
    x = _as_channels_first(audio)
    if x.shape[1] == 0:
        raise AudioError(f"{p}: no samples to write; the audio is empty")
    x, _ = normalize_loudness(x, sample_rate, lufs=lufs, peak_dbfs=peak_dbfs)
    data = x.T.contiguous().numpy()  # (S, C) as soundfile wants
    if subtype not in ("FLOAT", "DOUBLE"):
        data = np.clip(data, -1.0, 1.0)  # already below the ceiling; guards rounding only
    with atomic_file(p, force=force) as tmp:
        sf.write(str(tmp), data, sample_rate, subtype=subtype, format=container)
    return p


def read_audio(path: str | os.PathLike[str]) -> tuple[np.ndarray, int]:
    """Read an audio file (WAV, FLAC, OGG, AIFF: anything libsndfile reads).

    Returns
    -------
    audio : np.ndarray, shape (C, S), float32
        Samples in [-1, 1] for integer formats.
    sample_rate : int

    Raises
    ------
    AudioError
        The file is missing, not a file, not audio, or holds no samples.
    """
    p = Path(path)
    if not p.exists():
        raise AudioError(f"{p}: audio file not found; check the path")
    if not p.is_file():
        raise AudioError(f"{p}: not a file; give a WAV, FLAC or OGG file")
    try:
        info = sf.info(str(p))
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        raise AudioError(
            f"{p}: not a readable audio file ({e}); give a WAV, FLAC or OGG file"
        ) from None
    if info.frames * info.channels > MAX_READ_SAMPLES:
        raise AudioError(
            f"{p}: {info.frames} frames x {info.channels} channels; at most {MAX_READ_SAMPLES:,} "
            "samples are read (one minute of stereo at 48 kHz): cut the recording to one tone"
        )
    try:
        data, sample_rate = sf.read(str(p), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError, ValueError) as e:
        raise AudioError(
            f"{p}: not a readable audio file ({e}); give a WAV, FLAC or OGG file"
        ) from None
    if data.shape[0] == 0:
        raise AudioError(f"{p}: the audio file holds no samples")
    return np.ascontiguousarray(data.T), int(sample_rate)
