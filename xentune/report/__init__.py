"""The tuning-analysis report: numbers (report.json), plots, and report.html / report.md."""

from xentune.report.analysis import analysis_for_scale
from xentune.report.model import SCHEMA_VERSION, Analysis, load_report
from xentune.report.run_analysis import analysis_for_run
from xentune.report.sources import analysis_for_score

__all__ = [
    "SCHEMA_VERSION",
    "Analysis",
    "analysis_for_run",
    "analysis_for_scale",
    "analysis_for_score",
    "load_report",
]
