"""``xentune render SCORE.json --out FILE.wav``: pieces of a score to audio with their timbre."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from xentune.defaults import DEFAULT_LUFS

__all__ = ["render_command"]


def render_command(
    score: Annotated[
        Path, typer.Argument(help="score.json written by `xentune generate` (or by hand)")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output audio file (.wav or .flac)")],
    piece: Annotated[
        int | None,
        typer.Option("--piece", help="Render only piece K (1-based); default: all, 1 s apart"),
    ] = None,
    timbre: Annotated[
        str | None, typer.Option("--timbre", help="Timbre SPEC overriding the score's own timbre")
    ] = None,
    sample_rate: Annotated[
        int, typer.Option("--sample-rate", help="Samples per second (Hz)", max=384000)
    ] = 48000,
    lufs: Annotated[
        float, typer.Option("--lufs", help="Target integrated loudness (LUFS, BS.1770)")
    ] = DEFAULT_LUFS,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "auto",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Render a score's pieces with additive synthesis of their timbre to WAV/FLAC.

    At most 600 s of audio in all (pieces, their notes' ends and the 1 s gaps between them).
    """
    from xentune.commands.progress import progress_bars
    from xentune.render_file import render_score_file

    info = render_score_file(
        score,
        out,
        piece=piece,
        timbre=timbre,
        sample_rate=sample_rate,
        lufs=lufs,
        device=device,
        force=force,
        progress=progress_bars(quiet=quiet),
    )
    typer.echo(
        f"wrote {out}: {int(info['pieces'])} piece(s), {info['seconds']:.1f} s, "
        f"{info['lufs']:.1f} LUFS, peak {info['peak_dbfs']:.1f} dBFS"
    )
