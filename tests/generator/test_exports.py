"""The scale files and previews a run writes for musicians (``write_scale_files``)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from xentune.errors import ConfigError
from xentune.generator.exports import SCALE_FILE_NAMES, ExportConfig, write_scale_files
from xentune.generator.previews import DEGREE_S, DYAD_S, preview_scores
from xentune.timbre import parse_timbre
from xentune.tuning.kbm import read_kbm
from xentune.tuning.scala import read_scl
from xentune.tuning.scale import Scale

C4 = 261.6255653005986
EMERGENT = Scale.from_cents(
    [316.29057100882665, 386.12565080748254, 498.7169511353852, 702.0171343333352,
     884.3221750626237, 1200.0135380000936],
    description="xentune emergent scale for harmonic",
)  # fmt: skip


def _peak_hz(x: np.ndarray, sr: int, near_hz: float) -> float:
    n = 8 * len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=n))
    freqs = np.fft.rfftfreq(n, 1.0 / sr)
    band = np.flatnonzero((freqs > near_hz * 2 ** (-1 / 24)) & (freqs < near_hz * 2 ** (1 / 24)))
    k = int(band[np.argmax(spec[band])])
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-300)
    return float((k + 0.5 * (a - c) / (a - 2 * b + c)) * sr / n)


def test_scale_files_and_previews(tmp_path: Path) -> None:
    spectrum = parse_timbre("harmonic")
    exports = ExportConfig(ratios=True, keyboard="12-key")
    write_scale_files(tmp_path, EMERGENT, spectrum, exports, timbre="harmonic",
                      reference_hz=C4, sample_rate=16000)  # fmt: skip
    assert all((tmp_path / n).is_file() for n in SCALE_FILE_NAMES)
    scl = read_scl(tmp_path / "scale.scl")
    assert scl.ratios == tuple(Fraction(r) for r in ("6/5", "5/4", "4/3", "3/2", "5/3", "2"))
    assert read_kbm(tmp_path / "scale.kbm").map_size == 12
    names = sorted(p.name for p in (tmp_path / "previews").iterdir())
    assert names == [f"degree-{k:02d}.flac" for k in range(7)] + [
        f"dyad-{k:02d}.flac" for k in range(1, 7)
    ]
    pitches = [0.0, *scl.degrees_cents]
    for k in (0, 1, 4, 6):  # each degree sounds at its pitch (fundamental by FFT)
        audio, sr = sf.read(tmp_path / "previews" / f"degree-{k:02d}.flac", always_2d=True)
        x = audio.mean(axis=1)
        assert len(x) / sr >= DEGREE_S
        want = C4 * 2 ** (pitches[k] / 1200)
        got = _peak_hz(x[int(0.05 * sr) : int(0.9 * sr)], sr, want)
        assert abs(1200 * np.log2(got / want)) < 1.0, (k, got, want)
    audio, sr = sf.read(tmp_path / "previews" / "dyad-04.flac", always_2d=True)
    x = audio.mean(axis=1)[int(0.05 * sr) : int(1.5 * sr)]
    for hz in (C4, C4 * 1.5):  # 1/1 and 3/2 both sound
        assert abs(1200 * np.log2(_peak_hz(x, sr, hz) / hz)) < 1.0


def test_preview_scores_shapes() -> None:
    previews, scores = preview_scores(EMERGENT, timbre="harmonic", reference_hz=C4)
    assert [p.kind for p in previews] == ["degree"] * 7 + ["dyad"] * 6
    assert [s.cents.shape for s in scores] == [(1, 1)] * 7 + [(2, 1)] * 6
    assert scores[-1].duration_s.max() == pytest.approx(DYAD_S)


def test_layout_that_cannot_hold_the_scale(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="white keys hold exactly 7"):
        write_scale_files(tmp_path, EMERGENT, parse_timbre("harmonic"),
                          ExportConfig(keyboard="white-keys"), timbre="harmonic",
                          reference_hz=C4, sample_rate=16000)  # fmt: skip


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"ratio_tolerance_cents": -1.0}, "--ratio-tolerance"),
        ({"ratio_tolerance_cents": True}, "--ratio-tolerance"),
        ({"period_ratio": "0.5"}, "--period-ratio"),
        ({"keyboard": "piano"}, "--keyboard"),
        ({"mpe_bend_range": 0}, "--mpe-bend-range"),
        ({"mpe_bend_range": 48.0}, "--mpe-bend-range"),
    ],
)
def test_bad_export_config(kwargs: dict, fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        ExportConfig(**kwargs)
