"""Scoring tables of chords with several consonance models (the library behind ``xentune score``)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch

from xentune.errors import ConfigError
from xentune.progress import ProgressFactory, silent_progress
from xentune.psychoacoustics.composite import composite_dissonance
from xentune.psychoacoustics.harmonicity import chord_harmonicity
from xentune.psychoacoustics.roughness import chord_roughness
from xentune.psychoacoustics.similarity import chord_spectral_similarity
from xentune.spectrum import Spectrum

__all__ = [
    "CONSONANCE_MODELS",
    "HIGHER_IS_CONSONANT",
    "resolve_models",
    "score_chords",
]

#: Every model `score_chords` knows, with its meaning and direction.
CONSONANCE_MODELS: dict[str, str] = {
    "sethares": "roughness, Sethares dissmeasure (TTSS 2005); higher = more dissonant",
    "sethares1993": "roughness, Sethares (1993) paper constants, a1*a2; higher = more dissonant",
    "vassilakis": "roughness, Vassilakis (2001); higher = more dissonant",
    "hutchinson": "roughness, Hutchinson & Knopoff (1978); higher = more dissonant",
    "harmonicity": "harmonicity, KL from uniform (Harrison & Pearce 2018); higher = more consonant",
    "harmonicity_peak": "harmonicity, template peak (Milne 2013); higher = more consonant",
    "spectral_similarity": (
        "mean spectral pitch similarity of the voice pairs (Milne et al. 2011); "
        "higher = more consonant"
    ),
    "composite": (
        "Hutchinson-Knopoff roughness and KL harmonicity, weights fitted to listener data; "
        "higher = more dissonant"
    ),
}

#: The models whose score rises with consonance; every other one is a dissonance (higher = rougher).
HIGHER_IS_CONSONANT = frozenset({"harmonicity", "harmonicity_peak", "spectral_similarity"})

#: Harmonicity model name -> ``kind`` of `chord_harmonicity`.
_HARMONICITY_KINDS = {"harmonicity": "kl", "harmonicity_peak": "peak"}

#: Chords scored per batched call (bounds memory: pairs grow as (V*P)^2).
CHUNK_CHORDS = 2048


def resolve_models(models: str | Sequence[str]) -> tuple[str, ...]:
    """Model names from ``"all"``, one name, a comma-separated list, or a sequence of names.

    Raises
    ------
    ConfigError
        An unknown name (the message lists the known ones), or none at all.
    """
    if isinstance(models, str):
        names = [m.strip() for m in models.split(",") if m.strip()]
    else:
        names = [str(m).strip() for m in models]
    if names == ["all"]:
        return tuple(CONSONANCE_MODELS)
    if not names:
        raise ConfigError(f"no model given; use 'all' or some of {', '.join(CONSONANCE_MODELS)}")
    for name in names:
        if name not in CONSONANCE_MODELS:
            raise ConfigError(
                f"unknown model {name!r}; use 'all' or some of {', '.join(CONSONANCE_MODELS)}"
            )
    return tuple(dict.fromkeys(names))


def _score_dense(
    f0_hz: torch.Tensor, ratios: torch.Tensor, amps: torch.Tensor, model: str
) -> torch.Tensor:
    """One model on chords that all have the same number of voices: ``(n, V) -> (n,)``."""
    if model in _HARMONICITY_KINDS:
        return chord_harmonicity(f0_hz, ratios, amps, kind=_HARMONICITY_KINDS[model])
    if model == "spectral_similarity":
        return chord_spectral_similarity(f0_hz, ratios, amps)
    if model == "composite":
        return composite_dissonance(f0_hz, ratios, amps)
    return chord_roughness(f0_hz, ratios, amps, model=model)


def score_chords(
    f0_hz: np.ndarray | torch.Tensor,
    spectrum: Spectrum,
    *,
    models: str | Sequence[str] = "all",
    device: torch.device | str | None = None,
    progress: ProgressFactory = silent_progress,
) -> dict[str, np.ndarray]:
    """Score chords of one timbre with several consonance models.

    Parameters
    ----------
    f0_hz : array, shape (N, V)
        Fundamental of each voice in Hz; NaN marks an absent voice (chords with fewer voices).
        Every row needs at least one voice; values must be finite and > 0 otherwise.
    spectrum : Spectrum
        The timbre of every voice.
    models : str or sequence of str
        ``"all"`` or names from `CONSONANCE_MODELS` (roughness models in their own units, higher
        = rougher; ``harmonicity`` (KL, bits) and ``harmonicity_peak`` (0..1), higher = more
        harmonic; ``spectral_similarity`` (0..1), higher = more alike; ``composite`` (listener
        standard deviations), higher = more dissonant).
    device : torch device, optional
        Where to compute (default CPU). Computed in float64.
    progress : ProgressFactory
        Opens the progress bar (default: none shown; the CLI passes rich bars).

    Returns
    -------
    dict[str, np.ndarray]
        Model name -> scores, shape (N,), in the order asked.

    Raises
    ------
    ConfigError
        Unknown model, wrong shape, a row with no voice, or a non-positive / infinite frequency.

    Examples
    --------
    >>> from xentune.timbre import parse_timbre
    >>> f0 = np.array([[261.63, 392.445], [261.63, 277.18]])  # fifth, minor second
    >>> s = score_chords(f0, parse_timbre("sawtooth:partials=10"), models="hutchinson")
    >>> bool(s["hutchinson"][0] < s["hutchinson"][1])
    True
    """
    names = resolve_models(models)
    f0 = torch.as_tensor(f0_hz, dtype=torch.float64).cpu()
    if f0.ndim != 2:
        raise ConfigError(
            f"chords must be an array of shape (chords, voices), got shape {tuple(f0.shape)}"
        )
    present = ~torch.isnan(f0)  # (N, V)
    counts = present.sum(-1)  # (N,)
    if bool((counts == 0).any()):
        row = int(torch.nonzero(counts == 0)[0, 0])
        raise ConfigError(f"chord {row + 1} has no voices; give at least one fundamental in Hz")
    bad = present & ~(torch.isfinite(f0) & (f0 > 0))
    if bool(bad.any()):
        row, col = (int(x) for x in torch.nonzero(bad)[0])
        raise ConfigError(
            f"chord {row + 1}, voice {col + 1}: {float(f0[row, col])!r} Hz; fundamentals must be > 0"
        )
    ratios, amps = spectrum.tensors(dtype=torch.float64, device=device)
    out = {name: np.empty(f0.shape[0], dtype=np.float64) for name in names}
    # Group chords by voice count: each group is dense (no padding), so every model is exact.
    groups = [(k, torch.nonzero(counts == k)[:, 0]) for k in sorted(set(counts.tolist()))]
    n_chunks = sum(math.ceil(len(rows) / CHUNK_CHORDS) for _, rows in groups)
    with progress(n_chunks * len(names), "scoring chords") as bar, torch.no_grad():
        for k, rows in groups:
            # Present voices of each row, in column order: (n_k, k) Hz.
            order = torch.argsort((~present[rows]).to(torch.int8), dim=-1, stable=True)[:, :k]
            dense = torch.gather(f0[rows], 1, order)
            for start in range(0, len(rows), CHUNK_CHORDS):
                chunk = dense[start : start + CHUNK_CHORDS].to(device)  # (n, k) Hz
                idx = rows[start : start + CHUNK_CHORDS].numpy()
                for name in names:
                    out[name][idx] = _score_dense(chunk, ratios, amps, name).cpu().numpy()
                    bar.advance()
    return out
