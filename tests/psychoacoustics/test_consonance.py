"""Scoring tables of chords: equal to the kernels chord by chord, incon's values, CSV parsing and errors."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.chords_csv import read_chords_csv, score_chords_csv
from xentune.errors import ConfigError, OutputExistsError
from xentune.psychoacoustics.consonance import (
    CONSONANCE_MODELS,
    resolve_models,
    score_chords,
)
from xentune.psychoacoustics.harmonicity import harmonicity
from xentune.psychoacoustics.roughness import roughness
from xentune.spectrum import Spectrum
from xentune.timbre import parse_timbre


def _midi_hz(midi: list[float]) -> list[float]:
    return [440.0 * 2.0 ** ((m - 69.0) / 12.0) for m in midi]


def _incon_spectrum(rho: float = 1.0) -> Spectrum:
    """incon's default tone: 11 harmonics, amplitude 1/n^rho."""
    return Spectrum(
        tuple(float(k) for k in range(1, 12)), tuple(k**-rho for k in range(1, 12)), "incon"
    )


def test_hutchinson_matches_incon() -> None:
    # incon README / tests (reference/psychoacoustics.md §2.2): 11 harmonics, 1/n amplitudes.
    f0 = np.array([_midi_hz([60, 64, 67]), _midi_hz([60, 63, 67]), [*_midi_hz([60, 61]), math.nan]])
    scores = score_chords(f0, _incon_spectrum(), models="hutchinson")["hutchinson"]
    np.testing.assert_allclose(scores[:2], [0.1202426, 0.1300830], atol=5e-7)
    assert scores[2] == pytest.approx(0.484, abs=5e-4)


def test_equals_the_kernels_chord_by_chord() -> None:
    spectrum = parse_timbre("harmonic:partials=5,rolloff=0.8")
    ratios, amps = spectrum.tensors(dtype=torch.float64)
    nan = math.nan
    f0 = np.array(
        [
            [220.0, 330.0, nan, 275.0],  # an absent voice in the middle
            [nan, nan, 440.0, nan],
            [261.63, 277.18, 293.66, 311.13],
            [100.0, nan, 150.0, nan],
        ]
    )
    scores = score_chords(f0, spectrum)
    assert list(scores) == list(CONSONANCE_MODELS)
    for k, row in enumerate(f0):
        voices = torch.tensor(row[~np.isnan(row)], dtype=torch.float64)
        freqs = (voices[:, None] * ratios).flatten()
        pooled = amps.repeat(len(voices))
        for name in ("sethares", "sethares1993", "vassilakis", "hutchinson"):
            assert scores[name][k] == pytest.approx(
                float(roughness(freqs, pooled, model=name)), rel=1e-12
            )
        assert scores["harmonicity"][k] == pytest.approx(
            float(harmonicity(freqs, pooled, kind="kl")), rel=1e-12
        )
        assert scores["harmonicity_peak"][k] == pytest.approx(
            float(harmonicity(freqs, pooled)), rel=1e-12
        )


def test_chunks_do_not_change_results(monkeypatch: pytest.MonkeyPatch) -> None:
    import xentune.psychoacoustics.consonance as consonance

    gen = np.random.default_rng(0)
    f0 = 200.0 + 300.0 * gen.random((9, 3))
    f0[::4, 1] = math.nan
    spectrum = parse_timbre("sawtooth:partials=6")
    whole = score_chords(f0, spectrum, models="sethares,harmonicity")
    monkeypatch.setattr(consonance, "CHUNK_CHORDS", 2)
    chunked = score_chords(f0, spectrum, models="sethares,harmonicity")
    for name in whole:
        np.testing.assert_allclose(chunked[name], whole[name], rtol=1e-12)


def test_runs_on_cuda(cuda_device: torch.device) -> None:
    f0 = np.array([[261.63, 392.0], [261.63, 277.18]])
    spectrum = parse_timbre("sawtooth:partials=8")
    cpu = score_chords(f0, spectrum)
    gpu = score_chords(f0, spectrum, device=cuda_device)
    for name in cpu:
        np.testing.assert_allclose(gpu[name], cpu[name], rtol=1e-9)


@pytest.mark.parametrize(
    ("models", "expected"),
    [
        ("all", tuple(CONSONANCE_MODELS)),
        ("hutchinson", ("hutchinson",)),
        ("hutchinson, harmonicity,hutchinson", ("hutchinson", "harmonicity")),
        (["sethares", "harmonicity_peak"], ("sethares", "harmonicity_peak")),
    ],
)
def test_resolve_models(models: str | list[str], expected: tuple[str, ...]) -> None:
    assert resolve_models(models) == expected


