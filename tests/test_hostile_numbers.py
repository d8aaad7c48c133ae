"""Numbers that overflow at every command: exit 2, one line, nothing on disk (sizes: test_hostile_sizes)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.hostile import COVERED_HERE, refusal_test

BIG = "9" * 400  # a 400-digit integer
HUGE = "9" * 5000  # beyond Python's 4300-digit int-from-string limit


def _score(**field: object) -> dict[str, object]:
    piece = {
        "cents": [[0, 100]],
        "onset_s": [[0, 1]],
        "duration_s": [[1, 1]],
        "amplitude": [[1, 1]],
        "timbre": "harmonic",
    }
    for name, value in field.items():
        piece[name] = [[0, value]] if name != "reference_hz" else value  # type: ignore[assignment]
    return {"format": "xentune-score", "version": 1, "pieces": [piece]}


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """A folder with a good score, chords CSV, tone and the hostile files, all written up front."""
    (tmp_path / "ok.json").write_text(json.dumps(_score()))
    (tmp_path / "chords.csv").write_text("f_1,f_2\n261.6,392\n")
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(4800) / 48000)
    sf.write(tmp_path / "tone.wav", tone, 48000)
    for name, doc in {
        "cents1e300": _score(cents=1e300),
        "amp1e300": _score(amplitude=1e300),
        "dur1e9": _score(duration_s=1e9),
        "onset1e7": _score(onset_s=1e7),
        "ref1e308": _score(reference_hz=1e308),
    }.items():
        (tmp_path / f"{name}.json").write_text(json.dumps(doc))
    text = json.dumps(_score())
    (tmp_path / "cents400.json").write_text(
        text.replace('"cents": [[0, 100]]', f'"cents": [[0, {BIG}]]')
    )
    (tmp_path / "cents5000.json").write_text(
        text.replace('"cents": [[0, 100]]', f'"cents": [[0, {HUGE}]]')
    )
    (tmp_path / "t400.json").write_text(f'{{"partials": [[1, 1], [{BIG}, 1]]}}')
    (tmp_path / "t5000.json").write_text(f'{{"partials": [[1, 1], [{HUGE}, 1]]}}')
    (tmp_path / "t1e308.json").write_text('{"partials": [[1, 1], [1e308, 1]]}')
    (tmp_path / "tamp.json").write_text('{"partials": [[1, 1e300], [2, 1]]}')
    (tmp_path / "tmany.json").write_text(
        json.dumps({"partials": [[1 + k, 1] for k in range(5000)]})
    )
    (tmp_path / "chords1e308.csv").write_text("f_1,f_2\n261.6,1e308\n")
    (tmp_path / "chords-wide.csv").write_text(
        ",".join(f"f_{k}" for k in range(1, 1001)) + "\n" + ",".join(["200"] * 1000) + "\n"
    )
    n = 10**6
    (tmp_path / "huge.scl").write_text(f"! huge.scl\nmillion notes\n {n}\n!\n" + " 100.0\n" * 50)
    (tmp_path / "long.json").write_text(
        json.dumps(
            {
                "format": "xentune-score",
                "version": 1,
                "pieces": [
                    {
                        "cents": [[0]],
                        "onset_s": [[0]],
                        "duration_s": [[1200]],
                        "amplitude": [[1]],
                        "timbre": "harmonic",
                    }
                ],
            }
        )
    )
    return tmp_path


#: (arguments, fragment of the error). Paths are relative to the ``inputs`` folder.
CASES: list[tuple[list[str], str]] = [
    # train
    (["train", "--out", "m.pt", "--voices", BIG], "--voices"),
    (["train", "--out", "m.pt", "--train-steps", HUGE], "--train-steps"),
    (["train", "--out", "m.pt", "--seed", str(2**64)], "--seed"),
    (["train", "--out", "m.pt", "--temperature", "1e300"], "temperature"),
    (["train", "--out", "m.pt", "--timbre", "t400.json"], "bits"),
    # generate
    (["generate", "--out", "run", "--seed", str(2**63)], "--seed"),
    (["generate", "--out", "run", "--reference-hz", "1e308"], "reference_hz"),
    (["generate", "--out", "run", "--temperature", "inf"], "temperature"),
    (["generate", "--out", "run", "--sample-rate", BIG], "--sample-rate"),
    (["generate", "--out", "run", "--timbre", "t1e308.json"], "ratio"),
    (["generate", "--out", "run", "--length", "1e308"], "--length"),
    (["generate", "--out", "run", "--time-train-steps", BIG], "time_train_steps"),
    # sample (the model is never reached: the options are refused first)
    (["sample", "m.pt", "--out", "s", "--seed", str(2**64)], "--seed"),
    (["sample", "m.pt", "--out", "s", "--step-s", "1e300"], "--step-s"),
    (["sample", "m.pt", "--out", "s", "--length", "1e300"], "--length"),
    # export
    (["export", "cents1e300.json", "--format", "midi", "--out", "o.mid"], "cents"),
    (["export", "ok.json", "--format", "midi", "--out", "o.mid", "--piece", BIG], "--piece"),
    (["export", "ok.json", "--format", "mpe", "--out", "o.mid", "--mpe-bend-range", BIG], "bend"),
    # render
    (["render", "cents1e300.json", "--out", "o.wav"], "cents"),
    (["render", "cents400.json", "--out", "o.wav"], "bits"),
    (["render", "cents5000.json", "--out", "o.wav"], "4300"),
    (["render", "amp1e300.json", "--out", "o.wav"], "amplitude"),
    (["render", "dur1e9.json", "--out", "o.wav"], "duration_s"),
    (["render", "onset1e7.json", "--out", "o.wav"], "onset_s"),
    (["render", "ref1e308.json", "--out", "o.wav"], "reference_hz"),
    (["render", "ok.json", "--out", "o.wav", "--sample-rate", BIG], "--sample-rate"),
    (["render", "ok.json", "--out", "o.wav", "--lufs", "1e300"], "--lufs"),
    (["render", "ok.json", "--out", "o.wav", "--piece", BIG], "--piece"),
    # analyze
    (["analyze", "cents1e300.json", "--out", "rep"], "cents"),
    (["analyze", "cents400.json", "--out", "rep"], "bits"),
    # curve
    (["curve", "--f0", "1e308"], "f0"),
    (["curve", "--f0", "nan"], "f0"),
    (["curve", "--timbre", "t1e308.json", "--out", "c.csv"], "ratio"),
    (["curve", "--timbre", "tamp.json", "--out", "c.csv"], "amplitude"),
    (["curve", "--timbre", "t5000.json"], "4300"),
    (["curve", "--timbre", f"harmonic:partials={BIG}"], "partials"),
    (["curve", "--range", "1:1e308"], "range"),
    # score
    (["score", "chords1e308.csv", "--out", "s.csv"], "20000"),
    (["score", "chords.csv", "--out", "s.csv", "--timbre", "t400.json"], "bits"),
    # timbre
    (["timbre", "show", f"edo:n={BIG}"], "n="),
    (["timbre", "extract", "tone.wav", "--out", "t.json", "--max-partials", BIG], "--max-partials"),
    (["timbre", "extract", "tone.wav", "--out", "t.json", "--start", "1e308"], "start"),
]


test_refused_cleanly = refusal_test(CASES)


def test_every_command_is_covered() -> None:
    assert {a[0] for a, _ in CASES} == COVERED_HERE
