"""Short audio previews of a scale in the run's timbre: each degree alone, and each degree over 1/1."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from xentune.audio_io import write_audio
from xentune.rendering import render_scores
from xentune.score import Score
from xentune.spectrum import Spectrum
from xentune.tuning.scale import Scale

__all__ = ["PREVIEW_FOLDER", "Preview", "preview_scores", "write_previews"]

#: Sub-folder of the run that holds the preview files.
PREVIEW_FOLDER = "previews"
#: Length of a single-degree preview and of a dyad preview, in seconds.
DEGREE_S = 1.2
DYAD_S = 2.0


@dataclass(frozen=True)
class Preview:
    """One preview file.

    Attributes
    ----------
    kind : str
        ``"degree"`` (degree k alone) or ``"dyad"`` (1/1 and degree k together).
    degree : int
        The degree, 0..N (N = the period).
    cents : float
        Its pitch above 1/1 in cents.
    path : str
        The file, relative to the run folder (``previews/degree-03.flac``).
    """

    kind: str
    degree: int
    cents: float
    path: str


def preview_scores(
    scale: Scale, *, timbre: str, reference_hz: float, spectrum: dict | None = None
) -> tuple[list[Preview], list[Score]]:
    """The previews of ``scale`` and the one-chord score that sounds each.

    Degrees 0..N alone (``degree-KK``) and 1/1 with each degree 1..N (``dyad-KK``), degree 0 at
    ``reference_hz``.

    Returns
    -------
    previews : list of Preview
    scores : list of Score
        ``scores[i]`` sounds ``previews[i]``: shape (1, 1) for a degree, (2, 1) for a dyad.
    """
    pitches = [0.0, *scale.degrees_cents]  # degrees 0..N in cents
    previews: list[Preview] = []
    scores: list[Score] = []
    for k, c in enumerate(pitches):
        previews.append(Preview("degree", k, c, f"{PREVIEW_FOLDER}/degree-{k:02d}.flac"))
        scores.append(
            Score.from_chords(
                np.array([[c]]),  # (1, 1) cents
                step_s=DEGREE_S,
                timbre=timbre,
                reference_hz=reference_hz,
                spectrum=spectrum,
            )
        )
    for k, c in enumerate(pitches[1:], start=1):
        previews.append(Preview("dyad", k, c, f"{PREVIEW_FOLDER}/dyad-{k:02d}.flac"))
        scores.append(
            Score.from_chords(
                np.array([[0.0], [c]]),  # (2, 1) cents
                step_s=DYAD_S,
                timbre=timbre,
                reference_hz=reference_hz,
                spectrum=spectrum,
            )
        )
    return previews, scores


def write_previews(
    run_dir: str | Path,
    scale: Scale,
    spectrum: Spectrum,
    *,
    timbre: str,
    reference_hz: float,
    sample_rate: int,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> list[Preview]:
    """Render every preview of ``scale`` with ``spectrum`` (one batched call) into ``run_dir``.

    Files are 16-bit FLAC (a few tens of kB each), loudness-normalised like the pieces.

    Returns
    -------
    list of Preview
        Degrees 0..N, then dyads 1..N.
    """
    previews, scores = preview_scores(
        scale, timbre=timbre, reference_hz=reference_hz, spectrum=spectrum.to_dict()
    )
    audio = render_scores(scores, spectrum, sample_rate=sample_rate, device=device, seed=seed)
    folder = Path(run_dir) / PREVIEW_FOLDER
    folder.mkdir(exist_ok=True)
    for p, wave in zip(previews, audio, strict=True):
        write_audio(Path(run_dir) / p.path, wave.detach().cpu(), sample_rate, subtype="PCM_16")
    return previews
