"""``xentune curve``: the table of minima, csv/json/png outputs, --force, and bad input."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, assert_one_line_error

Cli = Callable[..., CliResult]


def _table_cents(stdout: str) -> list[float]:
    """The first column of the printed table of minima."""
    return [
        float(m.group(1))
        for m in re.finditer(r"^\s+(\d+\.\d\d)\s+\d+\.\d{5}\s", stdout, flags=re.M)
    ]


def _near_each(found: list[float], expected: list[float], tol: float) -> None:
    for e in expected:
        assert min(abs(c - e) for c in found) < tol, (e, found)


def test_must_show_harmonic(cli: Cli) -> None:
    result = cli("curve", "--timbre", "harmonic:partials=6,rolloff=0.88", "--model", "sethares")
    assert result.code == 0, result.stderr
    found = _table_cents(result.stdout)
    _near_each(found, [315.6, 386.3, 498.0, 702.0, 884.4, 1200.0], tol=1.0)
    assert len(found) in (6, 7)
    # The nearest simple ratios are printed beside the cents.
    for ratio in ("6/5", "5/4", "4/3", "3/2", "5/3", "2/1"):
        assert f" {ratio} (" in result.stdout


def test_must_show_stretched(cli: Cli) -> None:
    result = cli(
        "curve",
        "--timbre",
        "stretched:octave=2.1,partials=6,rolloff=0.88",
        "--range",
        "1:2.4",
        "--model",
        "sethares",
    )
    assert result.code == 0, result.stderr
    _near_each(_table_cents(result.stdout), [751.3, 1284.4], tol=1.0)
    # Labelled as ratios of the stretched series: (3/2)^s with s = log2(2.1).
    assert "(3/2)^s (+0.0 cents)" in result.stdout and "(2/1)^s (+0.0 cents)" in result.stdout
    assert "s = log2(2.1) = 1.07039" in result.stdout


def test_min_depth_zero_shows_the_weak_minimum(cli: Cli) -> None:
    shown = cli(
        "curve",
        "--timbre",
        "harmonic:partials=6,rolloff=0.88",
        "--model",
        "sethares",
        "--min-depth",
        "0",
    )
    assert shown.code == 0
    assert any(abs(c - 967.4) < 1 for c in _table_cents(shown.stdout))
    default = cli("curve", "--timbre", "harmonic:partials=6,rolloff=0.88", "--model", "sethares")
    assert "1 shallower minima hidden" in default.stdout


def test_csv_output(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "curve.csv"
    result = cli(
        "curve", "--timbre", "harmonic:partials=6,rolloff=0.88", "--model", "sethares", "--out", out
    )
    assert result.code == 0, result.stderr
    rows = list(csv.DictReader(out.open()))
    minima = [r for r in rows if r["kind"] == "minimum"]
    curve = [r for r in rows if r["kind"] == "curve"]
    assert [round(float(r["cents"]), 1) for r in minima] == [
        315.6,
        386.3,
        498.0,
        702.0,
        884.4,
        1200.0,
    ]
    assert [r["nearest_ratio"] for r in minima] == ["6/5", "5/4", "4/3", "3/2", "5/3", "2/1"]
    assert all(float(r["depth"]) > 0 for r in minima)
    assert len(curve) == 2885  # 0..1442 cents every 0.5 cent
    assert float(curve[0]["ratio"]) == 1.0 and float(curve[-1]["ratio"]) == pytest.approx(2.3)
    # The minima lie below their neighbours on the curve.
    values = [float(r["value"]) for r in curve]
    for m in minima:
        assert float(m["value"]) <= min(values[int(float(m["cents"]) / 0.5) + k] for k in (0, 1))


def test_json_output(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "curve.json"
    result = cli("curve", "--timbre", "bar", "--model", "vassilakis", "--f0", "440", "--out", out)
    assert result.code == 0, result.stderr
    data = json.loads(out.read_text())
    assert data["format"] == "xentune-curve" and data["version"] == 1
    assert data["model"] == "vassilakis" and data["f0_hz"] == 440.0
    assert data["direction"].startswith("dissonance: higher = more dissonant")
    assert data["spectrum"]["format"] == "xentune-timbre"
    assert len(data["curve"]["cents"]) == len(data["curve"]["value"]) == len(data["curve"]["ratio"])
    assert data["minima"] and {"cents", "ratio", "value", "depth", "nearest_ratio"} <= set(
        data["minima"][0]
    )


def test_png_output(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "curve.png"
    result = cli("curve", "--timbre", "harmonic:partials=7", "--out", out)
    assert result.code == 0, result.stderr
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["curve.png"]  # no temp file left


def test_existing_output_needs_force(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "curve.csv"
    out.write_text("keep me")
    result = cli("curve", "--out", out)
    assert_one_line_error(result, "already exists", "--force")
    assert out.read_text() == "keep me"
    result = cli("curve", "--out", out, "--force")
    assert result.code == 0, result.stderr
    assert out.read_text().startswith("kind,cents,ratio,value,depth,nearest_ratio")


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--timbre", "nonsense"], ["nonsense", "unknown timbre"]),
        (["--timbre", "stretched:octave=-1"], ["octave=-1", "> 1"]),
        (["--timbre", "harmonic:partials=0"], ["partials=0"]),
        (["--range", "2:1"], ["--range 2:1", "greater"]),
        (["--range", "0.5:2"], ["--range 0.5:2", ">= 1"]),
        (["--range", "1-2"], ["'1-2'", "LO:HI"]),
        (["--range", "1:x"], ["'1:x'", "numbers"]),
        (["--model", "plomp"], ["plomp", "sethares"]),
        (["--f0", "-5"], ["-5", "frequency"]),
        (["--f0", "nan"], ["nan", "frequency"]),
        (["--min-depth", "-1"], ["-1", ">= 0"]),
    ],
)
def test_bad_input(cli: Cli, tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    out = tmp_path / "curve.png"
    assert_one_line_error(cli("curve", *args, "--out", out), *fragments)
    assert list(tmp_path.iterdir()) == []


def test_missing_partials_file(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "curve.csv"
    assert_one_line_error(
        cli("curve", "--timbre", tmp_path / "nope.json", "--out", out), "nope.json", "not found"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ('{"partials": [[1, 1], [2', ["malformed JSON", "line"]),
        ('{"partials": [[1, 1], [2, -0.5]]}', ["amplitude -0.5", "> 0"]),
        ('{"partials": []}', ["no partials"]),
        ('{"notes": 3}', ["partials"]),
    ],
)
def test_malformed_partials_file(cli: Cli, tmp_path: Path, text: str, fragments: list[str]) -> None:
    timbre = tmp_path / "timbre.json"
    timbre.write_text(text)
    out = tmp_path / "curve.json"
    assert_one_line_error(cli("curve", "--timbre", timbre, "--out", out), "timbre.json", *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["timbre.json"]


def test_unknown_output_format(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("curve", "--out", tmp_path / "curve.txt"), "curve.txt", ".csv")
    assert list(tmp_path.iterdir()) == []


def test_output_folder_missing(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("curve", "--out", tmp_path / "no" / "curve.csv"), "does not exist")


def test_default_model_is_the_composite(cli: Cli, tmp_path: Path) -> None:
    out = tmp_path / "curve.json"
    result = cli("curve", "--timbre", "stretched:octave=2.1", "--range", "1:2.4", "--out", out)
    assert result.code == 0, result.stderr
    assert "(composite, f0 261.63 Hz" in result.stdout
    # A minimum at the pseudo-octave and the stretched fifth, and one near 1200 (deeper, for this
    # 6-partial tone: the harmonicity template's bias, README "Model card").
    _near_each(_table_cents(result.stdout), [1284.2, 1199.6, 753.8], tol=1.0)
    data = json.loads(out.read_text())
    assert data["model"] == "composite"
    assert data["direction"] == "dissonance: higher = more dissonant, lower = more consonant"
    assert data["minima"] and len(data["curve"]["value"]) == len(data["curve"]["cents"])
