"""``xentune generate``: train a generator on a timbre alone, sample music, write a run folder."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xentune.defaults import (
    DEFAULT_ANALYSIS_PIECES,
    DEFAULT_LENGTH_S,
    DEFAULT_MPE_BEND_RANGE,
    DEFAULT_PIECES,
    DEFAULT_RATIO_TOLERANCE_CENTS,
    DEFAULT_REFERENCE_HZ,
    DEFAULT_REFINE_STEPS,
    DEFAULT_SAMPLE_RATE,
    MAX_LENGTH_S,
    MAX_PIECES,
    MAX_REFINE_STEPS,
    MAX_SEED,
    MAX_STEPS,
    MAX_TRAIN_STEPS,
    MAX_VOICES,
)

if TYPE_CHECKING:
    from xentune.pipeline import RunResult

__all__ = ["generate_command", "summary"]


def summary(result: RunResult) -> str:
    """The run in a few lines: emergent steps (just ratio, nearest curve minimum), period, best EDO, time."""
    scale = result.scale
    lines = [
        f"emergent scale: {scale.n_steps} steps in a period of {scale.period_cents:.1f} cents "
        f"(period from the {scale.period_source}; {scale.n_intervals} intervals, "
        f"peakedness {scale.peakedness:.2f} nats)",
        "   step    cents  strength  just ratio  error  curve minimum  distance",
    ]
    steps = result.analysis.scale_steps
    if not steps:
        lines.append(
            "  (no steps stand out from a flat interval density: try a lower --temperature or more --train-steps)"
        )
    for row in steps:
        if row.just_ratios:
            ratio, err = row.just_ratios[0].ratio, f"{row.just_ratios[0].error_cents:+5.1f}"
        else:
            ratio, err = "-", "    -"
        if row.nearest_minimum_cents is not None and row.minimum_offset_cents is not None:
            minimum = f"{row.nearest_minimum_cents:13.1f}  {row.minimum_offset_cents:+8.1f}"
        else:
            minimum = f"{'-':>13}  {'-':>8}"
        strength = f"{row.strength:9.2f}" if row.strength is not None else f"{'-':>9}"
        lines.append(f"  {row.degree:5d} {row.cents:8.1f} {strength} {ratio:>11} {err}  {minimum}")
    edo = result.analysis.edo
    if edo.best:
        best = edo.best[0]
        others = ", ".join(f"{f.n}" for f in edo.best[1:4])
        lines.append(
            f"best equal division of the period (n = {edo.n_min}..{edo.n_max}): {best.n} "
            f"(RMS {best.rms_error_cents:.1f} cents = {best.relative_rms_error:.3f} of a step); next {others}"
        )
    if result.controls:
        lines.append(
            f"scale read from the {result.scale_from} samples; the generator beside its controls "
            "(same run, same metrics):"
        )
        lines.append(
            "  samples    stage    peakedness  near minima  chance  period (from)   steps  criteria"
        )
        for row in result.controls:
            crit = "-" if row.passed is None else ("pass" if row.passed else "FAIL")
            lines.append(
                f"  {row.source:10s} {row.stage:8s} {row.peakedness_nats:7.2f} nats "
                f"{100 * row.near_minimum_fraction:10.1f}% {100 * row.chance_fraction:6.1f}%  "
                f"{row.period_cents:7.1f} ({row.period_source:6s}) {len(row.steps_cents):5d}  {crit}"
            )
    if result.generator_scale is not None:
        g = result.generator_scale
        classes = ", ".join(
            f"{c:.0f} ({100 * u:.0f}%)" for c, u in zip(g["classes_cents"], g["usage"], strict=True)
        )
        lines.append(
            f"the generator's own scale: period {g['period_cents']:.1f} c; classes {classes}"
        )
    from xentune.report.music_view import music_summary_lines

    lines += music_summary_lines(result.analysis.music)
    parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in result.timings_s.items())
    lines.append(f"time: {result.elapsed_s:.1f} s ({parts})")
    lines.append(f"wrote {result.path}/ ({len(result.files)} files)")
    return "\n".join(lines)


def generate_command(
    timbre: Annotated[
        str, typer.Option(help="Timbre SPEC, e.g. harmonic, stretched:octave=2.1, edo:n=10")
    ] = "harmonic",
    out: Annotated[Path, typer.Option(help="Run folder to create")] = Path("xentune-run"),
    voices: Annotated[
        int | None,
        typer.Option(help="Voices per piece (default: the training default)", max=MAX_VOICES),
    ] = None,
    steps: Annotated[
        int | None,
        typer.Option(help="Chords per piece (default: the training default)", max=MAX_STEPS),
    ] = None,
    pieces: Annotated[
        int, typer.Option(help="Pieces to compose, render and export", max=MAX_PIECES)
    ] = DEFAULT_PIECES,
    analysis_pieces: Annotated[
        int,
        typer.Option(
            help="Raw samples of the generator the scale, the criteria and the controls are "
            "read from (at least --pieces are drawn)",
            max=MAX_PIECES,
        ),
    ] = DEFAULT_ANALYSIS_PIECES,
    train_steps: Annotated[
        int | None,
        typer.Option(help="Training steps (default: the training default)", max=MAX_TRAIN_STEPS),
    ] = None,
    temperature: Annotated[
        float | None,
        typer.Option(help="Temperature T of p(x) ~ exp(-E(x)/T); low = crisp intervals"),
    ] = None,
    consonance: Annotated[
        str | None,
        typer.Option(
            help="Dissonance model of the energy's chord terms, e.g. composite (fitted to "
            "listeners); default: the energy's roughness model"
        ),
    ] = None,
    refine_steps: Annotated[
        int,
        typer.Option(
            help="Gradient steps on the energy after sampling (0 = the raw samples)",
            max=MAX_REFINE_STEPS,
        ),
    ] = DEFAULT_REFINE_STEPS,
    scale_from: Annotated[
        str,
        typer.Option(
            help="Read the exported scale from the generator's raw samples (raw) or the refined ones"
        ),
    ] = "raw",
    length: Annotated[
        float,
        typer.Option(
            help=f"Length of each piece in seconds (1..{MAX_LENGTH_S:g}; pieces x length <= "
            f"{MAX_LENGTH_S:g} s); pieces end at a phrase's end, so a little longer"
        ),
    ] = DEFAULT_LENGTH_S,
    scale: Annotated[
        str,
        typer.Option(
            help="fixed: every note on a degree of the run's scale.scl; adaptive: free "
            "continuous pitch (adaptive just intonation; the report measures its drift)"
        ),
    ] = "fixed",
    time_train_steps: Annotated[
        int,
        typer.Option(help="Training steps of the time model (onsets, durations, amplitudes)"),
    ] = 300,
    seed: Annotated[int, typer.Option(help="Seed of training and sampling", max=MAX_SEED)] = 0,
    device: Annotated[str, typer.Option(help="auto, cpu or cuda")] = "auto",
    sample_rate: Annotated[
        int, typer.Option(help="Audio sample rate in Hz", max=192000)
    ] = DEFAULT_SAMPLE_RATE,
    reference_hz: Annotated[
        float, typer.Option(help="Frequency of 0 cents in Hz (middle C)")
    ] = DEFAULT_REFERENCE_HZ,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue training from this checkpoint (same configuration)"),
    ] = None,
    ratios: Annotated[
        bool,
        typer.Option(
            "--ratios",
            help="Write each degree (and the period) within --ratio-tolerance of a simple just "
            "ratio (odd limit <= 15) as that exact ratio, e.g. 3/2 and 2/1",
        ),
    ] = False,
    ratio_tolerance: Annotated[
        float,
        typer.Option(
            help="How close a degree must be to a just ratio for --ratios, in cents (0..25)"
        ),
    ] = DEFAULT_RATIO_TOLERANCE_CENTS,
    period_ratio: Annotated[
        str | None,
        typer.Option(help="Write the period as this exact ratio whatever the data says, e.g. 2/1"),
    ] = None,
    keyboard: Annotated[
        str,
        typer.Option(
            help="Keyboard mapping of scale.kbm/.tun: consecutive (each key the next degree), "
            "white-keys (7-note scales: C..B = degrees 0..6), 12-key (C, C#, ... = degrees 0, 1, "
            "...; keys past the last degree unmapped)"
        ),
    ] = "consecutive",
    mpe_bend_range: Annotated[
        int,
        typer.Option(help="Pitch-bend range of the MPE files' member channels, semitones (1..96)"),
    ] = DEFAULT_MPE_BEND_RANGE,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing run folder")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bars")] = False,
) -> None:
    """Train a generator on the timbre alone (no music data), sample pieces, and write a run folder.

    The generator's chords are set in time by a time model trained on perceptual terms (rhythm,
    tempo, consonance over what sounds together, phrase dynamics): pieces of --length seconds.
    The folder holds audio and MIDI (pitch bend, MPE and MTS) per piece, score.json, the emergent
    scale as scale.scl + scale.kbm, scale.ascl (Ableton Live 12) and scale.tun (AnaMark), audio
    previews of each degree and dyad, config.json, training.json, model.pt and a report.
    """
    from xentune.commands.progress import progress_bars
    from xentune.generator.energy import EnergyConfig
    from xentune.generator.exports import ExportConfig
    from xentune.generator.train import TrainConfig
    from xentune.pipeline import RunConfig, generate_run

    exports = ExportConfig(
        ratios=ratios,
        ratio_tolerance_cents=ratio_tolerance,
        period_ratio=period_ratio,
        keyboard=keyboard,
        mpe_bend_range=mpe_bend_range,
    )
    overrides = {
        "voices": voices,
        "steps": steps,
        "train_steps": train_steps,
        "temperature": temperature,
    }
    train_config = TrainConfig(
        timbre=timbre,
        seed=seed,
        reference_hz=reference_hz,
        energy=EnergyConfig(consonance_model=consonance),
        **{k: v for k, v in overrides.items() if v is not None},
    )
    config = RunConfig(
        train=train_config,
        pieces=pieces,
        analysis_pieces=analysis_pieces,
        sample_rate=sample_rate,
        device=device,
        refine_steps=refine_steps,
        exports=exports,
        scale_from=scale_from,
        length_s=length,
        scale_mode=scale,
        time_train_steps=time_train_steps,
    )

    # On Ctrl-C or SIGTERM the run keeps its checkpoint as OUT.interrupted.pt and says how to
    # resume (xentune.errors.Interrupted); the temp folder's path is never shown, since it goes.
    result = generate_run(
        config, out, force=force, resume=resume, progress=progress_bars(quiet=quiet)
    )
    typer.echo(summary(result))
