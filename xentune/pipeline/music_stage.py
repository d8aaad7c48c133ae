"""The run's music stage: train the time model beside the pitch generator, then compose the pieces."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch

from xentune.atomic import write_text_atomic
from xentune.errors import CheckpointError
from xentune.generator.energy import Energy, dyad_curve_max
from xentune.generator.sample import sample_pieces
from xentune.generator.time_checkpoint import load_time_model, save_time_model
from xentune.generator.train import load_trained
from xentune.generator.train_config import GeneratorModel
from xentune.pipeline.music import TimeConfig, TimeModel, train_time_model
from xentune.pipeline.pieces import compose_pieces, time_model_from_saved
from xentune.progress import ProgressFactory, silent_progress
from xentune.score import Score
from xentune.spectrum import Spectrum
from xentune.tuning.scala import read_scl
from xentune.tuning.scale import Scale

__all__ = ["TIME_TRAINING_PIECES", "compose_from_model", "train_and_compose"]

#: Samples of the pitch generator the time model trains over (each gives T windows).
TIME_TRAINING_PIECES = 32


def _r0(spectrum: Spectrum, reference_hz: float) -> float:
    """The timbre's dyad-curve maximum: the roughness scale of the pitch energy."""
    return dyad_curve_max(spectrum, reference_hz=reference_hz)


def train_and_compose(
    *,
    model: GeneratorModel,
    energy: Energy,
    spectrum: Spectrum,
    scale: Scale,
    run_dir: Path,
    n_pieces: int,
    length_s: float,
    scale_mode: str,
    refine_steps: int,
    seed: int,
    timbre: str,
    reference_hz: float,
    device: torch.device,
    progress: ProgressFactory = silent_progress,
    time_config: TimeConfig | None = None,
) -> tuple[list[Score], dict[str, list[float]], float]:
    """Train the time model, save ``time-model.pt`` and ``time-training.json``, compose the pieces.

    The time model trains on ``TIME_TRAINING_PIECES`` raw samples of the pitch generator (a seed
    of their own), on one CPU thread. Returns the pieces, the training history and its seconds.
    """
    chords = sample_pieces(
        model, n_pieces=TIME_TRAINING_PIECES, seed=(seed + 1) % 2**63, device=device
    )  # (S, V, T) cents
    chords = chords.detach().to("cpu", torch.float64).sort(dim=1).values  # voices bottom to top
    cfg = time_config or TimeConfig(voices=chords.shape[1], seed=seed)
    r0 = _r0(spectrum, reference_hz)
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny tensors: one thread is fastest, and the same every run
    try:
        with progress(cfg.train_steps, "training the time model") as bar:
            time_model, history = train_time_model(
                cfg,
                chords,
                spectrum=spectrum,
                reference_hz=reference_hz,
                period_cents=float(scale.period_cents),
                r0=r0,
                on_step=lambda _: bar.advance(1),
            )
    finally:
        torch.set_num_threads(before)
    seconds = history["seconds"][-1] if history["seconds"] else 0.0
    save_time_model(
        run_dir / "time-model.pt",
        config=cfg.to_dict(),
        weights=time_model.state_dict(),
        period_cents=float(scale.period_cents),
    )
    write_text_atomic(run_dir / "time-training.json", json.dumps(history) + "\n")
    # Compose with the model as saved and read back: `xentune sample` does exactly this.
    time_model = time_model_from_saved(load_time_model(run_dir / "time-model.pt"))
    with progress(n_pieces, "composing pieces") as bar:
        scores = compose_pieces(
            model,
            time_model,
            energy=energy,
            n_pieces=n_pieces,
            length_s=length_s,
            seed=seed,
            scale=scale,
            scale_mode=scale_mode,
            refine_steps=refine_steps,
            spectrum=spectrum,
            timbre=timbre,
            reference_hz=reference_hz,
            r0=r0,
            device=device,
            on_piece=lambda _: bar.advance(1),
        )
    return scores, history, seconds


def compose_from_model(
    model_path: str | Path,
    *,
    n_pieces: int,
    length_s: float,
    scale_mode: str,
    refine_steps: int,
    seed: int,
    device: torch.device,
    progress: ProgressFactory = silent_progress,
) -> tuple[list[Score], dict[str, Any]]:
    """Compose pieces from a run's ``model.pt`` with the ``time-model.pt`` and ``scale.scl`` beside it.

    No training: the same pieces `train_and_compose` made for the same seed, length, scale mode
    and refinement (byte for byte in score.json on the same device), or new ones for another.

    Raises
    ------
    CheckpointError
        ``model.pt`` unfinished or unreadable, or no time model or scale beside it.
    """
    path = Path(model_path)
    trained = load_trained(path, device=device)
    if trained.step < trained.config.train_steps:
        raise CheckpointError(
            f"{path}: only {trained.step} of {trained.config.train_steps} training steps done; "
            f"finish it with xentune train --resume --out {path} (and the same settings)"
        )
    scl = path.parent / "scale.scl"
    if not scl.is_file():
        raise CheckpointError(
            f"{scl}: no scale beside the model; give the model.pt of a run folder of xentune generate"
        )
    time_model: TimeModel = time_model_from_saved(load_time_model(path.parent / "time-model.pt"))
    if time_model.config.voices != trained.config.voices:
        raise CheckpointError(
            f"{path.parent / 'time-model.pt'}: made for {time_model.config.voices} voices, the "
            f"model has {trained.config.voices}; regenerate the run"
        )
    scale = read_scl(scl)
    spectrum = trained.spectrum
    ref_hz = float(trained.config.reference_hz)
    before = torch.get_num_threads()
    torch.set_num_threads(1)  # as generate composes (its --cpu-threads default)
    try:
        with progress(n_pieces, "composing pieces") as bar:
            scores = compose_pieces(
                trained.model,
                time_model,
                energy=trained.energy,
                n_pieces=n_pieces,
                length_s=length_s,
                seed=seed,
                scale=scale,
                scale_mode=scale_mode,
                refine_steps=refine_steps,
                spectrum=spectrum,
                timbre=trained.config.timbre,
                reference_hz=ref_hz,
                r0=_r0(spectrum, ref_hz),
                device=device,
                on_piece=lambda _: bar.advance(1),
            )
    finally:
        torch.set_num_threads(before)
    info = {"voices": trained.config.voices, "timbre": trained.config.timbre}
    return scores, info
