"""``xentune sweep``: many ``generate`` runs over timbres x seeds x temperatures, on Ray, with rates."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["sweep_command"]


def sweep_command(
    timbre: Annotated[
        list[str],
        typer.Option(
            "--timbre",
            help="Timbre SPEC; repeat for several (e.g. --timbre harmonic --timbre bell)",
        ),
    ],
    seeds: Annotated[
        str, typer.Option("--seeds", help="Seeds: a range A-B (inclusive), or a list 0,3,7-9")
    ] = "0-9",
    temperature: Annotated[
        list[float] | None,
        typer.Option("--temperature", help="Training temperature; repeat to sweep several"),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers", help="Runs at once (default: every CPU of the local Ray or cluster)"
        ),
    ] = None,
    address: Annotated[
        str | None,
        typer.Option(
            "--address",
            help="HOST:PORT of a running Ray cluster (ray start --head); default: a local Ray",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Sweep folder (runs/, sweep.json, sweep.md/html); rerun to resume"
        ),
    ] = Path("xentune-sweep"),
    voices: Annotated[
        int | None, typer.Option(help="Voices per piece (generate's default)")
    ] = None,
    steps: Annotated[int | None, typer.Option(help="Chords per piece (generate's default)")] = None,
    pieces: Annotated[int | None, typer.Option(help="Pieces per run (generate's default)")] = None,
    analysis_pieces: Annotated[
        int | None,
        typer.Option(
            help="Raw draws per run the scale, criteria and controls are read from (generate's default)"
        ),
    ] = None,
    train_steps: Annotated[
        int | None, typer.Option(help="Training steps per run (generate's default)")
    ] = None,
    refine_steps: Annotated[
        int | None, typer.Option(help="Refinement steps after sampling (generate's default)")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Run `generate` for every timbre x temperature x seed as Ray tasks; aggregate emergence rates.

    Each run uses one CPU thread; its folder goes to OUT/runs/. A sweep killed at any point and
    run again with the same options skips the runs already finished. Needs Ray, the optional
    extra "distributed" (uv sync --extra distributed).
    """
    from xentune.commands.progress import progress_bar
    from xentune.errors import ConfigError
    from xentune.generator.train import TrainConfig
    from xentune.pipeline import RunConfig
    from xentune.sweep.plan import parse_seeds, plan_sweep
    from xentune.sweep.runner import check_ray, run_sweep
    from xentune.timbre import parse_timbre

    for spec in timbre:
        parse_timbre(spec)  # a bad SPEC fails here, before Ray starts
    settings = {
        k: v
        for k, v in {
            "voices": voices,
            "steps": steps,
            "pieces": pieces,
            "analysis_pieces": analysis_pieces,
            "train_steps": train_steps,
            "refine_steps": refine_steps,
        }.items()
        if v is not None
    }
    plan = plan_sweep(timbre, parse_seeds(seeds), temperatures=temperature or (), settings=settings)
    # The shared settings are validated once, as generate would, before any run starts.
    train_kw = {k: settings[k] for k in ("voices", "steps", "train_steps") if k in settings}
    for t in plan.temperatures:
        RunConfig(
            train=TrainConfig(
                timbre=timbre[0], **train_kw, **({} if t is None else {"temperature": t})
            ),
            **{
                k: settings[k]
                for k in ("pieces", "analysis_pieces", "refine_steps")
                if k in settings
            },
            device="cpu",
        )
    if out.resolve() == Path.cwd().resolve():
        raise ConfigError("--out .: the sweep needs a folder of its own (e.g. --out xentune-sweep)")

    check_ray(address)
    with progress_bar(len(plan.tasks), "sweep runs", quiet=quiet) as bar:
        shown = [0]

        def advance(done: int, total: int) -> None:
            bar.advance(done - shown[0])
            shown[0] = done

        result = run_sweep(plan, out, workers=workers, address=address, progress=advance)
    for g in result["rates"]["groups"]:
        got = ", ".join(f"{i['cents']:.0f} c {i['k']}/{i['n']}" for i in g["intervals"])
        t = "" if g["temperature"] is None else f" T={g['temperature']:g}"
        edo = g["best_edo"][0] if g["best_edo"] else None
        best = f"; best EDO {edo['edo']} in {edo['k']}/{edo['n']}" if edo else ""
        typer.echo(f"{g['timbre']}{t}: {got}; period {g['period']['k']}/{g['period']['n']}{best}")
    typer.echo(
        f"{result['n_ok']}/{result['n_runs']} runs finished ({result['n_skipped_finished']} from an "
        f"earlier sweep) in {result['wall_s']:.1f} s; wrote {out}/sweep.json, sweep.md, sweep.html"
    )
    if result["n_ok"] < result["n_runs"]:
        raise typer.Exit(1)
