"""Sweep rates: Wilson intervals against scipy, and rates counted from run records."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy.stats import binomtest

from xentune.sweep.rates import aggregate, wilson_interval


@given(st.integers(1, 500).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_equals_scipy(kn):
    k, n = kn
    ci = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(ci.low, abs=1e-9)
    assert hi == pytest.approx(ci.high, abs=1e-9)


def test_wilson_published_example():
    # Brown, Cai & DasGupta (2001), Table 5 style check: k = 9 of n = 10 -> [0.596, 0.982].
    lo, hi = wilson_interval(9, 10)
    assert (round(lo, 3), round(hi, 3)) == (0.596, 0.982)


def _record(timbre, seed, steps, period, edo, ok=True):
    return {
        "name": f"{timbre}-{seed}",
        "timbre": timbre,
        "seed": seed,
        "temperature": None,
        "settings": {},
        "ok": ok,
        "scale_cents": steps,
        "period_cents": period,
        "best_edo": edo,
        "metrics": {"peakedness_nats": 0.5} if ok else {},
    }


def test_rates_count_matches_within_tolerance():
    records = [
        _record("harmonic", 0, [316.0, 386.0, 702.0], 1200.0, 19),
        _record("harmonic", 1, [325.0, 701.0], 1207.0, 12),  # 325 is 9.4 c off 315.6: counts
        _record("harmonic", 2, [], None, None, ok=False),  # failed: counts as not emerged
    ]
    groups = aggregate(
        records, expected={"harmonic": [315.6, 386.3, 702.0]}, periods={"harmonic": 1200.0}
    )["groups"]
    (g,) = groups
    assert g["n_runs"] == 3 and g["n_ok"] == 2
    assert [(i["k"], i["n"]) for i in g["intervals"]] == [(2, 3), (1, 3), (2, 3)]
    assert (g["period"]["k"], g["period"]["n"]) == (2, 3)
    assert [(e["edo"], e["k"]) for e in g["best_edo"]] == [(12, 1), (19, 1)]
    assert g["mean_peakedness_nats"] == pytest.approx(0.5)
    lo, hi = g["intervals"][0]["ci95"]
    assert (lo, hi) == pytest.approx(wilson_interval(2, 3))


def test_groups_split_by_timbre():
    records = [_record("a", 0, [700.0], 1200.0, 12), _record("b", 0, [750.0], 1284.0, 7)]
    groups = aggregate(
        records, expected={"a": [702.0], "b": [751.0]}, periods={"a": 1200.0, "b": 1284.4}
    )["groups"]
    assert [(g["timbre"], g["intervals"][0]["k"]) for g in groups] == [("a", 1), ("b", 1)]


def test_report_of_all_or_nothing_rates(tmp_path):
    """Rates of 0 and 1 (Wilson bounds a rounding error inside them) still plot and tabulate."""
    from xentune.sweep.report import write_sweep_report

    records = [_record("harmonic", s, [316.0, 702.0], 1200.0, 12) for s in range(10)]
    rates = aggregate(
        records, expected={"harmonic": [315.6, 386.3, 702.0]}, periods={"harmonic": 1200.0}
    )
    result = {
        "n_runs": 10,
        "n_ok": 10,
        "plan": {"timbres": ["harmonic"], "seeds": list(range(10)), "settings": {}},
        "runs": records,
        "rates": rates,
    }
    paths = write_sweep_report(result, tmp_path)
    assert [p.name for p in paths] == ["sweep.md", "sweep.html", "sweep-rates.png"]
    assert "10/10 (100 %" in (tmp_path / "sweep.md").read_text()