@pytest.mark.parametrize(
    ("models", "match"), [("plomp", "unknown model 'plomp'"), ("", "no model"), (",", "no model")]
)
def test_resolve_models_errors(models: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        resolve_models(models)


@pytest.mark.parametrize(
    ("f0", "match"),
    [
        (np.array([261.0, 392.0]), "shape"),
        (np.array([[261.0, math.nan], [math.nan, math.nan]]), "chord 2 has no voices"),
        (np.array([[261.0, -3.0]]), "chord 1, voice 2"),
        (np.array([[261.0, math.inf]]), "> 0"),
    ],
)
def test_score_chords_errors(f0: np.ndarray, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        score_chords(f0, parse_timbre("harmonic"))


# ------------------------------------------------------------------------------------------------
# CSV


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_read_chords_csv(tmp_path: Path) -> None:
    text = '\ufeffid,f_2,label,f_10,f_1\n1,330,"a, b",,220\n\n2,,x,500,250\n'
    table = read_chords_csv(_write(tmp_path / "c.csv", text))
    assert table.fieldnames == ["id", "f_2", "label", "f_10", "f_1"]
    # Voices ordered by their number (f_1, f_2, f_10), not by column position or as text.
    np.testing.assert_array_equal(table.f0_hz, [[220.0, 330.0, math.nan], [250.0, math.nan, 500.0]])
    assert table.rows[0]["label"] == "a, b"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.lists(st.floats(1.0, 20000.0), min_size=1, max_size=4), min_size=1, max_size=6))
def test_csv_roundtrip_exact(
    tmp_path_factory: pytest.TempPathFactory, chords: list[list[float]]
) -> None:
    width = max(len(c) for c in chords)
    lines = [",".join(f"f_{k}" for k in range(1, width + 1))]
    lines += [",".join([repr(f) for f in c] + [""] * (width - len(c))) for c in chords]
    path = tmp_path_factory.mktemp("csv") / "c.csv"
    table = read_chords_csv(_write(path, "\n".join(lines) + "\n"))
    for row, chord in zip(table.f0_hz, chords, strict=True):
        assert row[: len(chord)].tolist() == chord
        assert np.isnan(row[len(chord) :]).all()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "empty file"),
        ("a,b\n1,2\n", "line 1: no fundamentals; name the voice columns f_1"),
        ("f_1,f_2\n", "no chords"),
        ("f_1,f_2\n220,330\n220,abc\n", "line 3: f_2='abc' is not a number"),
        ("f_1,f_2\n220,-330\n", "line 2: f_2=-330; fundamentals must be finite numbers > 0"),
        ("f_1,f_2\n220,0\n", "line 2: f_2=0"),
        ("f_1,f_2\nnan,330\n", "line 2: f_1=nan"),
        ("f_1,f_2\n220,inf\n", "line 2: f_2=inf"),
        ("f_1,f_2\n220,330,440\n", "line 2: 3 cells but 2 columns"),
        ("f_1,f_2\n,\n220\n", "line 3: 1 cells"),
        ("f_1,f_2\n220,330\n ,  ,x\n", "line 3: 3 cells"),
        ("f_1,f_2,name\n,,x\n", "line 2: no fundamentals"),
        ("f_1,f_1\n220,330\n", "duplicate column"),
        ('f_1,f_2\n"220,330\n', "line 2: 1 cells"),  # an unclosed quote swallows the rest
    ],
)
def test_read_chords_csv_errors(tmp_path: Path, text: str, match: str) -> None:
    path = _write(tmp_path / "bad.csv", text)
    with pytest.raises(ConfigError, match=match):
        read_chords_csv(path)


def test_read_chords_csv_missing_and_binary(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        read_chords_csv(tmp_path / "none.csv")
    (tmp_path / "bin.csv").write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ConfigError, match="not a UTF-8"):
        read_chords_csv(tmp_path / "bin.csv")


def test_score_chords_csv_python_call(tmp_path: Path) -> None:
    chords = _write(
        tmp_path / "c.csv", "name,f_1,f_2\nfifth,261.63,392.445\nsecond,261.63,277.18\n"
    )
    out = score_chords_csv(
        chords, tmp_path / "s.csv", spectrum=parse_timbre("sawtooth:partials=10"), models="all"
    )
    lines = out.read_text().splitlines()
    assert lines[0] == "name,f_1,f_2," + ",".join(CONSONANCE_MODELS)
    assert lines[1].startswith("fifth,261.63,392.445,")
    with pytest.raises(OutputExistsError):
        score_chords_csv(chords, out, spectrum=parse_timbre("harmonic"))


def test_score_chords_csv_column_clash(tmp_path: Path) -> None:
    chords = _write(tmp_path / "c.csv", "hutchinson,f_1\n1,220\n")
    with pytest.raises(ConfigError, match="column 'hutchinson' would be overwritten"):
        score_chords_csv(
            chords, tmp_path / "s.csv", spectrum=parse_timbre("harmonic"), models="hutchinson"
        )
    assert not (tmp_path / "s.csv").exists()
