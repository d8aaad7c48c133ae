"""Pieces: the pitch generator's chords set in time by the time model, in phrases that repeat and vary."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xentune import defaults
from xentune.errors import CheckpointError, ConfigError
from xentune.generator.energy import Energy
from xentune.generator.sample import sample_pieces
from xentune.generator.time_checkpoint import SavedTimeModel
from xentune.generator.train_config import GeneratorModel
from xentune.pipeline.music import (
    WINDOW_MIN_S,
    TimeConfig,
    TimeModel,
    note_mask,
    pair_roughness,
    window_pitches,
)
from xentune.pipeline.time_terms import PHRASE_WINDOWS, Window
from xentune.score import Score
from xentune.spectrum import Spectrum
from xentune.tuning.scale import Scale

__all__ = [
    "DEFAULT_LENGTH_S",
    "FORM",
    "MAX_LENGTH_S",
    "SCALE_MODES",
    "compose_pieces",
    "snap_to_scale",
    "time_model_from_saved",
]

#: Length of each piece by default, and the longest, seconds (``--length``).
DEFAULT_LENGTH_S = defaults.DEFAULT_LENGTH_S
MAX_LENGTH_S = defaults.MAX_LENGTH_S
#: ``--scale``: ``fixed`` puts every note on a degree of the run's scale.scl; ``adaptive`` keeps
#: the generator's free continuous pitch (adaptive just intonation, which may drift).
SCALE_MODES = ("fixed", "adaptive")
#: The form of a section, phrase by phrase: ``A`` the first four chords of a sample of the pitch
#: generator, ``B`` the next four; a repeated letter reuses the chords with the time noise varied.
FORM = ("A", "A", "B", "A")
#: How far a repeated phrase's time noise turns away from its first statement (radians: the
#: repeat's noise is ``cos(a) z + sin(a) z'``, so 0 repeats exactly and pi/2 is new).
VARIATION_RAD = 0.5


def time_model_from_saved(saved: SavedTimeModel) -> TimeModel:
    """Rebuild the `TimeModel` of a time-model file (`load_time_model`).

    Raises
    ------
    CheckpointError
        Settings or weights that do not fit the model.
    """
    try:
        model = TimeModel(TimeConfig(**saved.config))
        model.load_state_dict(saved.weights, strict=True)
    except (TypeError, ValueError, RuntimeError, ConfigError) as e:
        raise CheckpointError(
            f"time model does not fit ({str(e).splitlines()[0][:120]}); regenerate the run"
        ) from None
    return model.eval()


def snap_to_scale(cents: torch.Tensor, scale: Scale) -> torch.Tensor:
    """Each pitch moved to the nearest degree of ``scale`` (1/1 at 0 cents, extended by periods).

    Parameters
    ----------
    cents : Tensor, shape (...)
    scale : Scale
        A scale with a period > 0.

    Returns
    -------
    Tensor, shape (...), float64
    """
    period = float(scale.period_cents)
    degrees = torch.tensor([*scale.pitches_cents.tolist(), period], dtype=torch.float64)  # (N+1,)
    x = cents.to(torch.float64)
    base = torch.floor(x / period) * period  # (...) start of the period holding x
    rel = x - base  # (...) in [0, period)
    nearest = torch.argmin((rel[..., None] - degrees).abs(), dim=-1)  # (...)
    return base + degrees[nearest]


def _beat_s(onset_s: np.ndarray, amplitude: np.ndarray) -> float:
    """The piece's beat: the median inter-onset interval within voices, seconds (0.6 if none)."""
    iois = [np.diff(onset_s[v][amplitude[v] > 0]) for v in range(onset_s.shape[0])]
    pooled = np.concatenate(iois) if iois else np.zeros(0)
    pooled = pooled[pooled > 0]
    return float(np.median(pooled)) if pooled.size else 0.6


