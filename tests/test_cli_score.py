"""``xentune score CHORDS.csv``: one column per model, columns carried through, one-line errors."""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from tests.conftest import CliResult, assert_one_line_error
from xentune.psychoacoustics.consonance import CONSONANCE_MODELS, score_chords
from xentune.timbre import parse_timbre

Cli = Callable[..., CliResult]

CHORDS = 'name,f_1,f_2,f_3,comment\nfifth,261.63,392.445,,"plain, with comma"\nmajor,261.63,327.03,392.445,\n'


def test_scores_every_model(cli: Cli, tmp_path: Path) -> None:
    chords = tmp_path / "chords.csv"
    chords.write_text(CHORDS)
    out = tmp_path / "scores.csv"
    result = cli("score", chords, "--timbre", "sawtooth:partials=10", "--out", out, "--quiet")
    assert result.code == 0, result.stderr
    assert "wrote" in result.stdout
    rows = list(csv.DictReader(out.open()))
    assert list(rows[0]) == ["name", "f_1", "f_2", "f_3", "comment", *CONSONANCE_MODELS]
    assert [r["comment"] for r in rows] == ["plain, with comma", ""]
    assert [r["f_3"] for r in rows] == ["", "392.445"]
    expected = score_chords(
        np.array([[261.63, 392.445, math.nan], [261.63, 327.03, 392.445]]),
        parse_timbre("sawtooth:partials=10"),
    )
    for name in CONSONANCE_MODELS:
        np.testing.assert_allclose([float(r[name]) for r in rows], expected[name], rtol=1e-15)


def test_model_subset(cli: Cli, tmp_path: Path) -> None:
    chords = tmp_path / "chords.csv"
    chords.write_text(CHORDS)
    out = tmp_path / "scores.csv"
    result = cli("score", chords, "--model", "hutchinson,harmonicity", "--out", out, "--quiet")
    assert result.code == 0, result.stderr
    header = out.read_text().splitlines()[0]
    assert header == "name,f_1,f_2,f_3,comment,hutchinson,harmonicity"


def test_existing_output_needs_force(cli: Cli, tmp_path: Path) -> None:
    chords = tmp_path / "chords.csv"
    chords.write_text(CHORDS)
    out = tmp_path / "scores.csv"
    out.write_text("keep")
    assert_one_line_error(
        cli("score", chords, "--out", out, "--quiet"), "already exists", "--force"
    )
    assert out.read_text() == "keep"
    assert cli("score", chords, "--out", out, "--force", "--quiet").code == 0
    assert out.read_text().startswith("name,")


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("a,b\n1,2\n", ["line 1", "f_1"]),
        ("f_1,f_2\n220,330\n220,abc\n", ["line 3", "f_2='abc'", "not a number"]),
        ("f_1,f_2\n220,-330\n", ["line 2", "f_2=-330", "> 0"]),
        ("f_1,f_2\n220,NaN\n", ["line 2", "f_2=NaN"]),
        ("f_1,f_2\n220,330,1\n", ["line 2", "3 cells"]),
        ("", ["empty"]),
    ],
)
def test_malformed_chords(cli: Cli, tmp_path: Path, text: str, fragments: list[str]) -> None:
    chords = tmp_path / "chords.csv"
    chords.write_text(text)
    out = tmp_path / "scores.csv"
    assert_one_line_error(cli("score", chords, "--out", out, "--quiet"), "chords.csv", *fragments)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["chords.csv"]


def test_missing_chords_file(cli: Cli, tmp_path: Path) -> None:
    assert_one_line_error(
        cli("score", tmp_path / "none.csv", "--out", tmp_path / "s.csv"), "none.csv", "not found"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--model", "plomp"], ["plomp", "hutchinson"]),
        (["--timbre", "nonsense"], ["nonsense"]),
        (["--timbre", "harmonic:partials=0"], ["partials=0"]),
        (["--device", "tpu"], ["tpu"]),
    ],
)
def test_bad_options(cli: Cli, tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    chords = tmp_path / "chords.csv"
    chords.write_text(CHORDS)
    out = tmp_path / "scores.csv"
    assert_one_line_error(cli("score", chords, *args, "--out", out, "--quiet"), *fragments)
    assert not out.exists()


def test_out_is_required(cli: Cli, tmp_path: Path) -> None:
    chords = tmp_path / "chords.csv"
    chords.write_text(CHORDS)
    assert_one_line_error(cli("score", chords), "--out")
