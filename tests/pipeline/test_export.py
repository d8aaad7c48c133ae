"""``xentune export``: MIDI whose tempo is the score's, round trips within 0.1 cent, scale files."""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import assert_one_line_error
from xentune.errors import XentuneError
from xentune.pipeline.export import EXPORT_FORMATS, export, piece_midi_notes
from xentune.score import Score, save_scores
from xentune.tuning.midi_read import read_midi


def _score(tempo_bpm: float | None = 100.0) -> Score:
    rng = np.random.default_rng(1)
    onset = np.cumsum(rng.uniform(0.1, 0.7, size=(3, 12)), axis=1)
    amp = rng.uniform(0.15, 1.0, size=(3, 12))
    amp[2, -2:] = 0.0  # padding
    duration = rng.uniform(0.05, 0.6, size=(3, 12))
    duration[2, -2:] = 0.0
    return Score(
        cents=rng.uniform(-1200, 2400, size=(3, 12)),
        onset_s=onset,
        duration_s=duration,
        amplitude=amp,
        timbre="harmonic",
        tempo_bpm=tempo_bpm,
    )


def _tempo_bpm(path: Path) -> float:
    tempos = [m.tempo for t in mido.MidiFile(path).tracks for m in t if m.type == "set_tempo"]
    assert len(tempos) == 1
    return mido.tempo2bpm(tempos[0])


@pytest.mark.parametrize("fmt", ["midi", "mpe", "mts"])
def test_midi_tempo_is_the_scores_and_round_trips(tmp_path: Path, fmt: str) -> None:
    score = _score(tempo_bpm=100.0)
    src = save_scores(tmp_path / "score.json", [score]) or tmp_path / "score.json"
    out = export(tmp_path / "score.json", fmt=fmt, out=tmp_path / f"p.{fmt}.mid")
    assert _tempo_bpm(out) == pytest.approx(100.0, abs=1e-3)  # not 120
    back = read_midi(out)
    want = piece_midi_notes(score)
    order = np.lexsort((want.freq_hz, want.onset_s))
    got = np.lexsort((back.freq_hz, back.onset_s))
    cents = 1200 * np.log2(back.freq_hz[got] / want.freq_hz[order])
    assert back.freq_hz.size == int((score.amplitude > 0).sum())
    assert np.max(np.abs(cents)) < 0.1
    assert np.max(np.abs(back.onset_s[got] - want.onset_s[order])) < 1e-3
    # velocities follow amplitudes
    assert np.array_equal(back.velocity[got], want.velocity[order])
    assert src is not None


def test_tempo_of_a_composed_piece(tmp_path: Path) -> None:
    score = _score(tempo_bpm=87.35)
    save_scores(tmp_path / "score.json", [score])
    out = export(tmp_path, fmt="midi", out=tmp_path / "a.mid")
    assert _tempo_bpm(out) == pytest.approx(87.35, abs=1e-3)


def test_scale_formats_copy_the_runs_files(tmp_path: Path) -> None:
    save_scores(tmp_path / "score.json", [_score()])
    (tmp_path / "scale.scl").write_text("! s\ns\n 1\n!\n 2/1\n")
    out = export(tmp_path / "score.json", fmt="scl", out=tmp_path / "copy.scl")
    assert out.read_bytes() == (tmp_path / "scale.scl").read_bytes()
    with pytest.raises(XentuneError, match="scale.kbm"):
        export(tmp_path, fmt="kbm", out=tmp_path / "x.kbm")


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=12))
def test_any_format_string_is_accepted_or_refused_cleanly(tmp_path_factory, fmt: str) -> None:
    d = tmp_path_factory.mktemp("fmt")
    save_scores(d / "score.json", [_score()])
    try:
        out = export(d / "score.json", fmt=fmt, out=d / "out.bin")
    except XentuneError:
        assert not (d / "out.bin").exists()
    else:
        assert fmt in EXPORT_FORMATS and out.is_file()


def test_cli_bad_input(cli, tmp_path: Path) -> None:
    assert_one_line_error(cli("export", tmp_path / "none.json", "--format", "midi"), "none.json")
    save_scores(tmp_path / "score.json", [_score()])
    assert_one_line_error(
        cli("export", tmp_path / "score.json", "--format", "wav", "--out", tmp_path / "a"),
        "--format",
    )
    assert_one_line_error(
        cli("export", tmp_path / "score.json", "--format", "midi", "--piece", "3"), "--piece 3"
    )
    (tmp_path / "bad.json").write_text('{"format": "xentune-score", "pieces": [')
    assert_one_line_error(
        cli("export", tmp_path / "bad.json", "--format", "midi", "--out", tmp_path / "b.mid"),
        "bad.json",
    )
    assert not (tmp_path / "b.mid").exists() and not (tmp_path / "a").exists()
    ok = cli("export", tmp_path / "score.json", "--format", "midi", "--out", tmp_path / "c.mid")
    assert ok.code == 0, ok.stderr
    before = (tmp_path / "c.mid").read_bytes()
    assert_one_line_error(
        cli("export", tmp_path / "score.json", "--format", "mts", "--out", tmp_path / "c.mid"),
        "--force",
    )
    assert (tmp_path / "c.mid").read_bytes() == before  # never overwritten without --force
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "c.mid", "score.json"]
