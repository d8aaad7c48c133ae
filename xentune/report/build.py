"""Build (or read back) the report of a run folder, a score.json or a report.json: what ``xentune analyze`` does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xentune.errors import ConfigError
from xentune.report.model import Analysis, load_report
from xentune.report.render import write_analysis_report
from xentune.report.run_analysis import analysis_for_run
from xentune.report.sources import analysis_for_score
from xentune.safe_read import parse_json, read_text

__all__ = ["ReportResult", "report_for_path", "summary_text"]


@dataclass(frozen=True)
class ReportResult:
    """What `report_for_path` did.

    Attributes
    ----------
    analysis : Analysis
        The analysis (built now, or read from an existing report.json).
    written : list of Path
        Files written (empty when an existing report was only read).
    out_dir : Path or None
        Where the report is.
    rebuilt : bool
        Whether the analysis was computed now (False: read from report.json).
    """

    analysis: Analysis
    written: list[Path]
    out_dir: Path | None
    rebuilt: bool


def _json_kind(path: Path) -> str:
    """``"report"`` or ``"score"``, from the file's content (or its name when it is not JSON)."""
    text = read_text(path, what="score.json or report.json", error=ConfigError)  # FIFO, size
    try:
        data = parse_json(text, where=str(path), error=ConfigError, allow_nan=True)
    except ConfigError:  # malformed: the reader its name suggests reports it in its words
        return "report" if path.name.startswith("report") else "score"
    if isinstance(data, dict) and "schema_version" in data and "format" not in data:
        return "report"
    return "score"


def report_for_path(
    path: str | Path, *, out_dir: str | Path | None = None, force: bool = False
) -> ReportResult:
    """The report of a run folder, a score.json or a report.json.

    - **run folder**: with no ``out_dir`` and a report.json already there, that report is read
      (validated) and nothing is written, unless ``force`` asks to rebuild it; otherwise the run is
      analysed and report.json/html/md + plots are written into ``out_dir`` (default: the run).
    - **score.json**: analysed (no training, no audio) and reported into ``out_dir`` (default: its
      folder).
    - **report.json**: read and validated; with ``out_dir`` its HTML, Markdown and plots are
      rendered there again.

    Raises
    ------
    ConfigError
        A path that is none of these, a folder that is not a run, a corrupted report.json or
        config.json.
    ScoreError
        A corrupted score.json.
    OutputExistsError
        The report exists in ``out_dir`` and ``force`` is false.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(
            f"{p}: no such file or folder; give a run folder, a score.json, a report.json or a .scl"
        )
    out = Path(out_dir) if out_dir is not None else None
    if p.is_dir():
        existing = p / "report.json"
        if out is None and existing.exists() and not force:
            return ReportResult(load_report(existing), [], p, rebuilt=False)
        analysis = analysis_for_run(p)
        target = out or p
        return ReportResult(
            analysis, write_analysis_report(analysis, target, run_dir=p, force=force), target, True
        )
    if p.suffix.lower() != ".json":
        raise ConfigError(
            f"{p}: cannot analyse a '{p.suffix or 'suffix-less'}' file; give a run folder, a score.json, "
            "a report.json or a .scl"
        )
    if _json_kind(p) == "report":
        analysis = load_report(p)
        if out is None:
            return ReportResult(analysis, [], p.parent, rebuilt=False)
        return ReportResult(
            analysis, write_analysis_report(analysis, out, force=force), out, rebuilt=False
        )
    analysis = analysis_for_score(p)
    target = out or p.parent
    return ReportResult(
        analysis, write_analysis_report(analysis, target, force=force), target, rebuilt=True
    )


def summary_text(analysis: Analysis) -> str:
    """A plain-text summary for the terminal: findings, then one line per degree."""
    lines = [analysis.title, ""]
    lines += [f"- {n}" for n in analysis.notes]
    lines += [f"* {f}" for f in analysis.findings]
    lines += ["", "  deg      cents  just ratio   error  limits(odd/prime)  curve min  offset"]
    for s in analysis.steps:
        j = s.just_ratios[0] if s.just_ratios else None
        ratio = (
            f"{j.ratio:>10} {j.error_cents:+7.2f}  {j.odd_limit:>8}/{j.prime_limit:<8}"
            if j
            else f"{'-':>10} {'':7}  {'':17}"
        )
        curve = (
            f"{s.nearest_minimum_cents:9.2f} {s.minimum_offset_cents:+7.2f}"
            if s.nearest_minimum_cents is not None and s.minimum_offset_cents is not None
            else f"{'-':>9} {'':7}"
        )
        lines.append(
            f"  {s.degree:3d}{'*' if s.is_period else ' '} {s.cents:9.2f}  {ratio}  {curve}"
        )
    lines.append("  (* the period)")
    return "\n".join(lines)
