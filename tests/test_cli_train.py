"""CLI tests of ``xentune train`` and ``xentune sample``: outputs, determinism, resume, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import assert_one_line_error
from xentune.generator.train import load_trained
from xentune.score import load_scores

#: A training run of a few seconds.
FAST = ["--voices", "2", "--steps", "3", "--train-steps", "4", "--quiet"]


@pytest.fixture(scope="module")
def model_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from xentune.cli import main

    path = tmp_path_factory.mktemp("model") / "model.pt"
    assert main(["train", "--timbre", "harmonic:partials=4", "--out", str(path), *FAST]) == 0
    return path


def test_train_writes_a_model(cli, tmp_path: Path) -> None:
    out = tmp_path / "m.pt"
    result = cli("train", "--timbre", "harmonic:partials=4", "--out", out, *FAST, "--seed", "3")
    assert result.code == 0, result.stderr
    assert "trained 4 steps" in result.stdout and str(out) in result.stdout
    trained = load_trained(out)
    assert trained.step == 4 and trained.config.seed == 3 and trained.config.voices == 2


def test_train_with_the_composite_energy(cli, tmp_path: Path) -> None:
    out = tmp_path / "m.pt"
    result = cli(
        "train", "--timbre", "harmonic:partials=4", "--out", out, *FAST, "--consonance", "composite"
    )
    assert result.code == 0, result.stderr
    trained = load_trained(out)
    assert trained.config.energy.consonance_model == "composite"
    assert trained.energy.config.chord_model == "composite"


def test_sample_writes_score_json_byte_identical_for_the_same_seed(
    cli, model_file: Path, tmp_path: Path
) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    assert cli("sample", model_file, "--out", a, "--pieces", "5", "--seed", "1").code == 0
    assert cli("sample", model_file, "--out", b, "--pieces", "5", "--seed", "1").code == 0
    assert cli("sample", model_file, "--out", c, "--pieces", "5", "--seed", "2").code == 0
    assert (a / "score.json").read_bytes() == (b / "score.json").read_bytes()
    assert (a / "score.json").read_bytes() != (c / "score.json").read_bytes()
    scores = load_scores(a / "score.json")
    assert len(scores) == 5
    assert scores[0].cents.shape == (2, 3)
    assert scores[0].timbre == "harmonic:partials=4"
    assert json.loads((a / "score.json").read_text())["format"] == "xentune-score"


def test_sample_with_refinement(cli, model_file: Path, tmp_path: Path) -> None:
    result = cli(
        "sample", model_file, "--out", tmp_path / "r", "--pieces", "3", "--refine-steps", "5"
    )
    assert result.code == 0, result.stderr
    assert "refine steps 5" in result.stdout


def test_train_twice_same_seed_byte_identical_scores(cli, tmp_path: Path) -> None:
    for name in ("x", "y"):
        assert (
            cli(
                "train", "--timbre", "harmonic:partials=4", "--out", tmp_path / f"{name}.pt", *FAST
            ).code
            == 0
        )
        assert (
            cli("sample", tmp_path / f"{name}.pt", "--out", tmp_path / name, "--pieces", "4").code
            == 0
        )
    assert (tmp_path / "x" / "score.json").read_bytes() == (
        tmp_path / "y" / "score.json"
    ).read_bytes()


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--timbre", "nosuchtimbre"], ["nosuchtimbre"]),
        (["--voices", "0"], ["voices=0", ">= 1"]),
        (["--temperature", "-1"], ["temperature=-1.0", "> 0"]),
        (["--temperature", "nan"], ["temperature=nan"]),
        (["--train-steps", "0"], ["train_steps=0"]),
        (["--device", "tpu"], ["tpu"]),
        (["--consonance", "nope"], ["unknown consonance model 'nope'", "composite"]),
    ],
)
def test_train_bad_input(cli, tmp_path: Path, args: list[str], fragments: list[str]) -> None:
    out = tmp_path / "m.pt"
    result = cli("train", "--out", out, "--quiet", *args)
    assert_one_line_error(result, *fragments)
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


def test_train_refuses_to_overwrite_without_force(cli, tmp_path: Path) -> None:
    out = tmp_path / "m.pt"
    out.write_bytes(b"precious")
    assert_one_line_error(cli("train", "--out", out, *FAST), "already exists", "--force")
    assert out.read_bytes() == b"precious"
    assert cli("train", "--timbre", "harmonic:partials=4", "--out", out, *FAST, "--force").code == 0
    assert load_trained(out).step == 4


def test_resume_errors(cli, model_file: Path, tmp_path: Path) -> None:
    assert_one_line_error(
        cli("train", "--out", tmp_path / "none.pt", "--resume", *FAST), "no checkpoint"
    )
    other = tmp_path / "copy.pt"
    other.write_bytes(model_file.read_bytes())
    result = cli(
        "train",
        "--timbre",
        "harmonic:partials=4",
        "--out",
        other,
        "--resume",
        *FAST,
        "--temperature",
        "0.7",
    )
    assert_one_line_error(result, "another configuration", "temperature")
    assert other.read_bytes() == model_file.read_bytes()  # untouched


def test_resume_of_a_finished_run_changes_nothing(cli, model_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.pt"
    copy.write_bytes(model_file.read_bytes())
    assert (
        cli("train", "--timbre", "harmonic:partials=4", "--out", copy, "--resume", *FAST).code == 0
    )
    assert load_trained(copy).history == load_trained(model_file).history


def test_sample_bad_input(cli, model_file: Path, tmp_path: Path) -> None:
    junk = tmp_path / "junk.pt"
    junk.write_text("hello")
    assert_one_line_error(
        cli("sample", junk, "--out", tmp_path / "o1"), "not a readable xentune model file"
    )
    assert_one_line_error(
        cli("sample", tmp_path / "missing.pt", "--out", tmp_path / "o2"), "no checkpoint"
    )
    assert_one_line_error(
        cli("sample", model_file, "--out", tmp_path / "o3", "--pieces", "0"), "n_pieces=0"
    )
    assert_one_line_error(
        cli("sample", model_file, "--out", tmp_path / "o4", "--refine-steps", "-2"),
        "refine_steps=-2",
    )
    existing = tmp_path / "exists"
    existing.mkdir()
    assert_one_line_error(cli("sample", model_file, "--out", existing), "already exists", "--force")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["exists", "junk.pt"]
    assert cli("sample", model_file, "--out", existing, "--force").code == 0


def test_sample_refuses_a_partly_trained_checkpoint(
    cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xentune.generator.train import TrainConfig, train

    cfg = TrainConfig(
        timbre="harmonic:partials=4", voices=2, steps=3, train_steps=10, checkpoint_every=2
    )
    ckpt = tmp_path / "partial.pt"

    class Stop(Exception):
        pass

    import xentune.generator.train as train_module

    original = train_module._save
    calls = {"n": 0}

    def save_then_stop(path: Path, **kwargs: object) -> None:
        original(path, **kwargs)  # type: ignore[arg-type]
        calls["n"] += 1
        if calls["n"] == 1:
            raise Stop

    monkeypatch.setattr(train_module, "_save", save_then_stop)
    with pytest.raises(Stop):
        train(cfg, checkpoint_path=ckpt, quiet=True)
    monkeypatch.setattr(train_module, "_save", original)
    result = cli("sample", ckpt, "--out", tmp_path / "o")
    assert_one_line_error(result, "only 2 of 10 training steps", "--resume")
