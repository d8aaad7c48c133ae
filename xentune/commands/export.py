"""``xentune export SCORE.json|RUN_DIR --format ...``: a piece as MIDI, or the run's scale file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xentune.defaults import DEFAULT_MPE_BEND_RANGE

__all__ = ["export_command"]


def export_command(
    source: Annotated[
        Path, typer.Argument(help="A score.json (xentune generate, xentune sample) or a run folder")
    ],
    format: Annotated[  # noqa: A002 - the option is --format
        str,
        typer.Option(
            "--format",
            help="midi (pitch bend; alias mid), mpe, mts, or a scale file of the run: scl, kbm, "
            "ascl, tun",
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(help="File to write (MIDI default: piece-XX[-mpe|-mts].mid beside the score)"),
    ] = None,
    piece: Annotated[int, typer.Option(help="Piece to export (1-based), for MIDI")] = 1,
    mpe_bend_range: Annotated[
        int, typer.Option(help="Pitch-bend range of MPE member channels, semitones (1..96)")
    ] = DEFAULT_MPE_BEND_RANGE,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file")] = False,
) -> None:
    """Write a piece of a score as MIDI (tempo = the score's, velocity = amplitude), or a scale file.

    MIDI carries the exact continuous pitches as pitch bend (any synth), MPE or MIDI Tuning
    Standard; reading the file back gives the score's pitches within 0.1 cent.
    """
    from xentune.pipeline.export import export

    path = export(
        source, fmt=format, out=out, piece=piece, mpe_bend_range=mpe_bend_range, force=force
    )
    typer.echo(f"wrote {path}")
