"""``xentune timbre show SPEC`` and ``xentune timbre extract AUDIO``: look at or measure a timbre."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer

from xentune.atomic import check_output_path, write_text_atomic
from xentune.errors import ConfigError

__all__ = ["timbre_app"]

timbre_app = typer.Typer(
    help="Show a timbre's partials, or measure one from a recording.", no_args_is_help=True
)


@timbre_app.command("show")
def show(
    spec: Annotated[
        str, typer.Argument(help="Timbre SPEC, e.g. harmonic:partials=6 or stretched:octave=2.1")
    ],
) -> None:
    """Print the partials of a timbre: ratio, cents above the first partial, amplitude."""
    from xentune.timbre import parse_timbre

    typer.echo(parse_timbre(spec).table())


@timbre_app.command("extract")
def extract(
    audio: Annotated[Path, typer.Argument(help="Recording of one tone (WAV, FLAC, OGG)")],
    out: Annotated[Path, typer.Option("--out", help="Timbre file to write (.json)")],
    max_partials: Annotated[
        int, typer.Option(help="Keep at most this many partials", max=256)
    ] = 16,
    start: Annotated[
        float | None, typer.Option(help="Analyse from this time (s); default: after the attack")
    ] = None,
    end: Annotated[
        float | None, typer.Option(help="Analyse up to this time (s); default: until -40 dB")
    ] = None,
    threshold_db: Annotated[
        float, typer.Option(help="Drop partials weaker than this (dB re strongest)")
    ] = -40.0,
    force: Annotated[bool, typer.Option(help="Replace an existing output")] = False,
) -> None:
    """Measure the stable partials of a recorded tone and write them as a timbre file.

    The file works wherever a timbre is accepted (``--timbre TIMBRE.json``); ``--timbre
    audio:AUDIO`` measures on the fly.
    """
    from xentune.audio_io import read_audio
    from xentune.psychoacoustics.listen import spectrum_from_audio

    if out.suffix.lower() != ".json":
        raise ConfigError(f"--out {out}: a timbre file must end in .json")
    if not 1 <= max_partials <= 256:
        raise ConfigError(f"--max-partials {max_partials}: must be in 1..256")
    for name, value in (("--start", start), ("--end", end), ("--threshold-db", threshold_db)):
        if value is not None and not math.isfinite(value):
            raise ConfigError(f"{name} {value}: must be a finite number")
    if start is not None and start < 0:
        raise ConfigError(f"--start {start}: must be >= 0 s")
    if threshold_db >= 0:
        raise ConfigError(f"--threshold-db {threshold_db}: must be negative (e.g. -40)")
    check_output_path(out, force=force)
    samples, sample_rate = read_audio(audio)
    spectrum = spectrum_from_audio(
        samples,
        sample_rate,
        name=f"audio:{audio}",
        start_s=start,
        end_s=end,
        max_partials=max_partials,
        threshold_db=threshold_db,
    )
    write_text_atomic(out, json.dumps(spectrum.to_dict(), indent=2) + "\n", force=force)
    typer.echo(spectrum.table())
    typer.echo(f"wrote {out}")