def _piece_seed(seed: int, piece: int) -> int:
    """Seed of piece ``piece`` (0-based): the same piece whatever the number of pieces."""
    return int(np.random.SeedSequence([seed, piece, 14]).generate_state(1, dtype=np.uint32)[0])


@dataclass(frozen=True)
class _Phrase:
    chords: torch.Tensor  # (PHRASE_WINDOWS + 1, V) cents: four chords and the one after
    noise: torch.Tensor  # (PHRASE_WINDOWS, n_latent)


def _phrases(
    chords: torch.Tensor, model: TimeModel, generator: torch.Generator, n_phrases: int
) -> list[_Phrase]:
    """The piece's phrases in `FORM` order, section by section (one chord sample per section)."""
    n_sections, _, n_steps = chords.shape
    out: list[_Phrase] = []
    for s in range(n_sections):
        c = chords[s].T  # (T, V)
        letters = {
            "A": torch.arange(PHRASE_WINDOWS) % n_steps,
            "B": (PHRASE_WINDOWS + torch.arange(PHRASE_WINDOWS)) % n_steps,
        }
        noise = {
            k: torch.randn(PHRASE_WINDOWS, model.n_latent, generator=generator) for k in letters
        }
        seen: set[str] = set()
        for i, letter in enumerate(FORM):
            follow = FORM[(i + 1) % len(FORM)]
            if i + 1 == len(FORM) and s + 1 < n_sections:
                nxt = chords[s + 1].T[0]  # (V,) the next section's first chord
            else:
                nxt = c[letters[follow][0]]
            z = noise[letter]
            if letter in seen:
                fresh = torch.randn(PHRASE_WINDOWS, model.n_latent, generator=generator)
                z = math.cos(VARIATION_RAD) * z + math.sin(VARIATION_RAD) * fresh
            seen.add(letter)
            out.append(_Phrase(torch.cat([c[letters[letter]], nxt[None]], 0), z))
            if len(out) == n_phrases:
                return out
    return out


