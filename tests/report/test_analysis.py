"""The tuning analysis: numbers of runs, scores and scales; report.json and its schema."""

from __future__ import annotations

import dataclasses
import json
import math
import types
import typing
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from tests.report.conftest import JUST_STEPS
from xentune.errors import ConfigError, ScoreError
from xentune.report import analysis as an
from xentune.report.analysis import analysis_for_scale
from xentune.report.model import (
    REPORT_SCHEMA,
    SCHEMA_VERSION,
    Analysis,
    analysis_from_dict,
    load_report,
    validate_report,
)
from xentune.report.run_analysis import analysis_for_run
from xentune.report.sources import analysis_for_score, grid_offset
from xentune.tuning.scala import read_scl
from xentune.tuning.scale import Scale

STRETCH = math.log2(2.1)


@pytest.fixture(scope="module")
def harmonic(harmonic_run: Path) -> Analysis:
    return analysis_for_run(harmonic_run)


@pytest.fixture(scope="module")
def stretched(stretched_run: Path) -> Analysis:
    return analysis_for_run(stretched_run)


def test_harmonic_run_names_steps_with_just_ratios(harmonic: Analysis) -> None:
    assert harmonic.kind == "run"
    assert harmonic.period.kind == "octave"
    assert abs(harmonic.period.cents - 1200.0) < 5
    names = [s.just_ratios[0].ratio for s in harmonic.scale_steps]
    assert names == ["6/5", "5/4", "4/3", "3/2", "5/3"]
    for s, want in zip(harmonic.scale_steps, JUST_STEPS, strict=True):
        j = s.just_ratios[0]
        assert abs(s.cents - want) < 3
        assert j.error_cents == pytest.approx(s.cents - 1200 * math.log2(eval(j.ratio)), abs=1e-9)
    fifth = harmonic.scale_steps[3].just_ratios[0]
    assert (fifth.odd_limit, fifth.prime_limit) == (3, 3)
    assert fifth.tenney_height == pytest.approx(math.log2(6))
    assert harmonic.steps[-1].is_period and harmonic.steps[-1].just_ratios[0].ratio == "2/1"
    assert (
        harmonic.edo.best
        and harmonic.edo.best[0].relative_rms_error <= harmonic.edo.best[-1].relative_rms_error
    )
    assert 12 in [e.n for e in harmonic.edo.best]
    assert any("3/2" in f and "a just fifth" in f for f in harmonic.findings)
    assert any("Best equal divisions" in f and "12-EDO" in f for f in harmonic.findings)
    # The harmonic curve's minima are the just intervals: every step sits on one.
    assert harmonic.agreement is not None and harmonic.agreement.max_abs_minimum_offset_cents < 3
    assert harmonic.agreement.follows == "both"


def test_stretched_run_follows_curve_minima_not_just_ratios(stretched: Analysis) -> None:
    p = stretched.period
    assert p.kind == "stretched octave"
    assert abs(p.cents - 1200 * STRETCH) < 10  # 1284.4 cents
    assert "stretched octave" in p.description and "wider than 2/1" in p.description
    assert p.timbre_pseudo_octave_cents == pytest.approx(1200 * STRETCH)
    steps = np.array([s.cents for s in stretched.scale_steps])
    assert np.abs(steps - 701.955).min() > 10  # no just fifth
    assert np.abs(steps - 701.955 * STRETCH).min() < 3  # the stretched "fifth" near 751
    assert stretched.agreement is not None
    assert stretched.agreement.follows == "curve minima"
    assert stretched.agreement.max_abs_minimum_offset_cents < 5
    assert stretched.agreement.mean_abs_simple_ratio_error_cents > 10
    fifth = next(lm for lm in stretched.landmarks if lm.ratio == "3/2")
    assert fifth.degree_offset_cents is not None and fifth.degree_offset_cents > 40
    assert fifth.minimum_offset_cents is not None and fifth.minimum_offset_cents > 40
    assert any("no degree lies within 10 c of 3/2" in f for f in stretched.findings)
    assert any(
        "the degrees follow the curve minima, not just intonation" in f for f in stretched.findings
    )
    assert stretched.agreement.n_near_minimum == stretched.agreement.n_degrees == 6
    assert stretched.agreement.n_near_simple_ratio == 0
    # EDOs divide the stretched period, not the octave.
    assert all(e.period_cents == pytest.approx(p.cents) for e in stretched.edo.best)


