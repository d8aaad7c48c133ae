"""Tests of ``xentune render``: audio out, options, and one-line errors with nothing left behind."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import assert_one_line_error
from xentune.audio_io import measure_lufs, read_audio
from xentune.score import Score, save_scores


@pytest.fixture
def score_file(tmp_path):
    rng = np.random.default_rng(0)
    pieces = [
        Score.from_chords(rng.uniform(-700, 700, (3, 4)), step_s=0.3, timbre="harmonic:partials=4"),
        Score.from_chords(rng.uniform(-700, 700, (2, 3)), step_s=0.4, timbre="harmonic:partials=4"),
    ]
    return save_scores(tmp_path / "score.json", pieces)


def _files(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_render_all_pieces(cli, score_file, tmp_path) -> None:
    out = tmp_path / "out.wav"
    result = cli(
        "render", score_file, "--out", out, "--sample-rate", "16000", "--lufs", "-20", "--quiet"
    )
    assert result.code == 0, result.stderr
    assert "wrote" in result.stdout and "2 piece(s)" in result.stdout
    audio, sr = read_audio(out)
    # Piece 1: 1.2 s + 0.08 s release; 1 s gap; piece 2: 1.2 s + 0.08 s.
    assert sr == 16000 and audio.shape == (2, math.ceil(1.28 * 16000) * 2 + 16000)
    assert measure_lufs(audio, sr) == pytest.approx(-20.0, abs=0.05)
    assert sf.info(str(out)).subtype == "PCM_24"
    assert float(np.abs(audio).max()) <= 10 ** (-1 / 20) + 1e-6


def test_render_one_piece_with_other_timbre_to_flac(cli, score_file, tmp_path) -> None:
    out = tmp_path / "bell.flac"
    result = cli(
        "render",
        score_file,
        "--out",
        out,
        "--piece",
        "2",
        "--timbre",
        "bell",
        "--sample-rate",
        "16000",
    )
    assert result.code == 0, result.stderr
    audio, sr = read_audio(out)
    # A bell rings on: release = its slowest partial's time constant, capped at 2 s.
    assert audio.shape == (2, math.ceil((1.2 + 2.0) * 16000))
    # The bell's hum (ratio 0.5) is there: energy below the lowest harmonic-timbre fundamental.
    mono = audio.mean(0).astype(np.float64)
    spec = np.abs(np.fft.rfft(mono)) ** 2
    freqs = np.fft.rfftfreq(mono.size, 1 / sr)
    lowest = 261.6 * 2 ** (-700 / 1200)
    assert spec[freqs < 0.9 * lowest].sum() > 1e-3 * spec.sum()


def test_progress_bar_is_shown(cli, score_file, tmp_path) -> None:
    result = cli("render", score_file, "--out", tmp_path / "a.wav", "--sample-rate", "8000")
    assert result.code == 0
    assert "render" in result.stderr


def _write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


def _valid_doc(score_file) -> dict:
    return json.loads(score_file.read_text())


@pytest.mark.parametrize(
    ("make", "fragments"),
    [
        (lambda tmp, sf_: tmp / "missing.json", ["missing.json", "not found"]),
        (
            lambda tmp, sf_: _write(
                tmp, "bad.json", '{"format": "xentune-score",\n "version": 1,\n "pieces": ['
            ),
            ["malformed JSON", "line 3"],
        ),
        (
            lambda tmp, sf_: _write(
                tmp,
                "nan.json",
                json.dumps(_set(_valid_doc(sf_), "cents", math.nan)),  # writes a NaN token
            ),
            ["cents is nan"],
        ),
        (
            lambda tmp, sf_: _write(
                tmp, "neg.json", json.dumps(_set(_valid_doc(sf_), "duration_s", -1.0))
            ),
            ["duration_s is -1.0", ">= 0"],
        ),
        (
            lambda tmp, sf_: _write(tmp, "v9.json", json.dumps({**_valid_doc(sf_), "version": 9})),
            ["unknown version 9"],
        ),
    ],
)
def test_bad_scores(cli, score_file, tmp_path, make, fragments) -> None:
    bad = make(tmp_path, score_file)
    before = _files(tmp_path)
    result = cli("render", bad, "--out", tmp_path / "out.wav")
    assert_one_line_error(result, *fragments)
    assert _files(tmp_path) == before  # no output, no temp file


def _set(doc: dict, field: str, value: float) -> dict:
    doc["pieces"][0][field][0][0] = value
    return doc


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["--timbre", "nope"], ["nope"]),
        (["--piece", "3"], ["--piece 3", "1..2"]),
        (["--sample-rate", "1000"], ["--sample-rate 1000"]),
        (["--lufs", "5"], ["--lufs 5"]),
        (["--device", "tpu"], ["--device tpu"]),
    ],
)
def test_bad_options(cli, score_file, tmp_path, args, fragments) -> None:
    before = _files(tmp_path)
    result = cli("render", score_file, "--out", tmp_path / "out.wav", *args)
    assert_one_line_error(result, *fragments)
    assert _files(tmp_path) == before


def test_bad_outputs(cli, score_file, tmp_path) -> None:
    result = cli("render", score_file, "--out", tmp_path / "no" / "such" / "out.wav")
    assert_one_line_error(result, "does not exist")
    result = cli("render", score_file, "--out", tmp_path / "out.mp3")
    assert_one_line_error(result, "out.mp3", ".wav or .flac")
    existing = tmp_path / "taken.wav"
    existing.write_bytes(b"keep me")
    result = cli("render", score_file, "--out", existing)
    assert_one_line_error(result, "already exists", "--force")
    assert existing.read_bytes() == b"keep me"
    assert _files(tmp_path) == ["score.json", "taken.wav"]
    result = cli(
        "render", score_file, "--out", existing, "--force", "--quiet", "--sample-rate", "8000"
    )
    assert result.code == 0, result.stderr
    assert read_audio(existing)[1] == 8000
