"""The run folder of ``xentune generate``: it plays, it opens, and the same seed gives the same score."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from tests.conftest import load_script
from xentune.audio_io import read_audio
from xentune.errors import ConfigError, SpecError
from xentune.generator.train import TrainConfig, load_trained
from xentune.pipeline import RunConfig, RunResult, generate_run, piece_midi_notes
from xentune.score import Score, load_scores
from xentune.timbre import parse_timbre
from xentune.tuning.emergence import emergent_scale
from xentune.tuning.kbm import read_kbm
from xentune.tuning.midi_read import read_midi
from xentune.tuning.scala import read_scl

#: Smallest RMS of a piece's audio (full scale 1); the writer normalises loudness to -16 LUFS,
#: i.e. an RMS near 0.1 for a tone, so 0.01 only fails on (near) silence.
MIN_RMS = 0.01
#: Largest spectral flatness (geometric / arithmetic mean of the power spectrum) of a piece.
#: White noise has about 0.56 (exp(-Euler gamma)); a few dozen sinusoids are far below 0.1.
MAX_FLATNESS = 0.1


def _tiny(seed: int = 0, **run: object) -> RunConfig:
    train = TrainConfig(
        voices=3, steps=4, train_steps=3, batch_size=32, hidden=32, seed=seed, checkpoint_every=1
    )
    run = {"length_s": 4.0, "time_train_steps": 5, **run}
    return RunConfig(train=train, pieces=2, sample_rate=16000, device="cpu", **run)  # type: ignore[arg-type]


def spectral_flatness(audio: np.ndarray) -> float:
    """Geometric over arithmetic mean of the power spectrum of a mono signal (0 tonal .. 1 white)."""
    power = np.abs(np.fft.rfft(audio * np.hanning(audio.size))) ** 2 + 1e-20
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


def check_run_folder(result: RunResult, config: RunConfig) -> None:
    """Everything a musician opens: audio that is music, a parsable scale, decodable MIDI, the files."""
    out = result.path
    chords = load_scores(out / "score-chords.json")  # the block chords the analysis reads
    assert [c.cents.shape for c in chords] == [(config.train.voices, config.train.steps)] * len(
        chords
    )
    scores = load_scores(out / "score.json")  # the composed pieces
    assert len(scores) == config.pieces
    # The analysis reads more raw samples than the pieces played (at least as many).
    assert len(chords) == max(config.pieces, config.analysis_pieces) == config.sampled_pieces
    if config.refine_steps:
        assert len(load_scores(out / "score-raw.json")) == len(chords)
    assert json.loads((out / "controls.json").read_text())["pieces"] == len(chords)
    assert (out / "time-model.pt").is_file() and (out / "time-training.json").is_file()
    for i, score in enumerate(scores, start=1):
        assert score.n_voices == config.train.voices
        assert score.end_s >= config.length_s
        assert (out / "plots" / f"piece-{i:02d}-roll.png").is_file()
        audio, sr = read_audio(out / f"piece-{i:02d}.wav")
        assert sr == config.sample_rate
        assert audio.shape[-1] >= score.end_s * sr
        mono = audio.mean(axis=0)
        rms = float(np.sqrt(np.mean(mono**2)))
        assert rms > MIN_RMS, (i, rms)
        assert spectral_flatness(mono) < MAX_FLATNESS
        sounding = score.amplitude > 0  # padding notes are silent and not exported
        expected = np.sort(score.hz()[sounding])
        for name in (f"piece-{i:02d}.mid", f"piece-{i:02d}-mts.mid"):
            notes = read_midi(out / name)
            assert notes.freq_hz.size == int(sounding.sum())
            cents_err = 1200 * np.log2(np.sort(notes.freq_hz) / expected)
            assert np.max(np.abs(cents_err)) < 1.0, (name, cents_err)
    scale = read_scl(out / "scale.scl")
    assert scale.period_cents == pytest.approx(result.scale.period_cents, abs=1e-3)
    assert scale.n_notes == result.scale.n_steps + 1
    np.testing.assert_allclose(scale.degrees_cents[:-1], result.scale.steps_cents, atol=1e-3)
    mapping = read_kbm(out / "scale.kbm")
    assert mapping.reference_hz == pytest.approx(config.train.reference_hz)
    # An independent reader: Surge's tuning-library plays degree k on key 60 + k.
    tl = pytest.importorskip("tuning_library")
    tuning = tl.Tuning(
        tl.read_scl_file(str(out / "scale.scl")), tl.read_kbm_file(str(out / "scale.kbm"))
    )
    for k, degree in enumerate([0.0, *scale.degrees_cents], start=0):
        expected_hz = config.train.reference_hz * 2.0 ** (degree / 1200.0)
        assert tuning.frequency_for_midi_note(60 + k) == pytest.approx(expected_hz, rel=1e-6)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["format"] == "xentune-run" and cfg["version"] == 1
    assert cfg["spectrum"]["partials"]
    # the run records how long it took (a number; no speed goal is asserted here)
    assert isinstance(cfg["elapsed_s"], float) and math.isfinite(cfg["elapsed_s"])
    history = json.loads((out / "training.json").read_text())
    assert len(history["energy"]) == len(history["entropy"]) == config.train.train_steps
    trained = load_trained(out / "model.pt")
    assert trained.config == config.train and trained.step == config.train.train_steps


def test_tiny_run(tmp_path: Path) -> None:
    config = _tiny(seed=1)
    announced: list[Path] = []
    threads = torch.get_num_threads()
    result = generate_run(config, tmp_path / "run", on_checkpoint=announced.append)
    assert torch.get_num_threads() == threads  # the run's thread setting is restored
    check_run_folder(result, config)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    # The checkpoint lives in the temp folder while training (resumable after a kill).
    assert len(announced) == 1 and announced[0].name == "model.pt"
    assert announced[0].parent.name.startswith(".run.") and announced[0].parent.parent == tmp_path
    assert set(result.timings_s) >= {
        "train",
        "sample",
        "render",
        "audio_midi",
        "analysis",
        "controls",
        "report",
    }
    check_controls(result, config)


def check_controls(result: RunResult, config: RunConfig) -> None:
    """The controls are in the same run: controls.json, report.json, the result; raw and refined."""
    out = result.path
    expected = {
        (source, stage)
        for source in ("trained", "untrained", "random")
        for stage in (("raw", "refined") if config.refine_steps else ("raw",))
    }
    assert {(r.source, r.stage) for r in result.controls} == expected
    saved = json.loads((out / "controls.json").read_text())
    assert saved["refine_steps"] == config.refine_steps
    assert {(r["source"], r["stage"]) for r in saved["rows"]} == expected
    report = json.loads((out / "report.json").read_text())
    rows = report["controls"]["rows"]
    assert [(r["source"], r["stage"]) for r in rows] == [
        (r.source, r.stage) for r in result.controls
    ]
    for row, mine in zip(rows, result.controls, strict=True):
        assert row["peakedness_nats"] == pytest.approx(mine.peakedness_nats)
        assert 0 <= row["near_minimum_fraction"] <= 1 and 0 < row["chance_fraction"] < 1
    assert "Raw samples of the trained generator" in report["controls"]["verdict"]
    assert report["controls"]["verdict"] in report["findings"]
    assert "table-controls" in (out / "report.html").read_text()
    assert "beside its controls" in (out / "report.md").read_text()
    # The scale generator's own scale (its parameters) is in controls.json and the report.
    gen = saved["generator_scale"]
    assert 1000 <= gen["period_cents"] <= 1450 and gen["classes_cents"][0] == 0.0
    assert len(gen["classes_cents"]) == config.train.n_classes
    assert sum(gen["usage"]) == pytest.approx(1.0)
    assert report["controls"]["generator_period_cents"] == pytest.approx(gen["period_cents"])
    assert result.generator_scale == gen
    # The scale is read from the generator's raw samples (score-raw.json when the chords played
    # were refined), and the report says so.
    assert report["emergence"]["samples"] == config.scale_from
    if config.refine_steps and config.scale_from == "raw":
        raw = np.stack([s.cents for s in load_scores(out / "score-raw.json")])
        played = np.stack([s.cents for s in load_scores(out / "score-chords.json")])
        assert not np.allclose(raw, played)
        scale = emergent_scale(raw, spectrum=parse_timbre(config.train.timbre))
        assert scale.period_cents == pytest.approx(result.scale.period_cents)
        assert scale.steps_cents == pytest.approx(result.scale.steps_cents)


def test_refined_scale_and_no_refinement(tmp_path: Path) -> None:
    refined = generate_run(_tiny(seed=2, scale_from="refined"), tmp_path / "a")
    assert refined.scale_from == "refined"
    assert json.loads((refined.path / "report.json").read_text())["emergence"]["samples"] == (
        "refined"
    )
    config = _tiny(seed=2, refine_steps=0)
    plain = generate_run(config, tmp_path / "b")
    assert not (plain.path / "score-raw.json").exists()
    check_controls(plain, config)


def test_resume_continues_a_killed_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Kill training after 2 of 3 steps (checkpoint every step), resume: the same score as uninterrupted.
    import xentune.generator.train as train_module

    config = _tiny(seed=4)
    partial = tmp_path / "partial.pt"
    real = train_module.temperature_at

    def dies_at_step_2(cfg: TrainConfig, step: int) -> float:
        if step == 2:
            raise KeyboardInterrupt
        return real(cfg, step)

    with monkeypatch.context() as m:
        m.setattr(train_module, "temperature_at", dies_at_step_2)
        with pytest.raises(KeyboardInterrupt):
            train_module.train(config.train, checkpoint_path=partial, quiet=True)
    assert load_trained(partial).step == 2
    fresh = generate_run(config, tmp_path / "fresh")
    again = generate_run(config, tmp_path / "again")
    resumed = generate_run(config, tmp_path / "resumed", resume=partial)
    # Same seed, same device: byte-identical score.json; and a killed, resumed run reaches it too.
    score = (fresh.path / "score.json").read_bytes()
    assert (again.path / "score.json").read_bytes() == score
    assert (resumed.path / "score.json").read_bytes() == score
    assert load_trained(partial).step == 2  # the user's checkpoint is copied, not consumed


def test_piece_midi_notes_skip_padding() -> None:
    score = Score(
        cents=np.array([[0.0, 700.0], [386.0, 0.0]]),
        onset_s=np.array([[0.0, 0.5], [0.0, 0.0]]),
        duration_s=np.array([[0.5, 0.5], [1.0, 0.0]]),
        amplitude=np.array([[0.8, 0.4], [1.0, 0.0]]),
    )
    notes = piece_midi_notes(score)
    assert notes.freq_hz.size == 3
    np.testing.assert_array_equal(notes.voice, [0, 0, 1])
    np.testing.assert_array_equal(notes.velocity, [102, 51, 127])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pieces": 0}, "--pieces 0"),
        ({"sample_rate": 1000}, "--sample-rate 1000"),
        ({"step_s": float("nan")}, "step_s=nan"),
        ({"device": "tpu"}, "tpu"),
        ({"cpu_threads": 0}, "cpu_threads=0"),
        ({"refine_steps": -1}, "--refine-steps -1"),
        ({"scale_from": "cooked"}, "--scale-from cooked"),
    ],
)
def test_bad_run_config(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        RunConfig(train=TrainConfig(), **kwargs)  # type: ignore[arg-type]


def test_bad_input_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="nosuch"):
        generate_run(RunConfig(train=TrainConfig(timbre="nosuch")), tmp_path / "run")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_default_run_plays_and_opens(tmp_path: Path) -> None:
    """Must-show 1: ``xentune generate`` with its defaults leaves a folder a musician can use."""
    config = RunConfig(train=TrainConfig(), device="cpu")
    result = generate_run(config, tmp_path / "run")
    check_run_folder(result, config)


def _emergence_check_module() -> Any:
    """``scripts/emergence_check.py`` (its criteria are the issue's)."""
    return load_script("emergence_check")


@pytest.mark.slow
@pytest.mark.parametrize("timbre", list(_emergence_check_module().TIMBRES))
def test_expected_scale_emerges(timbre: str, tmp_path: Path) -> None:
    """Must-show 2 (one seed; ``scripts/emergence_check.py`` runs three): defaults but the timbre."""
    check = _emergence_check_module()
    config = RunConfig(train=TrainConfig(timbre=timbre, seed=0), device="cpu")
    result = generate_run(config, tmp_path / "run")
    fails = check.CHECKS[timbre](result)
    assert not fails, check.describe(timbre, 0, result, fails)
