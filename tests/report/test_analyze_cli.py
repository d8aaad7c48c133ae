"""``xentune analyze RUN_DIR | SCORE.json | REPORT.json | SCALE.scl``: builds or reads the report."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import assert_one_line_error
from xentune.report.model import SCHEMA_VERSION

REPORT_FILES = {"report.json", "report.html", "report.md", "plots"}


def _report_files(d: Path) -> set[str]:
    return {p.name for p in d.iterdir()} & REPORT_FILES


def test_run_folder_builds_the_report(cli, run: Path) -> None:
    res = cli("analyze", run)
    assert res.code == 0, res.stderr
    assert _report_files(run) == REPORT_FILES
    assert (
        "3/2" in res.stdout and "Best equal divisions" in res.stdout and "report.html" in res.stdout
    )


def test_existing_report_is_read_and_rebuilt_with_force(cli, reported: Path) -> None:
    before = (reported / "report.html").stat().st_mtime_ns
    res = cli("analyze", reported)
    assert res.code == 0, res.stderr
    assert "--force" in res.stdout and "3/2" in res.stdout
    assert (reported / "report.html").stat().st_mtime_ns == before
    res = cli("analyze", reported, "--force")
    assert res.code == 0, res.stderr
    assert (reported / "report.html").stat().st_mtime_ns != before


def test_score_json_with_out(cli, run: Path, tmp_path: Path) -> None:
    out = tmp_path / "score-report"
    res = cli("analyze", run / "score.json", "--out", out)
    assert res.code == 0, res.stderr
    assert _report_files(out) == REPORT_FILES
    report = json.loads((out / "report.json").read_text())
    assert report["kind"] == "score" and report["training"] is None
    assert not _report_files(run)


def test_scale_file_works_with_no_run(cli, scale_files: dict[str, Path], tmp_path: Path) -> None:
    scl = scale_files["ptolemy.scl"]
    out = tmp_path / "scale"
    res = cli("analyze", scl, "--out", out)
    assert res.code == 0, res.stderr
    assert {"report.json", "report.html", "report.md", "analysis.json", "frequencies.csv"} <= {
        p.name for p in out.iterdir()
    }
    html = (out / "report.html").read_text()
    assert "No run" in html and "no training curve" in html and "<audio" not in html
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["density.png", "edo.png"]


def test_not_a_run_folder(cli, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert_one_line_error(cli("analyze", empty), "not a xentune run folder", "config.json")
    assert list(empty.iterdir()) == []


def test_corrupted_report_json(cli, reported: Path) -> None:
    html = (reported / "report.html").read_bytes()
    (reported / "report.json").write_text('{"schema_version": 1, "kind": ')
    assert_one_line_error(cli("analyze", reported), "corrupted report.json", "--force")
    assert_one_line_error(cli("analyze", reported / "report.json"), "corrupted report.json")
    (reported / "report.json").write_text(f'{{"schema_version": {SCHEMA_VERSION}, "kind": "run"}}')
    assert_one_line_error(cli("analyze", reported), "not a valid xentune report")
    assert (reported / "report.html").read_bytes() == html  # nothing rewritten


def test_corrupted_score_json(cli, run: Path) -> None:
    (run / "score.json").write_text('{"format": "xentune-score", "version": 1, "pieces": [')
    assert_one_line_error(cli("analyze", run), "score.json")
    assert not _report_files(run)
    assert_one_line_error(cli("analyze", run / "score.json"), "score.json")
    assert not _report_files(run)
