"""A sweep's numbers: one record per run (read from its report.json) and emergence rates with CIs."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from xentune.errors import ConfigError

__all__ = [
    "MATCH_TOLERANCE_CENTS",
    "aggregate",
    "run_record",
    "wilson_interval",
]

#: An expected interval "emerged" in a run when a step of its scale lies within this many cents.
MATCH_TOLERANCE_CENTS = 10.0

#: z of a two-sided 95 % interval.
_Z95 = 1.959963984540054


def wilson_interval(k: int, n: int, *, z: float = _Z95) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion ``k / n`` (95 % by default).

    Better than the normal approximation at small ``n`` and at rates near 0 or 1 (it never leaves
    [0, 1]); Wilson (1927), *J. Am. Stat. Assoc.* 22:209; Brown, Cai & DasGupta (2001),
    *Statistical Science* 16:101.

    Examples
    --------
    >>> [round(x, 3) for x in wilson_interval(9, 10)]
    [0.596, 0.982]
    """
    if n <= 0:
        return (0.0, 1.0)
    p = k / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{where}: expected a finite number, found {value!r}")
    return float(value)


def run_record(run_dir: Path, task: Mapping[str, Any]) -> dict[str, Any]:
    """The sweep's record of one finished run, read from ``RUN_DIR/report.json``.

    Parameters
    ----------
    run_dir : Path
        A run folder written by ``generate`` (complete: it was renamed into place).
    task : mapping
        The task's ``timbre``, ``seed``, ``temperature`` and ``settings``.

    Returns
    -------
    dict
        ``name``, ``timbre``, ``seed``, ``temperature``, ``settings``, ``ok``, ``scale_cents``
        (the steps below the period), ``period_cents``, ``period_source``, ``best_edo``
        and ``metrics`` (``peakedness_nats``, ``n_steps``, ``n_near_minimum``, ``elapsed_s``).

    Raises
    ------
    ConfigError
        The report is missing or malformed.
    """
    path = run_dir / "report.json"
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise ConfigError(
            f"{path}: cannot read the run's report ({e}); delete {run_dir} to redo the run"
        ) from e
    try:
        steps = [
            _number(s["cents"], f"{path}: steps[].cents")
            for s in report["steps"]
            if not s.get("is_period", False)
        ]
        period = _number(report["period"]["cents"], f"{path}: period.cents")
        best = report["edo"]["best"]
        emergence = report["emergence"]
        agreement = report.get("agreement") or {}
        settings = report.get("settings") or {}
        metrics = {
            "peakedness_nats": _number(emergence["peakedness_nats"], f"{path}: peakedness"),
            "n_steps": len(steps),
            "n_near_minimum": int(agreement.get("n_near_minimum", 0)),
            "elapsed_s": _number(settings.get("elapsed_s", 0.0), f"{path}: elapsed_s"),
        }
        controls = {}
        for row in (report.get("controls") or {}).get("rows", []):
            controls[f"{row['source']}-{row['stage']}"] = {
                "criteria_passed": row.get("criteria_passed"),
                "near_minimum_fraction": _number(
                    row["near_minimum_fraction"], f"{path}: controls near_minimum_fraction"
                ),
                "peakedness_nats": _number(row["peakedness_nats"], f"{path}: controls peakedness"),
            }
        metrics["controls"] = controls
        return {
            "name": run_dir.name,
            "timbre": task["timbre"],
            "seed": task["seed"],
            "temperature": task["temperature"],
            "settings": dict(task["settings"]),
            "ok": True,
            "scale_cents": steps,
            "period_cents": period,
            "period_source": emergence.get("period_source"),
            "best_edo": int(best[0]["n"]) if best else None,
            "metrics": metrics,
        }
    except (KeyError, TypeError, IndexError) as e:
        raise ConfigError(
            f"{path}: not a run report of this version ({e!r} missing or malformed)"
        ) from e


def _rate(k: int, n: int) -> dict[str, Any]:
    lo, hi = wilson_interval(k, n)
    return {"k": k, "n": n, "rate": k / n if n else 0.0, "ci95": [lo, hi]}


def aggregate(
    records: Sequence[Mapping[str, Any]],
    *,
    expected: Mapping[str, Sequence[float]],
    periods: Mapping[str, float],
    tolerance_cents: float = MATCH_TOLERANCE_CENTS,
) -> dict[str, Any]:
    """Emergence rates per timbre (and temperature) over a sweep's runs.

    Parameters
    ----------
    records : sequence of dict
        `run_record` results (failed runs have ``ok`` false and count as not emerged).
    expected : mapping
        Timbre SPEC -> the cents of its dissonance-curve minima inside the period: the intervals
        the timbre favours, which a run's scale may or may not contain.
    periods : mapping
        Timbre SPEC -> its declared (pseudo-)octave in cents, to compare with each run's period.
    tolerance_cents : float
        A step within this many cents of an expected interval (or a period within this many
        cents of the pseudo-octave) counts as emerged.

    Returns
    -------
    dict
        ``groups``: one entry per (timbre, temperature) with ``n_runs``, ``n_ok``, ``intervals``
        (each expected interval's rate with a Wilson 95 % interval), ``period`` (the rate of a
        period within tolerance of the pseudo-octave), ``best_edo`` (the rate of each n that was
        best somewhere) and the mean peakedness.
    """
    groups: dict[tuple[str, float | None], list[Mapping[str, Any]]] = {}
    for r in records:
        groups.setdefault((r["timbre"], r["temperature"]), []).append(r)
    out = []
    for (timbre, temperature), runs in groups.items():
        n = len(runs)
        ok = [r for r in runs if r["ok"]]
        intervals = []
        for cents in expected.get(timbre, ()):
            k = sum(any(abs(s - cents) <= tolerance_cents for s in r["scale_cents"]) for r in ok)
            intervals.append({"cents": cents, **_rate(k, n)})
        pseudo = periods[timbre]
        k_period = sum(abs(r["period_cents"] - pseudo) <= tolerance_cents for r in ok)
        edos: dict[int, int] = {}
        for r in ok:
            if r["best_edo"] is not None:
                edos[r["best_edo"]] = edos.get(r["best_edo"], 0) + 1
        peaked = [r["metrics"]["peakedness_nats"] for r in ok]
        controls = {}
        for key in sorted({k for r in ok for k in r["metrics"].get("controls", {})}):
            rows = [r["metrics"]["controls"].get(key) for r in ok]
            rows = [c for c in rows if c is not None]
            judged = [c for c in rows if c["criteria_passed"] is not None]
            controls[key] = {
                "criteria": _rate(sum(bool(c["criteria_passed"]) for c in judged), n)
                if judged
                else None,
                "mean_near_minimum_fraction": sum(c["near_minimum_fraction"] for c in rows)
                / len(rows),
                "mean_peakedness_nats": sum(c["peakedness_nats"] for c in rows) / len(rows),
            }
        out.append(
            {
                "timbre": timbre,
                "temperature": temperature,
                "n_runs": n,
                "n_ok": len(ok),
                "tolerance_cents": tolerance_cents,
                "intervals": intervals,
                "period": {"pseudo_octave_cents": pseudo, **_rate(k_period, n)},
                "best_edo": [
                    {"edo": e, **_rate(c, n)}
                    for e, c in sorted(edos.items(), key=lambda x: (-x[1], x[0]))
                ],
                "mean_peakedness_nats": sum(peaked) / len(peaked) if peaked else None,
                "controls": controls,
            }
        )
    return {"groups": out}
