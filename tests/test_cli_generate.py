"""``xentune generate``: bad input is one stderr line and exit 2 with nothing left behind; a tiny run works."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult, assert_one_line_error

#: A run small enough for the default test suite (seconds): few voices, chords, steps and pieces.
TINY = (
    "--voices", "3", "--steps", "4", "--pieces", "2", "--train-steps", "3",
    "--sample-rate", "16000", "--device", "cpu", "--quiet",
)  # fmt: skip


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (("--timbre", "nosuch"), ("nosuch",)),
        (("--timbre", "stretched:octave=-1"), ("octave",)),
        (("--voices", "0"), ("voices=0",)),
        (("--voices", "1"), ("--voices 1", "at least 2")),
        (("--steps", "0"), ("steps=0",)),
        (("--temperature", "-1"), ("temperature=-1",)),
        (("--temperature", "nan"), ("temperature=nan",)),
        (("--reference-hz", "nan"), ("reference_hz=nan",)),
        (("--train-steps", "0"), ("train_steps=0",)),
        (("--pieces", "0"), ("--pieces 0",)),
        (("--sample-rate", "100"), ("--sample-rate 100",)),
        (("--refine-steps", "-1"), ("--refine-steps -1",)),
        (("--device", "tpu"), ("tpu",)),
        (("--voices", "three"), ("--voices", "integer")),
    ],
)
def test_bad_input_is_one_line_and_leaves_nothing(
    cli: Callable[..., CliResult], tmp_path: Path, args: tuple[str, ...], fragments: tuple[str, ...]
) -> None:
    result = cli("generate", "--out", tmp_path / "run", "--quiet", *args)
    assert_one_line_error(result, *fragments)
    assert _leftovers(tmp_path) == []


def test_existing_run_folder_needs_force(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    result = cli("generate", "--out", out, *TINY)
    assert_one_line_error(result, "already exists", "--force")
    assert _leftovers(tmp_path) == ["run"]
    assert _leftovers(out) == ["keep.txt"]


def test_missing_parent_folder(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    result = cli("generate", "--out", tmp_path / "no" / "run", *TINY)
    assert_one_line_error(result, "does not exist")
    assert _leftovers(tmp_path) == []


def test_resume_from_another_configuration(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    from xentune.generator.train import TrainConfig, train

    other = tmp_path / "other.pt"
    train(
        TrainConfig(voices=2, steps=2, train_steps=1, batch_size=4, hidden=8, n_bins=4),
        checkpoint_path=other,
        quiet=True,
    )
    result = cli("generate", "--out", tmp_path / "run", "--resume", other, *TINY)
    assert_one_line_error(result, "another configuration")
    assert _leftovers(tmp_path) == ["other.pt"]


def test_resume_from_a_missing_or_foreign_file(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    result = cli("generate", "--out", tmp_path / "run", "--resume", tmp_path / "none.pt", *TINY)
    assert_one_line_error(result, "none.pt")
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a checkpoint")
    result = cli("generate", "--out", tmp_path / "run", "--resume", junk, *TINY)
    assert_one_line_error(result, "junk.pt")
    assert _leftovers(tmp_path) == ["junk.pt"]


def test_tiny_run_writes_a_complete_folder(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = cli("generate", "--out", out, "--seed", "3", *TINY)
    assert result.code == 0, result.stderr
    names = set(_leftovers(out))
    for expected in (
        "score.json", "scale.scl", "scale.kbm", "config.json", "training.json", "model.pt",
        "piece-01.wav", "piece-02.wav", "piece-01.mid", "piece-01-mts.mid", "piece-02.mid", "piece-02-mts.mid",
    ):  # fmt: skip
        assert expected in names, (expected, names)
    assert _leftovers(tmp_path) == ["run"]  # no temp folder left beside it
    config = json.loads((out / "config.json").read_text())
    assert (config["voices"], config["steps"], config["pieces"], config["train_steps"]) == (
        3,
        4,
        2,
        3,
    )
    assert config["seed"] == 3 and config["timbre"] == "harmonic"
    assert "period of" in result.stdout and "time:" in result.stdout and str(out) in result.stdout

    # --force replaces it; without --force it is refused and left alone.
    again = cli("generate", "--out", out, "--seed", "3", *TINY)
    assert_one_line_error(again, "already exists")
    forced = cli("generate", "--out", out, "--seed", "3", "--force", *TINY)
    assert forced.code == 0, forced.stderr
    assert _leftovers(tmp_path) == ["run"]
