"""Synthetic run folders for the report tests: config.json, training.json, score.json and audio.

The pieces are built by hand from a chord vocabulary whose intervals are known (just intervals
for ``harmonic``, the same intervals stretched by log2(2.1) for ``stretched:octave=2.1``), so the
expected emergent steps are known without training a generator.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from xentune.score import Score, save_scores
from xentune.timbre import parse_timbre
from xentune.units import DEFAULT_REFERENCE_HZ

#: Triads (cents above the bass) whose three intervals are all among 6/5 5/4 4/3 3/2 5/3 2/1.
JUST_TRIADS = (
    (0.0, 386.314, 701.955),
    (0.0, 315.641, 701.955),
    (0.0, 498.045, 884.359),
    (0.0, 386.314, 884.359),
    (0.0, 701.955, 1200.0),
    (0.0, 498.045, 1200.0),
    (0.0, 315.641, 1200.0),
    (0.0, 884.359, 1200.0),
)
#: The intervals those triads contain (the steps a good emergence must find, and the period).
JUST_STEPS = (315.641, 386.314, 498.045, 701.955, 884.359)


def make_run(
    root: Path,
    *,
    timbre: str = "harmonic",
    stretch: float = 1.0,
    n_pieces: int = 12,
    n_steps: int = 32,
    hold: int = 4,
    noise_cents: float = 1.5,
    seed: int = 0,
    audio: bool = True,
    name: str = "run",
    flat: bool = False,
) -> Path:
    """Write a run folder like ``xentune generate`` does, with hand-made pieces.

    ``stretch`` multiplies every interval (log2(2.1) = 1.0704 for the stretched timbre);
    ``flat`` draws uniform random pitches instead (no interval system).
    """
    rng = np.random.default_rng(seed)
    spectrum = parse_timbre(timbre)
    d = root / name
    d.mkdir()
    step_s = 0.25
    scores = []
    for _ in range(n_pieces):
        cents = np.zeros((3, n_steps))
        for t0 in range(0, n_steps, hold):
            triad = np.array(JUST_TRIADS[rng.integers(len(JUST_TRIADS))]) * stretch
            bass = rng.uniform(-700.0, 100.0)
            cents[:, t0 : t0 + hold] = (bass + triad)[:, None]
        cents += rng.normal(0.0, noise_cents, size=cents.shape)
        if flat:  # no interval system at all: pitches uniform over two octaves
            cents = rng.uniform(-1200.0, 1200.0, size=cents.shape)
        scores.append(
            Score.from_chords(
                cents,
                step_s=step_s,
                timbre=timbre,
                reference_hz=DEFAULT_REFERENCE_HZ,
                spectrum=spectrum.to_dict(),
            )
        )
    save_scores(d / "score.json", scores)
    steps = np.arange(1, 201)
    energy = 2.0 * np.exp(-steps / 40.0) + 0.3 + 0.01 * rng.normal(size=steps.size)
    entropy = 5.0 - 2.0 * (1 - np.exp(-steps / 60.0))
    (d / "training.json").write_text(
        json.dumps(
            {
                "step": steps.tolist(),
                "energy": energy.tolist(),
                "entropy": entropy.tolist(),
                "loss": (energy / 0.05 - entropy).tolist(),
                "temperature": np.maximum(0.05, 0.2 - 0.002 * steps).tolist(),
            }
        )
    )
    config = {
        "format": "xentune-run",
        "version": 1,
        "timbre": timbre,
        "spectrum": spectrum.to_dict(),
        "voices": 3,
        "steps": n_steps,
        "pieces": n_pieces,
        "train_steps": 200,
        "temperature": 0.05,
        "seed": seed,
        "device": "cpu",
        "sample_rate": 8000,
        "reference_hz": DEFAULT_REFERENCE_HZ,
        "energy": {"w_roughness": 1.0, "w_harmonicity": 0.5},
        "versions": {"xentune": "0.1.0", "torch": "2.11.0"},
        "elapsed_s": 12.5,
    }
    (d / "config.json").write_text(json.dumps(config, indent=2))
    if audio:
        sr = 8000
        t = np.arange(int(0.4 * sr)) / sr
        for i, s in enumerate(scores, start=1):
            f = float(s.hz()[0, 0])
            wave = 0.3 * np.sin(2 * math.pi * f * t) * np.hanning(t.size)
            sf.write(d / f"piece-{i:02d}.wav", np.stack([wave, wave], axis=1), sr)
    return d


@pytest.fixture(scope="session")
def harmonic_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic run of the ``harmonic`` timbre (just triads) with audio, no report yet."""
    return make_run(tmp_path_factory.mktemp("harmonic"), timbre="harmonic")


@pytest.fixture(scope="session")
def stretched_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic run of ``stretched:octave=2.1``: the just triads stretched by log2(2.1)."""
    return make_run(
        tmp_path_factory.mktemp("stretched"),
        timbre="stretched:octave=2.1",
        stretch=math.log2(2.1),
        seed=1,
    )


@pytest.fixture(scope="session")
def harmonic_report(harmonic_run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the harmonic run with its report written (read-only: copy it to change it)."""
    from xentune.report.render import write_report

    run = tmp_path_factory.mktemp("harmonic-report") / "run"
    shutil.copytree(harmonic_run, run)
    write_report(run)
    return run


@pytest.fixture
def run(harmonic_run: Path, tmp_path: Path) -> Path:
    """A writable copy of the harmonic run, no report yet."""
    d = tmp_path / "run"
    shutil.copytree(harmonic_run, d)
    return d


@pytest.fixture
def reported(harmonic_report: Path, tmp_path: Path) -> Path:
    """A writable copy of the harmonic run with its report (a folder named ``run``, as written)."""
    d = tmp_path / "reported" / "run"
    shutil.copytree(harmonic_report, d)
    return d


@pytest.fixture(scope="session")
def scale_report(scale_files: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The report folder of ``ptolemy.scl`` (the just major scale), analysed with no run."""
    from xentune.report.analysis import analysis_for_scale
    from xentune.report.render import write_scale_report
    from xentune.tuning.scala import read_scl

    path = scale_files["ptolemy.scl"]
    out = tmp_path_factory.mktemp("scale-report") / "out"
    write_scale_report(out, analysis_for_scale(read_scl(path), source=str(path)))
    return out
