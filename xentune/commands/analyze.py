"""``xentune analyze INPUT``: analyse a scale (.scl), a run folder, a score.json or a report.json."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from xentune.atomic import atomic_dir, check_output_path
from xentune.errors import ConfigError

__all__ = ["AnalyzeOptions", "analyze_command", "input_kind"]


@dataclass(frozen=True)
class AnalyzeOptions:
    """The command's options, handed to the analyser of each input kind."""

    kbm: Path | None
    out: Path | None
    force: bool


def input_kind(path: Path) -> str:
    """What ``path`` is: ``"scale"`` (.scl), ``"run"`` (a folder) or ``"score"`` (.json).

    A missing ``.scl`` still counts as a scale, so that its reader reports the missing file.

    Raises
    ------
    ConfigError
        Anything else (a missing folder or score, a .kbm given as input, an unknown suffix).
    """
    suffix = path.suffix.lower()
    if path.is_dir():
        return "run"
    if suffix == ".scl":
        return "scale"
    if suffix == ".json":
        if not path.exists():
            raise ConfigError(f"{path}: no such score file; check the path")
        return "score"
    if suffix == ".kbm":
        raise ConfigError(
            f"{path}: a keyboard mapping is not analysed on its own; give the scale and pass the "
            f"mapping with --kbm (xentune analyze SCALE.scl --kbm {path})"
        )
    if not path.exists():
        raise ConfigError(
            f"{path}: no such file or folder; give a Scala scale (.scl), a run folder or a score.json"
        )
    raise ConfigError(
        f"{path}: unknown input kind (suffix {suffix or 'none'!r}); give a Scala scale (.scl), "
        "a run folder made by `xentune generate`, or a score.json"
    )


def _analyze_scale_file(path: Path, options: AnalyzeOptions) -> None:
    from xentune.tuning.kbm import read_kbm
    from xentune.tuning.scala import read_scl
    from xentune.tuning.scale_analysis import analyze_scale

    scale = read_scl(path)
    mapping = read_kbm(options.kbm) if options.kbm is not None else None
    analysis = analyze_scale(scale, mapping, source=str(path))
    typer.echo(analysis.table())
    if options.out is not None:
        from xentune.report.analysis import analysis_for_scale
        from xentune.report.render import write_scale_report

        report = analysis_for_scale(scale, mapping, source=str(path))
        with atomic_dir(options.out, force=options.force) as tmp:
            text = json.dumps(analysis.to_dict(), indent=2, allow_nan=False) + "\n"
            (tmp / "analysis.json").write_text(text, encoding="utf-8")
            (tmp / "frequencies.csv").write_text(analysis.frequencies_csv(), encoding="utf-8")
            write_scale_report(tmp, report)  # report.json/html/md + plots; says there is no run
        typer.echo(
            f"wrote {options.out / 'analysis.json'}, {options.out / 'frequencies.csv'} and the report "
            f"{options.out / 'report.html'} (a scale file alone: no training plot, no audio)"
        )


def _analyze_report(path: Path, options: AnalyzeOptions) -> None:
    """A run folder or score.json (report built, or read when it exists) or a report.json."""
    from xentune.report.build import report_for_path, summary_text

    result = report_for_path(path, out_dir=options.out, force=options.force)
    typer.echo(summary_text(result.analysis))
    if result.written:
        n_plots = sum(1 for p in result.written if p.suffix == ".png")
        typer.echo(
            f"wrote {result.out_dir / 'report.html'} (+ report.json, report.md and {n_plots} plots)"
        )
    else:
        typer.echo(
            f"read {result.out_dir / 'report.json'}; pass --force to rebuild the report, "
            "or --out DIR to write it elsewhere"
        )


#: The analyser of each input kind ("score" also takes a report.json: it is told by its content).
ANALYZERS: dict[str, Callable[[Path, AnalyzeOptions], None]] = {
    "scale": _analyze_scale_file,
    "run": _analyze_report,
    "score": _analyze_report,
}


def analyze_command(
    input_path: Annotated[
        Path,
        typer.Argument(
            metavar="INPUT",
            help="A Scala scale (SCALE.scl), a run folder of `xentune generate`, a score.json "
            "or a report.json",
            show_default=False,
        ),
    ],
    kbm: Annotated[
        Path | None,
        typer.Option("--kbm", help="Scala keyboard mapping (.kbm) for the 128-key table"),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="Folder to write into: for a .scl analysis.json, frequencies.csv and the report; "
            "for a run or score the report (default: the run folder / the score's folder)",
        ),
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force", help="Replace an existing --out folder, or rebuild an existing report"
        ),
    ] = False,
) -> None:
    """Analyse a scale, a run or a score.

    A .scl: per degree its cents, nearest just ratios (error, odd/prime limit) and nearest steps
    of the best-fitting equal divisions; with --out, also analysis.json, the 128-key
    frequencies.csv and the report (no run: no training plot, no audio). A run folder or a
    score.json: the tuning report (report.json, report.html, report.md, plots/); an existing
    report of a run is read back unless --force rebuilds it.
    """
    kind = input_kind(input_path)
    if kbm is not None and kind != "scale":
        raise ConfigError(f"--kbm {kbm}: a keyboard mapping only applies to a .scl input")
    if out is not None:
        check_output_path(out, force=force)  # fail before any work
    ANALYZERS[kind](input_path, AnalyzeOptions(kbm=kbm, out=out, force=force))
