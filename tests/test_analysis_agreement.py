"""One scale, one analysis: ``analyze X.scl``, ``analyze RUN``, the run's report and its summary agree.

They used to rank equal divisions over different ranges and keep different numbers of them
(``analyze scale.scl`` 19/34/50, the run report 19/15/31/12/29 for the same scale) and to treat a
period <= 0 differently. Now all read `xentune.tuning.conventions` and rank with
`xentune.tuning.edo.scale_edo_fits`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from xentune.commands.generate import summary as summary_text
from xentune.generator.train import TrainConfig
from xentune.pipeline import RunConfig, generate_run
from xentune.tuning.conventions import EDO_RANGE, EDO_TOP, JUST_TOLERANCE_CENTS
from xentune.tuning.edo import fit_edo


def _ranking_by_brute_force(degrees_cents: list[float]) -> list[int]:
    """The published rule, the slow obvious way: every n in 5..53, relative RMS error, ties to n."""
    period = degrees_cents[-1]
    inside = degrees_cents[:-1]
    scored = []
    for n in range(5, 54):
        step = period / n
        errors = [c - step * round(c / step) for c in inside]
        rms = (sum(e * e for e in errors) / len(errors)) ** 0.5
        scored.append((round(rms / step, 9), n))
    return [n for _, n in sorted(scored)[:5]]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[int], list[str | None]]:
    """A small real run: its folder, and the summary's EDO ranking and per-step ratios."""
    train = TrainConfig(voices=3, steps=8, train_steps=20, batch_size=64, hidden=32, seed=3)
    config = RunConfig(train=train, pieces=4, sample_rate=16000, device="cpu", controls=False)
    result = generate_run(config, tmp_path_factory.mktemp("agree") / "run")
    summary = summary_text(result)
    edos = [f.n for f in result.analysis.edo.best]
    assert f"period (n = 5..53): {edos[0]} " in summary
    ratios = [
        s.just_ratios[0].ratio if s.just_ratios else None for s in result.analysis.scale_steps
    ]
    for step, ratio in zip(result.analysis.scale_steps, ratios, strict=True):
        assert f"{step.cents:8.1f}" in summary and (ratio is None or f" {ratio} " in summary)
    return result.path, edos, ratios


def test_run_analyses_agree(
    run_dir: tuple[Path, list[int], list[str | None]],
    cli: Callable[..., CliResult],
    tmp_path: Path,
) -> None:
    path, summary_edos, summary_ratios = run_dir
    assert len(summary_ratios) >= 2, "the run must have steps to compare"
    assert len(summary_edos) == EDO_TOP

    own = json.loads((path / "report.json").read_text())
    assert own["source"] == str(path.resolve())  # the final folder, not the temp one it was built in
    rebuilt_dir = tmp_path / "rebuilt"
    assert cli("analyze", path, "--out", rebuilt_dir).code == 0
    rebuilt = json.loads((rebuilt_dir / "report.json").read_text())
    # The report generate built in memory is the one its files give back, number for number.
    assert rebuilt == own
    scl_dir = tmp_path / "scl"
    assert cli("analyze", path / "scale.scl", "--out", scl_dir).code == 0
    scl = json.loads((scl_dir / "analysis.json").read_text())
    scl_report = json.loads((scl_dir / "report.json").read_text())

    # The same best-EDO ranking, everywhere.
    for report in (own, rebuilt, scl_report):
        assert [e["n"] for e in report["edo"]["best"]] == summary_edos
        assert (report["edo"]["n_min"], report["edo"]["n_max"]) == (EDO_RANGE[0], EDO_RANGE[-1])
    assert [e["n"] for e in scl["best_edos"]] == summary_edos
    assert scl["settings"]["edo_n_min"] == EDO_RANGE[0]
    assert scl["settings"]["edo_n_max"] == EDO_RANGE[-1]
    assert scl["settings"]["just_tolerance_cents"] == JUST_TOLERANCE_CENTS
    degrees = [d["cents"] for d in scl["degrees"]]
    assert _ranking_by_brute_force(degrees) == summary_edos

    # The same nearest just ratio per step (the period excluded).
    def first(ratios: list[dict[str, object]]) -> str | None:
        return str(ratios[0]["ratio"]) if ratios else None

    for report in (own, rebuilt, scl_report):
        steps = [s for s in report["steps"] if not s["is_period"]]
        assert [first(s["just_ratios"]) for s in steps] == summary_ratios
    assert [first(d["just_ratios"]) for d in scl["degrees"][:-1]] == summary_ratios


def test_period_at_or_below_zero_is_divided_the_same_way(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    # chimes.scl-like: the last degree (the period) is below 1/1. Both views divide the octave and
    # fit every degree; the report used to refuse the scale that the table accepted.
    scl = tmp_path / "down.scl"
    scl.write_text("! down.scl\ndown\n 3\n!\n386.3\n701.96\n-100.0\n", encoding="utf-8")
    out = tmp_path / "out"
    result = cli("analyze", scl, "--out", out)
    assert result.code == 0, result.stderr
    table = json.loads((out / "analysis.json").read_text())
    report = json.loads((out / "report.json").read_text())
    assert [e["n"] for e in table["best_edos"]] == [e["n"] for e in report["edo"]["best"]]
    best = report["edo"]["best"][0]
    assert best["period_cents"] == 1200.0 and len(best["degree_steps"]) == 3
    expected = fit_edo([386.3, 701.96, -100.0], best["n"], period_cents=1200.0)
    assert best["degree_steps"] == list(expected.degree_steps)
