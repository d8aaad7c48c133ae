"""report_for_path: build or read the report of a run folder, a score.json or a report.json."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from xentune.errors import ConfigError, OutputExistsError, ScoreError
from xentune.report.build import report_for_path, summary_text


def test_existing_report_is_read_back_then_rebuilt_with_force(reported: Path) -> None:
    again = report_for_path(reported)  # a report exists: read (validated), nothing written
    assert not again.rebuilt and again.written == [] and again.out_dir == reported
    forced = report_for_path(reported, force=True)
    assert forced.rebuilt and forced.analysis == dataclasses.replace(
        again.analysis, source=str(reported)
    )
    assert (reported / "report.html").is_file() and len(forced.written) == 9
    text = summary_text(forced.analysis)
    assert "3/2" in text and "Best equal divisions" in text


def test_out_dir_links_back_to_the_run_audio(run: Path, tmp_path: Path) -> None:
    out = tmp_path / "elsewhere"
    res = report_for_path(run, out_dir=out)
    assert res.out_dir == out and (out / "report.json").is_file()
    html = (out / "report.html").read_text()
    assert 'src="../run/piece-01.wav"' in html
    assert not (run / "report.json").exists()
    with pytest.raises(OutputExistsError, match="--force"):
        report_for_path(run, out_dir=out)


def test_score_json(run: Path, tmp_path: Path) -> None:
    score = tmp_path / "solo" / "score.json"
    score.parent.mkdir()
    shutil.copy(run / "score.json", score)
    res = report_for_path(score)
    assert res.analysis.kind == "score" and (score.parent / "report.html").is_file()
    assert res.analysis.training is None


def test_report_json_rerendered(reported: Path, tmp_path: Path) -> None:
    res = report_for_path(reported / "report.json")
    assert not res.rebuilt and res.written == []
    out = tmp_path / "copy"
    res = report_for_path(reported / "report.json", out_dir=out)
    assert (out / "report.html").is_file()
    assert json.loads((out / "report.json").read_text()) == json.loads(
        (reported / "report.json").read_text()
    )


def test_bad_inputs(reported: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ConfigError, match="not a xentune run folder"):
        report_for_path(empty)
    with pytest.raises(ConfigError, match="no such file"):
        report_for_path(tmp_path / "nope")
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ConfigError, match="cannot analyse"):
        report_for_path(tmp_path / "notes.txt")
    (reported / "report.json").write_text('{"schema_version": 1, "kind"')
    with pytest.raises(ConfigError, match="corrupted report.json"):
        report_for_path(reported)
    with pytest.raises(ConfigError, match="corrupted report.json"):
        report_for_path(reported / "report.json")
    bad_score = tmp_path / "score.json"
    bad_score.write_text('{"format": "xentune-score", "version": 1, "pieces": [{}]}')
    with pytest.raises(ScoreError):
        report_for_path(bad_score)
