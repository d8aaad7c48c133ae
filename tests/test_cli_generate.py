"""``xentune generate``: bad input is one stderr line and exit 2 with nothing left behind; a tiny run works."""

from __future__ import annotations

import json
import math
import shutil
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import pytest

from tests.conftest import CliResult, assert_one_line_error

#: A run small enough for the default test suite (seconds): few voices, chords, steps and pieces.
TINY = (
    "--voices", "3", "--steps", "4", "--pieces", "2", "--train-steps", "3",
    "--sample-rate", "16000", "--device", "cpu", "--quiet", "--length", "4",
    "--time-train-steps", "5",
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
        (("--analysis-pieces", "0"), ("--analysis-pieces 0", "1..999")),
        (("--analysis-pieces", "1000"), ("--analysis-pieces", "999")),
        (("--analysis-pieces", "many"), ("--analysis-pieces", "integer")),
        (("--sample-rate", "100"), ("--sample-rate 100",)),
        (("--refine-steps", "-1"), ("--refine-steps -1",)),
        (("--device", "tpu"), ("tpu",)),
        (("--voices", "three"), ("--voices", "integer")),
        (("--keyboard", "black-keys"), ("--keyboard", "consecutive, white-keys, 12-key")),
        (("--ratio-tolerance", "-1"), ("--ratio-tolerance -1", "0..25")),
        (("--ratio-tolerance", "30"), ("--ratio-tolerance 30", "0..25")),
        (("--ratio-tolerance", "nan"), ("--ratio-tolerance nan",)),
        (("--ratio-tolerance", "five"), ("--ratio-tolerance", "number")),
        (("--period-ratio", "1/2"), ("--period-ratio 1/2", "> 1")),
        (("--period-ratio", "octave"), ("--period-ratio 'octave'", "n/d")),
        (("--period-ratio", "2.0"), ("--period-ratio '2.0'", "exact ratio")),
        (("--mpe-bend-range", "0"), ("--mpe-bend-range 0", "1..96")),
        (("--mpe-bend-range", "97"), ("--mpe-bend-range 97", "1..96")),
        (("--mpe-bend-range", "4.5"), ("--mpe-bend-range", "integer")),
        (("--ratios", "yes"), ("unexpected extra argument",)),
        (("--length", "0"), ("--length 0", "1..600")),
        (("--length", "nan"), ("--length nan",)),
        (("--length", "601"), ("--length 601",)),
        (("--pieces", "16", "--length", "60"), ("960 s of music", "at most 600")),
        (("--scale", "loose"), ("--scale loose", "fixed or adaptive")),
        (("--time-train-steps", "-1"), ("time_train_steps=-1",)),
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
        "piece-01-mpe.mid", "piece-02-mpe.mid", "scale.ascl", "scale.tun", "previews",
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
    assert (config["length_s"], config["scale"], config["form"]) == (4.0, "fixed", "AABA")
    for expected in ("score-chords.json", "time-model.pt", "time-training.json"):
        assert expected in names, expected
    assert "rhythm:" in result.stdout and "music:" in result.stdout
    # `xentune sample` composes the same pieces from the run without retraining: byte for byte.
    sampled = cli(
        "sample", out / "model.pt", "--out", tmp_path / "s", "--seed", "3", "--pieces", "2",
        "--length", "4", "--quiet",
    )  # fmt: skip
    assert sampled.code == 0, sampled.stderr
    assert (tmp_path / "s" / "score.json").read_bytes() == (out / "score.json").read_bytes()
    assert (tmp_path / "s" / "scale.scl").read_bytes() == (out / "scale.scl").read_bytes()
    exported = cli("export", tmp_path / "s", "--format", "tun", "--out", tmp_path / "s" / "x.tun")
    assert exported.code == 0, exported.stderr
    longer = cli(
        "sample", out / "model.pt", "--out", tmp_path / "l", "--pieces", "1", "--length", "12",
        "--quiet",
    )  # fmt: skip
    assert longer.code == 0, longer.stderr
    for args, fragments in (
        (("--length", "0"), ("--length 0",)),
        (("--pieces", "3", "--length", "300"), ("900 s of music",)),
        (("--scale", "loose"), ("--scale loose",)),
    ):
        assert_one_line_error(
            cli("sample", out / "model.pt", "--out", tmp_path / "bad", *args), *fragments
        )
    (tmp_path / "copy").mkdir()
    for name in ("model.pt", "scale.scl"):
        (tmp_path / "copy" / name).write_bytes((out / name).read_bytes())
    (tmp_path / "copy" / "time-model.pt").write_bytes(b"not a model")
    assert_one_line_error(
        cli("sample", tmp_path / "copy" / "model.pt", "--out", tmp_path / "bad"), "time-model.pt"
    )
    assert not (tmp_path / "bad").exists()
    shutil.rmtree(tmp_path / "s")
    shutil.rmtree(tmp_path / "l")
    shutil.rmtree(tmp_path / "copy")
    assert "period of" in result.stdout and "time:" in result.stdout and str(out) in result.stdout

    # --force replaces it; without --force it is refused and left alone.
    again = cli("generate", "--out", out, "--seed", "3", *TINY)
    assert_one_line_error(again, "already exists")
    forced = cli("generate", "--out", out, "--seed", "3", "--force", *TINY)
    assert forced.code == 0, forced.stderr
    assert _leftovers(tmp_path) == ["run"]


def test_layout_that_cannot_hold_the_scale_is_one_line(
    cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    """white-keys needs a 7-note scale; known only after training: one line, nothing left."""
    result = cli(
        "generate", "--out", tmp_path / "run", "--seed", "3", "--keyboard", "white-keys", *TINY
    )
    assert_one_line_error(result, "--keyboard white-keys", "--keyboard consecutive")
    assert _leftovers(tmp_path) == []


def test_export_options_reach_the_files(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    out = tmp_path / "run"
    args = ("--keyboard", "12-key", "--period-ratio", "2/1", "--mpe-bend-range", "24")
    result = cli("generate", "--out", out, "--seed", "3", *args, *TINY)
    assert result.code == 0, result.stderr
    config = json.loads((out / "config.json").read_text())
    assert config["exports"] == {
        "ratios": False, "ratio_tolerance_cents": 5.0, "period_ratio": "2/1",
        "keyboard": "12-key", "mpe_bend_range": 24,
    }  # fmt: skip
    assert (out / "scale.scl").read_text().rstrip().endswith(" 2/1")
    kbm = [ln for ln in (out / "scale.kbm").read_text().splitlines() if not ln.startswith("!")]
    assert kbm[0] == "12" and "x" in kbm[7:]
    import mido

    msgs = [m for t in mido.MidiFile(out / "piece-01-mpe.mid").tracks for m in t]
    data = [m.value for m in msgs if m.type == "control_change" and m.control == 6]
    assert data[0] == 15 and data.count(24) == 15  # MCM, then RPN 0 = 24 on 15 members
    report = json.loads((out / "report.json").read_text())
    assert report["use"]["keyboard"] == "12-key" and report["use"]["period_ratio"] == "2/1"
    assert report["use"]["mpe_bend_range"] == 24


def _simple_ratios_within(cents: float, tolerance: float) -> set[Fraction]:
    """Every ratio of odd limit <= 15 within ``tolerance`` cents of ``cents`` (brute force)."""
    found = set()
    for a in range(1, 16, 2):
        for b in range(1, 16, 2):
            for k in range(-6, 7):
                r = Fraction(a, b) * Fraction(2) ** k
                if abs(1200 * math.log2(r) - cents) <= tolerance:
                    found.add(r)
    return found


@pytest.mark.slow
def test_ratios_on_a_default_harmonic_run(cli: Callable[..., CliResult], tmp_path: Path) -> None:
    """``--ratios`` on a default harmonic run: each degree within 5 cents of a ratio of odd
    limit <= 15 is written as such a ratio, every other degree keeps its cents, read back
    exactly (.scl and .ascl). Checked against a brute-force search of the odd-limit-15 ratios
    around the run's own degrees (the report's steps, in cents)."""
    from xentune.tuning.ascl import read_ascl
    from xentune.tuning.scala import read_scl

    out = tmp_path / "run"
    result = cli("generate", "--out", out, "--ratios", "--quiet")
    assert result.code == 0, result.stderr
    report = json.loads((out / "report.json").read_text())
    assert report["use"]["ratios"] is True
    degrees = [s["cents"] for s in report["steps"]]  # the period last
    scale = read_scl(out / "scale.scl")
    print("scale.scl ratios:", " ".join(str(r) for r in scale.ratios))
    assert len(scale.ratios) == len(degrees)
    for cents, ratio in zip(degrees, scale.ratios, strict=True):
        near = _simple_ratios_within(cents, 5.0)
        if ratio is None:
            assert not near, f"{cents:.2f} c is within 5 c of {sorted(near)} but kept its cents"
        else:
            assert ratio in near, f"{cents:.2f} c written as {ratio}"
    assert report["steps"][-1]["is_period"] and scale.ratios[-1] == Fraction(2, 1)
    assert sum(r is not None for r in scale.ratios) >= 3  # 6/5, 5/4, 3/2 ... emerge near-just
    assert read_ascl(out / "scale.ascl").scale.ratios == scale.ratios
    text = (out / "scale.scl").read_text()
    assert " 2/1\n" in text and "1200.0" not in text
