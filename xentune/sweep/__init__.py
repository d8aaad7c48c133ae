"""Sweeps: many ``generate`` runs over timbres x seeds x settings on Ray, and their emergence rates."""

from __future__ import annotations

from xentune.sweep.plan import SweepPlan, SweepTask, parse_seeds, plan_sweep
from xentune.sweep.rates import aggregate, run_record, wilson_interval

__all__ = [
    "SweepPlan",
    "SweepTask",
    "aggregate",
    "parse_seeds",
    "plan_sweep",
    "run_record",
    "wilson_interval",
]
