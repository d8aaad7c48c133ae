"""``xentune train``: train a generator on a timbre alone and write the model file."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xentune.atomic import check_output_path, output_lock
from xentune.defaults import (
    DEFAULT_STEPS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TRAIN_STEPS,
    DEFAULT_VOICES,
    MAX_SEED,
    MAX_STEPS,
    MAX_TRAIN_STEPS,
    MAX_VOICES,
)
from xentune.errors import CheckpointError, Interrupted

if TYPE_CHECKING:
    from xentune.generator.train import TrainResult

__all__ = ["summary", "train_command"]


def summary(result: TrainResult, *, out: Path, device: str) -> str:
    """Two lines: what was trained, how the energy and entropy moved, where the model is."""
    h = result.history
    return (
        f"trained {h['step'][-1]} steps on {device} in {result.seconds:.1f} s: "
        f"energy {h['energy'][0]:.2f} -> {h['energy'][-1]:.2f}, "
        f"entropy {h['entropy'][0]:.1f} -> {h['entropy'][-1]:.1f} nats\n"
        f"wrote {out}"
    )


def _identity(path: Path) -> tuple[int, int] | None:
    """(inode, mtime) of ``path``, None when absent: an atomic checkpoint write changes both."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def train_command(
    out: Annotated[Path, typer.Option(help="Model file to write (MODEL.pt); also the checkpoint")],
    timbre: Annotated[
        str, typer.Option(help="Timbre SPEC, e.g. harmonic, stretched:octave=2.1, edo:n=10")
    ] = "harmonic",
    voices: Annotated[int, typer.Option(help="Voices per chord", max=MAX_VOICES)] = DEFAULT_VOICES,
    steps: Annotated[
        int, typer.Option(help="Chords per piece (voices x steps <= 512)", max=MAX_STEPS)
    ] = DEFAULT_STEPS,
    train_steps: Annotated[
        int, typer.Option(help="Optimiser steps", max=MAX_TRAIN_STEPS)
    ] = DEFAULT_TRAIN_STEPS,
    temperature: Annotated[
        float,
        typer.Option(
            help="Temperature T of p(x) ~ exp(-E(x)/T) (R0 per chord); low = crisp intervals"
        ),
    ] = DEFAULT_TEMPERATURE,
    consonance: Annotated[
        str | None,
        typer.Option(
            help="Dissonance model of the energy's chord terms, e.g. composite (fitted to "
            "listeners); default: the energy's roughness model"
        ),
    ] = None,
    seed: Annotated[
        int, typer.Option(help="Seed of the weights and the training noise", max=MAX_SEED)
    ] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    resume: Annotated[
        bool,
        typer.Option("--resume", help="Continue the interrupted run whose checkpoint is --out"),
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing model file")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Train a generator on the timbre's psychoacoustic energy alone (no music data).

    Checkpoints (model, optimizer, step, config, RNG) go to --out every few steps; after a crash,
    the same command with --resume finishes the run with the same result as an uninterrupted one.
    """
    from xentune.commands.progress import progress_bars
    from xentune.device import resolve_device
    from xentune.generator.energy import EnergyConfig
    from xentune.generator.train import TrainConfig, train
    from xentune.timbre import parse_timbre

    spectrum = parse_timbre(timbre)
    config = TrainConfig(
        timbre=timbre,
        voices=voices,
        steps=steps,
        train_steps=train_steps,
        temperature=temperature,
        seed=seed,
        energy=EnergyConfig(consonance_model=consonance),
    )
    if resume:
        if not out.is_file():
            raise CheckpointError(
                f"--resume: no checkpoint at {out}; run without --resume to start training"
            )
    else:
        check_output_path(out, force=force)
    torch_device = resolve_device(device)
    with output_lock(out):  # a second train to the same --out fails now, not after training
        if not resume:
            check_output_path(out, force=force)  # again, now that no other xentune can write it
        before = _identity(out)
        try:
            result = train(
                config,
                device=torch_device,
                checkpoint_path=out,
                resume=resume,
                spectrum=spectrum,
                progress=progress_bars(quiet=quiet),
            )
        except KeyboardInterrupt:
            if _identity(out) in (None, before):  # no checkpoint written by this run
                raise Interrupted(
                    f"stopped before the first checkpoint; {out} was not written by this run"
                ) from None
            raise Interrupted(
                f"checkpoint kept at {out}; continue with: xentune train --resume --out {out} "
                "(and the same settings)"
            ) from None
    typer.echo(summary(result, out=out, device=str(torch_device)))
