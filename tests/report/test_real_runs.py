"""Reports of real ``xentune generate`` runs (slow: each trains a generator from nothing)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from xentune.report.model import REPORT_SCHEMA, load_report
from xentune.tuning.scala import read_scl

pytestmark = pytest.mark.slow


def _generate(tmp_path: Path, timbre: str, device: str) -> Path:
    from xentune.generator.train import TrainConfig
    from xentune.pipeline import RunConfig, generate_run

    out = tmp_path / "run"
    generate_run(RunConfig(train=TrainConfig(timbre=timbre, seed=0), device=device), out)
    return out


def _check_common(run: Path) -> None:
    data = json.loads((run / "report.json").read_text())
    jsonschema.validate(data, REPORT_SCHEMA)
    a = load_report(run / "report.json")
    # The report's steps are the run's exported scale (same pieces, same analysis).
    scl = read_scl(run / "scale.scl")
    assert np.allclose([s.cents for s in a.steps], scl.degrees_cents, atol=1e-4)
    html = (run / "report.html").read_text()
    assert all(p.audio and p.midi for p in a.pieces)
    # Players: every piece (its table row and beside its piano roll) and the degree previews;
    # each links a file the run wrote.
    players = re.findall(r'<audio[^>]*src="([^"]+)"', html)
    assert {p.audio for p in a.pieces} <= set(players)
    assert any(src.startswith("previews/") for src in players)
    assert all((run / src).is_file() for src in players)
    assert a.training is not None and a.training.n_steps > 0


def test_harmonic_run_report(tmp_path: Path, device: object) -> None:
    run = _generate(tmp_path, "harmonic", str(device))
    _check_common(run)
    a = load_report(run / "report.json")
    assert a.period.kind == "octave"
    names = {s.just_ratios[0].ratio: s for s in a.scale_steps if s.just_ratios}
    assert "3/2" in names  # named, with its error in cents
    assert abs(names["3/2"].just_ratios[0].error_cents) < 10
    assert a.edo.best and any("Best equal divisions" in f for f in a.findings)
    md = (run / "report.md").read_text()
    assert "| 3/2 |" in md


def test_stretched_run_report(tmp_path: Path, device: object) -> None:
    run = _generate(tmp_path, "stretched:octave=2.1", str(device))
    _check_common(run)
    a = load_report(run / "report.json")
    assert a.period.kind == "stretched octave"
    assert abs(a.period.cents - 1200 * math.log2(2.1)) < 10
    assert "stretched octave" in (run / "report.html").read_text()
    assert a.agreement is not None and a.agreement.follows == "curve minima"
    fifth = next(lm for lm in a.landmarks if lm.ratio == "3/2")
    assert fifth.degree_offset_cents is not None and abs(fifth.degree_offset_cents) > 10
