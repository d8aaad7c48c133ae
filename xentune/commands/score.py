"""``xentune score``: score a CSV of chords with roughness, harmonicity, similarity and composite models."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xentune.defaults import CONSONANCE_MODEL_NAMES

__all__ = ["score_command"]


def score_command(
    chords: Annotated[
        Path,
        typer.Argument(help="CSV with one chord per row, fundamentals in Hz in columns f_1..f_n"),
    ],
    out: Annotated[
        Path, typer.Option("--out", help="Output CSV: the input columns plus one column per model")
    ],
    timbre: Annotated[
        str, typer.Option("--timbre", help="Timbre SPEC of every voice, e.g. sawtooth:partials=10")
    ] = ("harmonic"),
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help=f"'all' or a comma-separated list of: {', '.join(CONSONANCE_MODEL_NAMES)}",
        ),
    ] = "all",
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "cpu",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Score chords with consonance models.

    Roughness and composite: higher = more dissonant; harmonicity and spectral_similarity:
    higher = more consonant.
    """
    from xentune.chords_csv import score_chords_csv
    from xentune.commands.progress import progress_bars
    from xentune.device import resolve_device
    from xentune.psychoacoustics.consonance import resolve_models
    from xentune.timbre import parse_timbre

    spectrum = parse_timbre(timbre)
    names = resolve_models(model)
    path = score_chords_csv(
        chords,
        out,
        spectrum=spectrum,
        models=names,
        device=resolve_device(device),
        force=force,
        progress=progress_bars(quiet=quiet),
    )
    typer.echo(f"scored {chords} with {', '.join(names)} (timbre {spectrum.name}): wrote {path}")
