"""Sizes without limits at every command: each is capped (the cap in --help), checked before allocating."""

from __future__ import annotations

import json
import wave
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult
from tests.hostile import COVERED_HERE, assert_refused, refusal_test, snapshot
from tests.test_hostile_numbers import inputs  # noqa: F401 (the fixture of hostile files)

#: (arguments, fragment of the error). Paths are relative to the ``inputs`` folder.
CASES: list[tuple[list[str], str]] = [
    (["train", "--out", "m.pt", "--voices", "1000"], "--voices"),
    (["generate", "--out", "run", "--pieces", str(10**7)], "--pieces"),
    (["generate", "--out", "run", "--voices", "1000"], "--voices"),
    (["generate", "--out", "run", "--refine-steps", str(10**9)], "--refine-steps"),
    (["generate", "--out", "run", "--pieces", "21"], "600"),  # 21 x 30 s of music
    (["generate", "--out", "run", "--length", "601"], "600"),
    (["export", "ok.json", "--format", "midi", "--out", "o.mid", "--piece", str(10**9)], "--piece"),
    (["generate", "--out", "run", "--steps", "64", "--voices", "16"], "512"),
    (["sample", "m.pt", "--out", "s", "--pieces", str(10**7)], "--pieces"),
    (["sample", "m.pt", "--out", "s", "--refine-steps", str(10**9)], "--refine-steps"),
    (["render", "long.json", "--out", "o.wav"], "600"),
    (["analyze", "huge.scl"], "4096"),
    (["curve", "--timbre", "tmany.json"], "256"),
    (["score", "chords-wide.csv", "--out", "s.csv"], "32"),
    (["timbre", "show", "tmany.json"], "256"),
    (["train", "--out", "m.pt", "--train-steps", str(10**9)], "--train-steps"),
    (["train", "--out", "m.pt", "--voices", "16", "--steps", "64"], "512"),
    (["render", "ok.json", "--out", "o.wav", "--timbre", "tmany.json"], "256"),
]


test_refused_before_allocating = refusal_test(CASES)


def test_a_2_minute_recording_is_refused_before_reading(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """2 minutes of 16-bit stereo at 48 kHz (the cap is one minute): refused from its header."""
    path = tmp_path / "long.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(bytes(4 * 48000 * 120))
    before = snapshot(tmp_path)
    result = cli("timbre", "extract", path, "--out", tmp_path / "t.json")
    assert_refused(result, before, tmp_path, "samples are read")


def test_score_work_beyond_the_budget_is_refused(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """200 chords of 32 voices x 256 partials: 8e10 pair evaluations (measured: > 3 min, 2.9 GB)."""
    header = ",".join(f"f_{k}" for k in range(1, 33))
    rows = "\n".join(",".join(str(100 + 7 * k + j) for k in range(32)) for j in range(200))
    (tmp_path / "c.csv").write_text(f"{header}\n{rows}\n")
    before = snapshot(tmp_path)
    args = (
        "score",
        tmp_path / "c.csv",
        "--timbre",
        "harmonic:partials=256",
        "--out",
        tmp_path / "s.csv",
    )
    assert_refused(cli(*args), before, tmp_path, "partial-pair evaluations")


def test_a_score_of_17_voices_is_refused(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    piece = {f: [[0]] * 17 for f in ("cents", "onset_s", "amplitude")}
    piece |= {"duration_s": [[1]] * 17, "timbre": "harmonic"}
    (tmp_path / "s.json").write_text(
        json.dumps({"format": "xentune-score", "version": 1, "pieces": [piece]})
    )
    before = snapshot(tmp_path)
    result = cli("render", tmp_path / "s.json", "--out", tmp_path / "o.wav")
    assert_refused(result, before, tmp_path, "at most 16 voices")


def test_too_many_pitches_to_sample_are_refused(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """999 pieces of 16 x 32 pitches (measured: 9.3 GB when refined) from sample and generate."""
    from xentune.generator.train import TrainConfig, train

    model = tmp_path / "m.pt"
    train(
        TrainConfig(voices=16, steps=32, train_steps=1, batch_size=2, hidden=8),
        checkpoint_path=model,
        quiet=True,
    )
    before = snapshot(tmp_path)
    result = cli("sample", model, "--out", tmp_path / "s", "--pieces", "999", "--refine-steps", "0")
    assert_refused(result, before, tmp_path, "65536")
    result = cli(
        "generate", "--out", tmp_path / "run", "--voices", "16", "--steps", "32", "--pieces", "999"
    )
    assert_refused(result, before, tmp_path, "65536")


def test_every_command_is_covered() -> None:
    assert {a[0] for a, _ in CASES} == COVERED_HERE


@pytest.mark.parametrize(
    ("command", "cap"),
    [
        ("train", "x<=16"),
        ("train", "x<=100000"),
        ("generate", "x<=999"),
        ("generate", "x<=10000"),
        ("sample", "x<=999"),
        ("render", "600s"),
        ("timbre extract", "x<=256"),
    ],
)
def test_caps_are_in_help(cli: Callable[..., CliResult], command: str, cap: str) -> None:
    result = cli(*command.split(), "--help")
    assert result.code == 0
    assert cap in result.stdout.replace(" ", "").replace("\n", "").replace("│", "")
