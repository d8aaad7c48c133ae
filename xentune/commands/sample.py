"""``xentune sample``: sample pieces from a trained model into DIR/score.json."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Annotated

import typer

from xentune.atomic import atomic_dir, check_output_path
from xentune.defaults import (
    DEFAULT_LENGTH_S,
    DEFAULT_REFINE_STEPS,
    DEFAULT_STEP_S,
    MAX_LENGTH_S,
    MAX_PIECES,
    MAX_REFINE_STEPS,
    MAX_SAMPLED_PITCHES,
    MAX_SEED,
    MAX_STEP_S,
)
from xentune.errors import CheckpointError, ConfigError

__all__ = ["sample_command"]


def sample_command(
    model: Annotated[Path, typer.Argument(help="Model file written by xentune train")],
    out: Annotated[Path, typer.Option(help="Folder to create; the pieces go to OUT/score.json")],
    pieces: Annotated[
        int,
        typer.Option(
            help=f"Number of pieces (pieces x voices x steps <= {MAX_SAMPLED_PITCHES})",
            max=MAX_PIECES,
        ),
    ] = 16,
    seed: Annotated[int, typer.Option(help="Seed of the sampling noise", max=MAX_SEED)] = 0,
    refine_steps: Annotated[
        int,
        typer.Option(
            help="Gradient steps on the energy after sampling (0 = raw samples)",
            max=MAX_REFINE_STEPS,
        ),
    ] = DEFAULT_REFINE_STEPS,
    step_s: Annotated[
        float, typer.Option(help=f"Duration of one chord in seconds (> 0, <= {MAX_STEP_S:g})")
    ] = DEFAULT_STEP_S,
    length: Annotated[
        float,
        typer.Option(
            help=f"Length of each piece in seconds (1..{MAX_LENGTH_S:g}; pieces x length <= "
            f"{MAX_LENGTH_S:g}); needs the run's time-model.pt and scale.scl beside MODEL"
        ),
    ] = DEFAULT_LENGTH_S,
    scale: Annotated[
        str, typer.Option(help="fixed (notes on the run's scale.scl) or adaptive (free pitch)")
    ] = "fixed",
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars")] = False,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "cpu",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing folder")] = False,
) -> None:
    """Compose pieces from a trained run (no retraining) and save them as score.json.

    With a run folder's model.pt (time-model.pt and scale.scl beside it) the pieces are composed
    as `xentune generate` composes them: the same seed, length, scale and refinement give the same
    score.json byte for byte, and the run's scale files are copied beside it (for `xentune
    export`). A model from `xentune train` alone gives block chords of --step-s.
    """
    from xentune.device import resolve_device
    from xentune.generator.sample import sample_pieces
    from xentune.generator.train import load_trained
    from xentune.score import Score, save_scores

    if seed < 0:
        raise ConfigError(f"--seed {seed}: must be in 0..{MAX_SEED}")
    if not (math.isfinite(step_s) and 0 < step_s <= MAX_STEP_S):
        raise ConfigError(f"--step-s {step_s}: must be in (0, {MAX_STEP_S:g}] s (e.g. 0.6)")
    if not (math.isfinite(length) and 1 <= length <= MAX_LENGTH_S):
        raise ConfigError(f"--length {length}: must be in 1..{MAX_LENGTH_S:g} seconds (e.g. 30)")
    if scale not in ("fixed", "adaptive"):
        raise ConfigError(f"--scale {scale}: must be fixed or adaptive (e.g. fixed)")
    check_output_path(out, force=force)
    torch_device = resolve_device(device)
    if (model.parent / "time-model.pt").exists() and model.is_file():
        if pieces * length > MAX_LENGTH_S:
            raise ConfigError(
                f"--pieces {pieces} x --length {length:g} s = {pieces * length:g} s of music; at "
                f"most {MAX_LENGTH_S:g} s: use fewer pieces or a shorter --length"
            )
        from xentune.commands.progress import progress_bars
        from xentune.pipeline.music_stage import compose_from_model

        composed, _ = compose_from_model(
            model,
            n_pieces=pieces,
            length_s=float(length),
            scale_mode=scale,
            refine_steps=refine_steps,
            seed=seed,
            device=torch_device,
            progress=progress_bars(quiet=quiet),
        )
        with atomic_dir(out, force=force) as tmp:
            save_scores(tmp / "score.json", composed)
            for name in ("scale.scl", "scale.kbm", "scale.ascl", "scale.tun"):
                if (model.parent / name).is_file():  # the scale the pieces use, for export
                    shutil.copyfile(model.parent / name, tmp / name)
        shortest = min(s.end_s for s in composed)
        typer.echo(
            f"composed {pieces} pieces of at least {shortest:.1f} s ({scale} scale, refine steps "
            f"{refine_steps}, no retraining); wrote {out}/score.json and the run's scale files"
        )
        return
    trained = load_trained(model, device=torch_device)
    if trained.step < trained.config.train_steps:
        raise CheckpointError(
            f"{model}: only {trained.step} of {trained.config.train_steps} training steps done; "
            f"finish it with xentune train --resume --out {model} (and the same settings)"
        )
    v, t = trained.config.voices, trained.config.steps
    if pieces * v * t > MAX_SAMPLED_PITCHES:
        raise ConfigError(
            f"--pieces {pieces} x {v} voices x {t} chords = {pieces * v * t} pitches; at most "
            f"{MAX_SAMPLED_PITCHES} are sampled at once: use fewer pieces"
        )
    cents = sample_pieces(
        trained.model,
        n_pieces=pieces,
        seed=seed,
        energy=trained.energy,
        refine_steps=refine_steps,
        device=torch_device,
    )
    scores = [
        Score.from_chords(
            piece.cpu().double().numpy(),
            step_s=step_s,
            timbre=trained.config.timbre,
            reference_hz=trained.config.reference_hz,
            spectrum=trained.spectrum.to_dict(),
        )
        for piece in cents
    ]
    with atomic_dir(out, force=force) as tmp:
        save_scores(tmp / "score.json", scores)
    typer.echo(
        f"sampled {pieces} pieces of {v} voices x {t} chords (refine steps {refine_steps}); wrote {out}/score.json"
    )