def _compose_one(
    chords: torch.Tensor,
    model: TimeModel,
    *,
    seed: int,
    length_s: float,
    period_cents: float,
    scale: Scale | None,
    spectrum: Spectrum,
    reference_hz: float,
    r0: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One piece's notes ``(cents, onset_s, duration_s, amplitude)``, each a list per voice."""
    generator = torch.Generator().manual_seed(seed)
    max_phrases = math.ceil(length_s / (WINDOW_MIN_S * PHRASE_WINDOWS)) + 1
    phrases = _phrases(chords, model, generator, max_phrases)
    seq = torch.stack([p.chords for p in phrases]).to(torch.float64)  # (F, W+1, V)
    pitches = window_pitches(seq[:, :-1], seq[:, 1:], period_cents=period_cents)  # (F, W, V, M)
    if scale is not None:
        pitches = snap_to_scale(pitches, scale)
    rough = pair_roughness(
        pitches.flatten(-2), spectrum, reference_hz=reference_hz, r0=r0
    )  # (F, W, K, K)
    mask = note_mask(model.config.voices)  # (V, M)
    notes: list[list[tuple[float, float, float, float]]] = [[] for _ in range(mask.shape[0])]
    start_s = 0.0
    previous: Window | None = None
    with torch.no_grad():
        for f, phrase in enumerate(phrases):
            for k in range(PHRASE_WINDOWS):
                position = torch.tensor(k)
                w, _ = model.draw(previous, position, rough[f, k], phrase.noise[k])
                on, dur, amp = w.onset_s, w.duration_s, w.amplitude  # (V, M) each
                for v in range(mask.shape[0]):
                    for m in range(int(mask[v].sum())):
                        notes[v].append(
                            (
                                float(pitches[f, k, v, m]),
                                start_s + float(on[v, m]),
                                float(dur[v, m]),
                                float(amp[v, m]),
                            )
                        )
                start_s += float(w.length_s)
                previous = w
            if start_s >= length_s:
                break
    n = max(len(v) for v in notes)
    arrays = np.zeros((4, len(notes), n))  # cents, onset, duration, amplitude; padding silent
    for v, voice in enumerate(notes):
        if voice:
            arrays[:, v, : len(voice)] = np.array(voice).T
    cents = np.round(arrays[0], 4)
    onset = np.round(arrays[1], 6)
    duration = np.round(arrays[2], 6)
    amplitude = np.round(arrays[3], 4)
    return cents, onset, duration, amplitude


def compose_pieces(
    chord_model: GeneratorModel,
    time_model: TimeModel,
    *,
    energy: Energy,
    n_pieces: int,
    length_s: float,
    seed: int,
    scale: Scale,
    scale_mode: str,
    refine_steps: int,
    spectrum: Spectrum,
    timbre: str,
    reference_hz: float,
    r0: float,
    device: torch.device | str = "cpu",
    on_piece: Callable[[int], None] | None = None,
) -> list[Score]:
    """Compose ``n_pieces`` pieces of at least ``length_s`` seconds each.

    Piece ``p`` draws its chords from the pitch generator with a seed of its own (so it is the
    same whatever ``n_pieces``), one sample of ``T`` chords per section of `FORM`, refined by
    ``refine_steps`` gradient steps like the run's pieces; the time model then sets each window
    (chord) in time, continued from the previous window, until the piece passes ``length_s`` at
    the end of a phrase. Time grows linearly with ``length_s``. Deterministic for a seed.

    Parameters
    ----------
    scale : Scale
        The run's ``scale.scl``: its period places the arpeggiated tones, and with
        ``scale_mode="fixed"`` every note is moved to its nearest degree (1/1 = ``reference_hz``,
        as the run's ``scale.kbm`` maps it).
    scale_mode : {"fixed", "adaptive"}
    r0 : float
        The timbre's dyad-curve maximum (`xentune.generator.energy.dyad_curve_max`).
    on_piece : callable, optional
        Called with the number of pieces done (progress).
    """
    if scale_mode not in SCALE_MODES:
        raise ConfigError(f"--scale {scale_mode}: must be one of {', '.join(SCALE_MODES)}")
    if not (math.isfinite(length_s) and 1.0 <= length_s <= MAX_LENGTH_S):
        raise ConfigError(f"--length {length_s}: must be in 1..{MAX_LENGTH_S:g} seconds (e.g. 30)")
    scores: list[Score] = []
    for p in range(n_pieces):
        seed_p = _piece_seed(seed, p)
        max_phrases = math.ceil(length_s / (WINDOW_MIN_S * PHRASE_WINDOWS)) + 1
        sections_needed = math.ceil(max_phrases / len(FORM))
        chords = sample_pieces(
            chord_model,
            n_pieces=sections_needed,
            seed=seed_p,
            energy=energy,
            refine_steps=refine_steps,
            device=device,
        )  # (sections, V, T) cents
        # voices bottom to top in every chord: the low voices move slowly (`notes_per_voice`)
        chords = chords.detach().to("cpu", torch.float64).sort(dim=1).values
        cents, onset, duration, amplitude = _compose_one(
            chords,
            time_model,
            seed=seed_p,
            length_s=length_s,
            period_cents=float(scale.period_cents),
            scale=scale if scale_mode == "fixed" else None,
            spectrum=spectrum,
            reference_hz=reference_hz,
            r0=r0,
        )
        beat_s = _beat_s(onset, amplitude)
        scores.append(
            Score(
                cents=cents,
                onset_s=onset,
                duration_s=duration,
                amplitude=amplitude,
                timbre=timbre,
                reference_hz=reference_hz,
                tempo_bpm=round(60.0 / beat_s, 2),
                spectrum=spectrum.to_dict(),
            )
        )
        if on_piece is not None:
            on_piece(p + 1)
    return scores


def music_settings(length_s: float, scale_mode: str) -> dict[str, Any]:
    """The composition settings recorded in config.json."""
    return {"length_s": length_s, "scale": scale_mode, "form": "".join(FORM)}