def test_step_minimum_offsets_match_curve(stretched: Analysis) -> None:
    assert stretched.curve is not None
    minima = np.array([m.cents for m in stretched.curve.minima])
    for s in stretched.steps:
        j = int(np.argmin(np.abs(minima - s.cents)))  # slow, obvious nearest minimum
        assert s.nearest_minimum_cents == minima[j]
        assert s.minimum_offset_cents == pytest.approx(s.cents - minima[j])
    degrees = np.array([s.cents for s in stretched.steps])
    for m in stretched.curve.minima:
        k = int(np.argmin(np.abs(degrees - m.cents)))
        assert m.nearest_degree == k + 1
        assert m.offset_cents == pytest.approx(degrees[k] - m.cents)


def test_training_and_pieces_summary(harmonic_run: Path, harmonic: Analysis) -> None:
    hist = json.loads((harmonic_run / "training.json").read_text())
    t = harmonic.training
    assert t is not None
    assert t.n_steps == hist["step"][-1]
    assert t.final_energy == hist["energy"][-1] and t.initial_energy == hist["energy"][0]
    assert t.min_energy == min(hist["energy"])
    assert t.final_entropy == hist["entropy"][-1]
    assert t.temperature == tuple(hist["temperature"])
    assert t.elapsed_s == 12.5
    assert len(harmonic.pieces) == 12
    assert harmonic.pieces[0].audio == "piece-01.wav"
    assert harmonic.pieces[0].midi is None  # none written in this synthetic run
    assert harmonic.settings["temperature"] == 0.05
    assert harmonic.settings["energy.w_harmonicity"] == 0.5
    assert harmonic.emergence is not None and harmonic.emergence.n_pieces == 12


def test_scale_file_analysis_has_no_run(scale_files: dict[str, Path]) -> None:
    path = scale_files["ptolemy.scl"]
    a = analysis_for_scale(read_scl(path), source=str(path))
    assert a.kind == "scale"
    assert a.training is None and a.emergence is None and not a.pieces and a.example_piece is None
    assert any(n.startswith("No run") for n in a.notes)
    assert [s.source_ratio for s in a.steps] == ["9/8", "5/4", "4/3", "3/2", "5/3", "15/8", "2/1"]
    # Issue 4's published ranking for the just major scale (RMS relative to the step, 5..53).
    assert [e.n for e in a.edo.best] == [53, 12, 34, 41, 31]
    assert a.frequencies_hz is not None and len(a.frequencies_hz) == 128
    assert a.frequencies_hz[60] == pytest.approx(261.6255653005986)


def test_grid_offset_finds_the_tonic() -> None:
    degrees = np.array([0.0, 386.3, 702.0])
    notes = np.array([150.0, 536.3, 852.0, 1350.0, -1050.0 + 0.0])  # tonic 150 (mod 1200)
    assert grid_offset(notes, degrees, period_cents=1200.0) == 150.0


def test_report_json_validates_and_round_trips(harmonic: Analysis, tmp_path: Path) -> None:
    data = json.loads(harmonic.to_json())
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    jsonschema.validate(data, REPORT_SCHEMA)
    assert data["schema_version"] == SCHEMA_VERSION
    assert analysis_from_dict(data) == harmonic
    (tmp_path / "report.json").write_text(harmonic.to_json())
    assert load_report(tmp_path / "report.json") == harmonic


def test_scale_report_json_validates(scale_files: dict[str, Path]) -> None:
    a = analysis_for_scale(read_scl(scale_files["ptolemy.scl"]))
    jsonschema.validate(json.loads(a.to_json()), REPORT_SCHEMA)


def _schema_fields(schema: dict) -> set[str]:
    return set(schema["properties"])


def test_schema_mirrors_the_dataclasses() -> None:
    """Every dataclass field is in the schema and required; nothing else is allowed."""
    assert REPORT_SCHEMA["properties"]["schema_version"]["const"] == SCHEMA_VERSION

    def check(cls: type, schema: dict) -> None:
        names = {f.name for f in dataclasses.fields(cls)}
        assert _schema_fields(schema) == names, cls
        assert set(schema["required"]) == names
        assert schema["additionalProperties"] is False
        hints = typing.get_type_hints(cls)
        for name in names:
            sub = schema["properties"][name]
            target = hints[name]
            if typing.get_origin(target) in (typing.Union, types.UnionType):
                (target,) = [a for a in typing.get_args(target) if a is not type(None)]
            if typing.get_origin(target) is tuple:
                target = typing.get_args(target)[0]
                sub = sub["items"]
            if isinstance(target, type) and dataclasses.is_dataclass(target):
                check(target, sub)

    check(Analysis, REPORT_SCHEMA)


