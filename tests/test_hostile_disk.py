"""The disk: full, read-only, names too long, the working folder, concurrent writers; nothing is lost."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from tests.conftest import REPO_ROOT, SCALE_FILES, CliResult
from tests.hostile import assert_refused, snapshot
from xentune.atomic import output_lock
from xentune.generator.train import TrainConfig, load_trained, train


@contextlib.contextmanager
def _tmpfs(folder: Path, *, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` mounted at ``folder`` (root only), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip(
            "mounting a small tmpfs to fill needs root; run the suite as root to test a full disk"
        )
    folder.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({done.stderr.decode().strip()})")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path, *, leave: int = 0) -> None:
    """Fill ``folder``'s file system, leaving about ``leave`` bytes free."""
    usage = os.statvfs(folder)
    free = usage.f_bavail * usage.f_frsize
    with contextlib.suppress(OSError), (folder / "filler").open("wb", buffering=0) as f:
        f.write(b"\0" * max(free - leave, 0))
        while leave == 0:
            f.write(b"\0" * 4096)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Inputs of every writer (off the small disk): a model, a score, chords, a tone, a scale."""
    folder = tmp_path_factory.mktemp("inputs")
    train(TrainConfig(train_steps=2), checkpoint_path=folder / "model.pt", quiet=True)
    piece = {
        "cents": [[0, 700], [400, 1200]],
        "onset_s": [[0, 1], [0, 1]],
        "duration_s": [[1, 1], [1, 1]],
        "amplitude": [[1, 1], [1, 1]],
        "timbre": "harmonic",
    }
    score = {"format": "xentune-score", "version": 1, "pieces": [piece]}
    (folder / "score.json").write_text(json.dumps(score))
    (folder / "chords.csv").write_text("f_1,f_2\n261.6,392\n")
    tone = 0.3 * np.sin(2 * np.pi * 220 * np.arange(24000) / 48000)
    sf.write(folder / "tone.wav", tone, 48000)
    (folder / "scale.scl").write_text(SCALE_FILES["ptolemy.scl"])
    return folder


def _writers(i: Path, d: Path) -> dict[str, list[str]]:
    """Every command that writes, with its output on the folder ``d``."""
    return {
        "timbre-extract": ["timbre", "extract", f"{i}/tone.wav", "--out", f"{d}/t.json"],
        "curve-csv": ["curve", "--out", f"{d}/c.csv"],
        "curve-json": ["curve", "--out", f"{d}/c.json"],
        "curve-png": ["curve", "--out", f"{d}/c.png"],
        "score": ["score", f"{i}/chords.csv", "--out", f"{d}/s.csv", "--quiet"],
        "render-wav": ["render", f"{i}/score.json", "--out", f"{d}/o.wav", "--quiet", "--device", "cpu"],
        "render-flac": ["render", f"{i}/score.json", "--out", f"{d}/o.flac", "--quiet", "--device", "cpu"],
        "train": ["train", "--out", f"{d}/m.pt", "--train-steps", "2", "--quiet", "--device", "cpu"],
        "sample": ["sample", f"{i}/model.pt", "--out", f"{d}/s", "--pieces", "1", "--refine-steps", "0"],
        "generate": [
            "generate", "--out", f"{d}/run", "--train-steps", "2", "--pieces", "1",
            "--refine-steps", "0", "--quiet", "--device", "cpu",
        ],
        "analyze-scl": ["analyze", f"{i}/scale.scl", "--out", f"{d}/a"],
        "analyze-score": ["analyze", f"{i}/score.json", "--out", f"{d}/r"],
    }  # fmt: skip


WRITERS = list(_writers(Path("i"), Path("d")))


@pytest.mark.parametrize("writer", WRITERS)
def test_full_disk(
    cli: Callable[..., CliResult], inputs: Path, tmp_path: Path, writer: str
) -> None:
    with _tmpfs(tmp_path / "disk", size="512k") as disk:
        _fill(disk)
        before = snapshot(disk)
        result = cli(*_writers(inputs, disk)[writer])
        assert_refused(result, before, disk, "no space left")


@pytest.mark.parametrize("writer", WRITERS)
def test_read_only_folder(
    cli: Callable[..., CliResult], inputs: Path, tmp_path: Path, writer: str
) -> None:
    with _tmpfs(tmp_path / "disk", size="1m") as disk:
        (disk / "keep.txt").write_text("old")
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        before = snapshot(disk)
        assert_refused(cli(*_writers(inputs, disk)[writer]), before, disk, "read-only")


@pytest.mark.parametrize("writer", WRITERS)
def test_name_too_long(
    cli: Callable[..., CliResult], inputs: Path, tmp_path: Path, writer: str
) -> None:
    args = _writers(inputs, tmp_path)[writer]
    k = args.index("--out") + 1
    name = Path(args[k]).name
    stem, dot, suffix = name.partition(".")
    args[k] = str(tmp_path / f"{stem}{'x' * 300}{dot}{suffix}")
    before = snapshot(tmp_path)
    assert_refused(cli(*args), before, tmp_path, "at most 200 bytes")


@pytest.mark.parametrize("writer", ["sample", "generate", "analyze-scl", "analyze-score"])
@pytest.mark.parametrize("out", [".", ".."])
def test_out_working_folder_is_refused(
    cli: Callable[..., CliResult],
    inputs: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    writer: str,
    out: str,
) -> None:
    work = tmp_path / "work"
    work.mkdir()
    (work / "precious.txt").write_text("keep me")
    monkeypatch.chdir(work)
    args = _writers(inputs, work)[writer]
    args[args.index("--out") + 1] = out
    before = snapshot(tmp_path)
    assert_refused(cli(*args, "--force"), before, tmp_path, "working folder")


@pytest.mark.parametrize("writer", ["sample", "generate"])
def test_force_over_a_run_on_a_filling_disk_keeps_the_old_run(
    cli: Callable[..., CliResult], inputs: Path, tmp_path: Path, writer: str
) -> None:
    with _tmpfs(tmp_path / "disk", size="2m") as disk:
        run = disk / ("s" if writer == "sample" else "run")
        run.mkdir()
        rng = np.random.default_rng(0)
        for name in ("score.json", "model.pt", "piece-01.wav", "report.html"):
            (run / name).write_bytes(rng.bytes(200_000))
        _fill(disk, leave=16_384 if writer == "generate" else 0)  # no room for a new run
        before = snapshot(disk)
        result = cli(*_writers(inputs, disk)[writer], "--force")
        assert_refused(result, before, disk, "no space left")


def test_an_output_being_written_is_refused(
    cli: Callable[..., CliResult], inputs: Path, tmp_path: Path
) -> None:
    """While one process holds an output, every other writer of it fails at once."""
    for writer in ("sample", "generate", "train", "analyze-scl"):
        args = _writers(inputs, tmp_path)[writer]
        out = Path(args[args.index("--out") + 1])
        with output_lock(out):
            before = snapshot(tmp_path)
            assert_refused(cli(*args), before, tmp_path, "another xentune process")


@pytest.mark.slow  # two processes import torch and train: ~30 s on a loaded 2-core box
def test_two_concurrent_trains_to_one_out(tmp_path: Path) -> None:
    """Two ``train`` processes to one --out: exactly one succeeds, the other exits 2; the model is whole."""
    out = tmp_path / "m.pt"
    cmd = [sys.executable, "-m", "xentune.cli", "train", "--out", str(out), "--train-steps", "60", "--quiet", "--device", "cpu"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=300), p.stderr.read() if p.stderr else "") for p in procs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    loser = next(err for code, err in results if code == 2)
    lines = [line for line in loser.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("xentune: error: "), loser
    assert "Traceback" not in loser
    trained = load_trained(out)
    assert trained.step == 60 and len(trained.history["energy"]) == 60
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.pt"]
