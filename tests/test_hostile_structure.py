"""Hostile structure at every command: deep nesting, strings for numbers, long names, FIFOs as input."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import SCALE_FILES
from tests.hostile import COVERED_HERE, refusal_test

DEEP = "[" * 100_000 + "]" * 100_000
LONG = "x" * 300  # over the 255 bytes a file name may have


def _piece(**field: object) -> dict[str, object]:
    piece: dict[str, object] = {
        "cents": [[0, 700], [400, 1100]],
        "onset_s": [[0, 1], [0, 1]],
        "duration_s": [[1, 1], [1, 1]],
        "amplitude": [[1, 1], [1, 1]],
        "timbre": "harmonic",
    }
    piece.update(field)
    return piece


def _score(**field: object) -> str:
    return json.dumps({"format": "xentune-score", "version": 1, "pieces": [_piece(**field)]})


def _run(folder: Path, *, config: dict[str, object], training: object, score: str) -> None:
    folder.mkdir()
    base = {"format": "xentune-run", "version": 1, "timbre": "harmonic"}
    (folder / "config.json").write_text(json.dumps(base | config))
    (folder / "training.json").write_text(json.dumps(training))
    (folder / "score.json").write_text(score)


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Hostile files (deep, mistyped, FIFOs) beside good ones."""
    (tmp_path / "deep.json").write_text('{"partials": ' + DEEP + "}")
    (tmp_path / "deep.toml").write_text("partials = " + DEEP + "\n")
    (tmp_path / "deepscore.json").write_text(
        '{"format": "xentune-score", "version": 1, "pieces": ' + DEEP + "}"
    )
    (tmp_path / "strings.json").write_text('{"partials": [["1", "loud"]]}')
    (tmp_path / "strscore.json").write_text(_score(cents=[["a", "b"], ["c", "d"]]))
    (tmp_path / "ok.json").write_text(_score())
    (tmp_path / "ok.scl").write_text(SCALE_FILES["ptolemy.scl"])
    (tmp_path / "chords.csv").write_text("f_1,f_2\n261.6,392\n")
    (tmp_path / "chords-str.csv").write_text("f_1,f_2\n261.6,loud\n")
    good_training = {"step": [1, 2], "energy": [1.0, 0.5], "entropy": [3.0, 3.1]}
    _run(
        tmp_path / "run-elapsed",
        config={"elapsed_s": "soon"},
        training=good_training,
        score=_score(),
    )
    _run(
        tmp_path / "run-energy",
        config={},
        training={"step": [1, 2], "energy": ["high", "low"]},
        score=_score(),
    )
    _run(tmp_path / "run-score", config={}, training=good_training, score=_score(onset_s="zero"))
    _run(tmp_path / "run-deep", config={}, training=json.loads("[" * 30 + "]" * 30), score=_score())
    (tmp_path / "run-deep" / "training.json").write_text(DEEP)
    for name in (
        "fifo.json",
        "fifo.toml",
        "fifo.scl",
        "fifo.kbm",
        "fifo.csv",
        "fifo.pt",
        "fifo.wav",
    ):
        os.mkfifo(tmp_path / name)
    return tmp_path


#: (arguments, fragment of the error); paths are relative to the ``inputs`` folder.
CASES: list[tuple[list[str], str]] = [
    # nesting 10^5 deep (JSON and TOML)
    (["timbre", "show", "deep.json"], "nested deeper"),
    (["timbre", "show", "deep.toml"], "nested deeper"),
    (["curve", "--timbre", "deep.json"], "nested deeper"),
    (["score", "chords.csv", "--timbre", "deep.toml", "--out", "s.csv"], "nested deeper"),
    (["train", "--timbre", "deep.json", "--out", "m.pt"], "nested deeper"),
    (["generate", "--timbre", "deep.toml", "--out", "run"], "nested deeper"),
    (["render", "deepscore.json", "--out", "o.wav"], "nested deeper"),
    (["render", "ok.json", "--timbre", "deep.json", "--out", "o.wav"], "nested deeper"),
    (["analyze", "deepscore.json", "--out", "rep"], "nested deeper"),
    (["analyze", "run-deep", "--out", "rep"], "nested deeper"),
    (["export", "deepscore.json", "--format", "midi", "--out", "o.mid"], "nested deeper"),
    # strings where numbers belong
    (["timbre", "show", "strings.json"], "'1'; it must be a number"),
    (["curve", "--timbre", "strings.json"], "must be a number"),
    (["render", "strscore.json", "--out", "o.wav"], "'a'; it must be a number"),
    (["analyze", "strscore.json", "--out", "rep"], "must be a number"),
    (["export", "strscore.json", "--format", "mts", "--out", "o.mid"], "must be a number"),
    (["score", "chords-str.csv", "--out", "s.csv"], "not a number"),
    (["analyze", "run-elapsed", "--out", "rep"], "elapsed_s"),
    (["analyze", "run-energy", "--out", "rep"], "energy[0]"),
    (["analyze", "run-score", "--out", "rep"], "onset_s"),
    # FIFOs given as input: refused at once, never opened (a read would block forever)
    (["timbre", "show", "fifo.json"], "not a regular file"),
    (["curve", "--timbre", "fifo.toml"], "not a regular file"),
    (["render", "fifo.json", "--out", "o.wav"], "not a regular file"),
    (["analyze", "fifo.json", "--out", "rep"], "not a regular file"),
    (["export", "fifo.json", "--format", "midi", "--out", "o.mid"], "not a regular file"),
    (["export", "fifo.json", "--format", "scl", "--out", "o.scl"], "not a regular file"),
    (["analyze", "fifo.scl"], "not a regular file"),
    (["analyze", "ok.scl", "--kbm", "fifo.kbm"], "not a regular file"),
    (["score", "fifo.csv", "--out", "s.csv"], "not a regular file"),
    (["sample", "fifo.pt", "--out", "s"], "fifo.pt"),
    (["train", "--out", "fifo.pt", "--resume"], "fifo.pt"),
    (["generate", "--resume", "fifo.pt", "--out", "run"], "fifo.pt"),
    (["timbre", "extract", "fifo.wav", "--out", "t.json"], "fifo.wav"),
    # names over 255 bytes, as input
    (["timbre", "show", f"{LONG}.json"], "long"),
    (["analyze", f"{LONG}.scl"], "long"),
    (["analyze", LONG], "long"),
    (["render", f"{LONG}.json", "--out", "o.wav"], "long"),
    (["export", f"{LONG}.json", "--format", "midi", "--out", "o.mid"], "long"),
    (["score", f"{LONG}.csv", "--out", "s.csv"], "long"),
    (["sample", f"{LONG}.pt", "--out", "s"], "long"),
    (["train", "--out", f"{LONG}.pt", "--resume"], "long"),
    (["generate", "--resume", f"{LONG}.pt", "--out", "run"], "long"),
    (["timbre", "extract", f"{LONG}.wav", "--out", "t.json"], "long"),
    (["curve", "--timbre", f"{LONG}.json"], "long"),
]


test_refused_cleanly = refusal_test(CASES, id_width=40)


def test_every_command_is_covered() -> None:
    assert {a[0] for a, _ in CASES} == COVERED_HERE
