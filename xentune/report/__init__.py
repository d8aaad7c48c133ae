"""The tuning-analysis report: numbers (report.json), plots, and report.html / report.md."""

from xentune.report.analysis import (
    SCHEMA_VERSION,
    Analysis,
    analysis_for_run,
    analysis_for_scale,
    analysis_for_score,
    load_report,
)

__all__ = [
    "SCHEMA_VERSION",
    "Analysis",
    "analysis_for_run",
    "analysis_for_scale",
    "analysis_for_score",
    "load_report",
]