@pytest.mark.parametrize(
    "mutate, fragment",
    [
        (lambda d: d.pop("steps"), "steps"),
        (lambda d: d["steps"][0].__setitem__("cents", "loud"), "/steps/0/cents"),
        (lambda d: d["period"].__setitem__("kind", "wobbly"), "/period/kind"),
        (lambda d: d.__setitem__("schema_version", 99), "version 99"),
        (lambda d: d["edo"]["best"][0].__setitem__("extra", 1), "/edo/best/0"),
    ],
)
def test_invalid_reports_are_refused(harmonic: Analysis, mutate, fragment: str) -> None:
    data = json.loads(harmonic.to_json())
    mutate(data)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, REPORT_SCHEMA)
    with pytest.raises(ConfigError, match="report") as e:
        validate_report(data)
    assert fragment in str(e.value)


def test_corrupted_report_json(tmp_path: Path) -> None:
    p = tmp_path / "report.json"
    p.write_text('{"schema_version": 1, "kind": "run", ')
    with pytest.raises(ConfigError, match=r"corrupted report.json \(line 1"):
        load_report(p)
    p.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(ConfigError, match="report"):
        load_report(p)


def test_not_a_run_folder(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a xentune run folder"):
        analysis_for_run(tmp_path)
    with pytest.raises(ConfigError, match="not a folder"):
        analysis_for_run(tmp_path / "missing")
    (tmp_path / "config.json").write_text('{"format": "something-else", "version": 1}')
    with pytest.raises(ConfigError, match="xentune-run"):
        analysis_for_run(tmp_path)
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(ConfigError, match="corrupted config.json"):
        analysis_for_run(tmp_path)


def test_corrupted_score_json(harmonic_run: Path, tmp_path: Path) -> None:
    bad = tmp_path / "score.json"
    bad.write_text('{"format": "xentune-score", "version": 1, "pieces": [{"cents": [[NaN')
    with pytest.raises(ScoreError):
        analysis_for_score(bad)
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text((harmonic_run / "config.json").read_text())
    (run / "score.json").write_text("]")
    with pytest.raises(ScoreError):
        analysis_for_run(run)


def test_score_analysis(harmonic_run: Path) -> None:
    a = analysis_for_score(harmonic_run / "score.json")
    assert a.kind == "score" and a.training is None and all(p.audio is None for p in a.pieces)
    assert [s.just_ratios[0].ratio for s in a.scale_steps] == ["6/5", "5/4", "4/3", "3/2", "5/3"]
    assert any("No run" in n for n in a.notes)


def test_simple_ratios_against_brute_force() -> None:
    from fractions import Fraction

    got = an._simple_ratios(1250.0, odd_limit_max=9)
    odd = lambda n: n >> (n & -n).bit_length() - 1  # noqa: E731 - largest odd divisor
    want = sorted(
        {
            Fraction(p, q)
            for p in range(1, 80)
            for q in range(1, 80)
            if 1 < Fraction(p, q) <= 2 ** (1250 / 1200)
            and max(odd(Fraction(p, q).numerator), odd(Fraction(p, q).denominator)) <= 9
        }
    )
    assert got == want
    assert Fraction(3, 2) in got and Fraction(7, 4) in got and Fraction(11, 8) not in got


def test_scale_with_one_degree_only() -> None:
    a = analysis_for_scale(Scale.from_cents([1200.0]))
    assert a.scale_steps == () and a.steps[0].is_period
    assert a.edo.best == () and a.edo.n == ()  # nothing to fit: the period fits every n exactly
    assert a.agreement is None
    # A period <= 0 (chimes.scl) is analysed as `analyze SCALE.scl` analyses it: the octave is
    # divided and every degree fitted (it used to be rejected here and accepted there).
    chimes = analysis_for_scale(Scale.from_cents([100.0, -50.0]))
    assert chimes.period.cents == -50.0
    assert chimes.edo.best[0].period_cents == 1200.0
    assert len(chimes.edo.best[0].degree_steps) == 2


def test_a_run_folder_is_named_as_given(tmp_path: Path) -> None:
    # No decoding of temp-folder names: `generate` names its final folder itself (it analyses in
    # memory, see tests/test_analysis_agreement.py), so a folder is reported under its own name.
    from tests.report.conftest import make_run

    run = make_run(tmp_path, name=".my-run.k2j4_x9a.tmp", n_pieces=4, audio=False)
    a = analysis_for_run(run)
    assert a.source == str(run.resolve())
    assert a.title.startswith("Run .my-run.k2j4_x9a.tmp: ")
