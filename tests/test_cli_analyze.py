"""``xentune analyze SCALE.scl [--kbm] [--out] [--force]``: output, files, and every bad input."""

from __future__ import annotations

import csv
import json

import pytest

from tests.conftest import assert_one_line_error

MAJOR = """! major.scl
!
Just major
 7
!
9/8
5/4
4/3
3/2
5/3
15/8
2/1
"""

A440 = """! a440.kbm
12
0
127
60
69
440.0
12
0
1
2
3
4
5
6
7
8
9
10
11
"""


@pytest.fixture
def major(tmp_path):
    path = tmp_path / "major.scl"
    path.write_text(MAJOR)
    return path


def test_prints_degrees_ratios_and_edos(cli, major):
    r = cli("analyze", major)
    assert r.code == 0, r.stderr
    assert r.stderr == ""
    assert "Just major" in r.stdout
    lines = r.stdout.splitlines()
    third = next(line for line in lines if line.lstrip().startswith("2 "))
    assert "386.314" in third and "5/4" in third and "17\\53" in third and "4\\12" in third
    assert any("53-EDO" in line for line in lines)


def test_out_writes_json_and_csv(cli, major, tmp_path):
    out = tmp_path / "analysis"
    kbm = tmp_path / "a440.kbm"
    kbm.write_text(A440)
    r = cli("analyze", major, "--kbm", kbm, "--out", out)
    assert r.code == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "analysis.json", "frequencies.csv", "plots", "report.html", "report.json", "report.md",
    ]  # fmt: skip
    data = json.loads((out / "analysis.json").read_text())
    assert data["format"] == "xentune-scale-analysis"
    assert data["mapping"]["reference_hz"] == 440.0
    assert [d["just_ratios"][0]["ratio"] for d in data["degrees"]] == [
        "9/8", "5/4", "4/3", "3/2", "5/3", "15/8", "2/1",
    ]  # fmt: skip
    rows = list(csv.DictReader((out / "frequencies.csv").open()))
    assert len(rows) == 128
    assert float(rows[69]["frequency_hz"]) == pytest.approx(440.0)
    # a 12-key linear pattern over a 7-note scale: key 60 plays degree 0 and key 69 degree 9,
    # i.e. 5/4 an octave up (formal octave 12 = degree 12 = 5/3 an octave up, as Scala does)
    assert float(rows[60]["frequency_hz"]) == pytest.approx(440.0 / (2 * 5 / 4))
    assert float(rows[72]["frequency_hz"]) == pytest.approx(176.0 * 2 * 5 / 3)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp left


def test_existing_out_needs_force(cli, major, tmp_path):
    out = tmp_path / "analysis"
    assert cli("analyze", major, "--out", out).code == 0
    before = (out / "analysis.json").read_text()
    (out / "analysis.json").write_text("mine")
    r = cli("analyze", major, "--out", out)
    assert_one_line_error(r, str(out), "--force")
    assert (out / "analysis.json").read_text() == "mine"
    r = cli("analyze", major, "--out", out, "--force")
    assert r.code == 0, r.stderr
    assert (out / "analysis.json").read_text() == before


# --- bad input: one stderr line naming file and line, exit 2, nothing written ----------------


def _bad(cli, tmp_path, path, *fragments, kbm=None):
    out = tmp_path / "never"
    args = ["analyze", path, "--out", out] + (["--kbm", kbm] if kbm is not None else [])
    r = cli(*args)
    assert_one_line_error(r, *fragments)
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".never")]


def test_missing_file(cli, tmp_path):
    _bad(cli, tmp_path, tmp_path / "nope.scl", "nope.scl:1", "no such file")


def test_binary_file(cli, tmp_path):
    path = tmp_path / "image.scl"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _bad(cli, tmp_path, path, "image.scl:", "binary")


def test_count_disagrees_with_lines(cli, tmp_path):
    path = tmp_path / "short.scl"
    path.write_text("! short.scl\nthree notes promised\n 3\n9/8\n5/4\n")
    _bad(cli, tmp_path, path, "short.scl:", "3")


@pytest.mark.parametrize(("value", "line"), [("0/1", 4), ("-3/2", 5), ("0", 4)])
def test_zero_or_negative_ratio(cli, tmp_path, value, line):
    pitches = ["9/8", "5/4", "2/1"]
    pitches[line - 4] = value
    path = tmp_path / "bad-ratio.scl"
    path.write_text("bad ratio\n3\n" + "\n".join(pitches) + "\n")
    # line numbers: description 1, count 2, pitches from 3
    _bad(cli, tmp_path, path, f"bad-ratio.scl:{line - 1}", value)


@pytest.mark.parametrize("note", ["128", "200"])
def test_kbm_reference_note_outside_midi(cli, tmp_path, major, note):
    kbm = tmp_path / "bad.kbm"
    kbm.write_text(A440.replace("\n69\n", f"\n{note}\n", 1))
    _bad(cli, tmp_path, major, "bad.kbm:6", note, kbm=kbm)


def test_missing_kbm(cli, tmp_path, major):
    _bad(cli, tmp_path, major, "gone.kbm:1", "no such file", kbm=tmp_path / "gone.kbm")


# --- input kinds ------------------------------------------------------------------------------


def test_folder_that_is_not_a_run(cli, tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    _bad(cli, tmp_path, run, str(run), "not a xentune run folder")


def test_json_that_is_not_a_score(cli, tmp_path):
    score = tmp_path / "score.json"
    score.write_text("{}")
    _bad(cli, tmp_path, score, "score.json")
    _bad(cli, tmp_path, tmp_path / "absent.json", "absent.json", "no such")


def test_kbm_as_input_and_unknown_suffix(cli, tmp_path):
    kbm = tmp_path / "a440.kbm"
    kbm.write_text(A440)
    _bad(cli, tmp_path, kbm, "a440.kbm", "--kbm")
    txt = tmp_path / "notes.txt"
    txt.write_text("hello")
    _bad(cli, tmp_path, txt, "notes.txt", "unknown input kind")
    _bad(cli, tmp_path, tmp_path / "nothing", "nothing", "no such file")
