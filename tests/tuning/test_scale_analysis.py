"""Tests of xentune.tuning.scale_analysis: issue values, tuning-library tables, JSON and CSV."""

from __future__ import annotations

import csv
import io
import json
import math
from fractions import Fraction

import numpy as np
import pytest

from xentune.errors import ScalaError
from xentune.tuning.kbm import read_kbm
from xentune.tuning.scala import read_scl
from xentune.tuning.scale import KeyboardMapping, Scale
from xentune.tuning.scale_analysis import ANALYSIS_FORMAT, analyze_scale

JUST_MAJOR = Scale.from_ratios(
    ["9/8", "5/4", "4/3", "3/2", "5/3", "15/8", "2/1"], description="just major"
)


def test_just_major_degrees_and_edos():
    a = analyze_scale(JUST_MAJOR, top_edos=5)
    assert [f.n for f in a.best_edos] == [53, 12, 34, 41, 31]  # issue 4, Must show 5
    assert a.edo_targets_cents == JUST_MAJOR.degrees_cents[:-1]  # the period is left out
    third = a.degrees[1]
    assert third.ratio == Fraction(5, 4)
    assert third.just_ratios[0].ratio == Fraction(5, 4)
    assert abs(third.just_ratios[0].error_cents) < 1e-9
    assert [(e.n, e.step) for e in third.edo_steps] == [
        (53, 17),
        (12, 4),
        (34, 11),
        (41, 13),
        (31, 10),
    ]
    assert third.edo_steps[1].error_cents == pytest.approx(1200 * math.log2(5 / 4) - 400, abs=1e-9)
    period = a.degrees[-1]
    assert period.is_period and not third.is_period
    assert [e.step for e in period.edo_steps] == [e.n for e in period.edo_steps]
    assert all(abs(e.error_cents) < 1e-9 for e in period.edo_steps)


def test_degrees_given_in_cents_have_no_exact_ratio():
    a = analyze_scale(Scale.from_cents([100.0 * k for k in range(1, 13)]))
    assert all(d.ratio is None for d in a.degrees)
    # exact in all four (top 5 = EDO_TOP): ties, smallest first
    assert [f.n for f in a.best_edos][:4] == [12, 24, 36, 48]
    d = a.to_dict()["degrees"][6]
    assert d["exact_ratio"] is None and d["just_ratios"][0]["ratio"] == "3/2"


def test_table_equals_tuning_library(scale_files):
    tl = pytest.importorskip("tuning_library")
    # A 7-note scale with a 12-key pattern, formal octave 7, unmapped keys (x), A = 442 on key
    # 69: a case where Scala and tuning-library agree (tuning.md §3).
    scl = scale_files["ptolemy_iast.scl"]
    kbm = scale_files["mapping-a442-7-to-12.kbm"]
    a = analyze_scale(read_scl(scl), read_kbm(kbm))
    t = tl.Tuning(tl.read_scl_file(str(scl)), tl.read_kbm_file(str(kbm)))
    ti = t.with_skipped_notes_interpolated()
    mapped = np.array([t.is_midi_note_mapped(k) for k in range(128)])
    np.testing.assert_array_equal(a.mapped, mapped)
    assert 0 < mapped.sum() < 128
    ref_hz = np.array([ti.frequency_for_midi_note(k) for k in range(128)])
    np.testing.assert_allclose(1200 * np.log2(a.frequencies_hz / ref_hz), 0.0, atol=1e-6)
    ref_retune = np.array([ti.retuning_from_equal_in_cents_for_midi_note(k) for k in range(128)])
    np.testing.assert_allclose(a.cents_from_12edo(), ref_retune, atol=1e-6)
    assert a.frequencies_hz[69] == pytest.approx(442.0)
    assert a.cents_from_reference()[69] == pytest.approx(0.0, abs=1e-9)
    positions = np.array([t.scale_position_for_midi_note(k) for k in range(128)])
    n = a.scale.n_notes
    np.testing.assert_array_equal((a.key_degrees % n)[mapped], positions[mapped])


def test_frequencies_csv():
    mapping = KeyboardMapping(
        map_size=12, middle_note=60, reference_note=69, reference_hz=440.0, octave_degree=7,
        entries=(0, None, 1, None, 2, 3, None, 4, None, 5, None, 6),
    )  # fmt: skip
    a = analyze_scale(JUST_MAJOR, mapping)
    rows = list(csv.DictReader(io.StringIO(a.frequencies_csv())))
    assert len(rows) == 128
    assert list(rows[0]) == [
        "note",
        "frequency_hz",
        "cents_from_reference",
        "cents_from_12edo",
        "degree",
        "mapped",
    ]
    by_note = {int(r["note"]): r for r in rows}
    assert float(by_note[69]["frequency_hz"]) == pytest.approx(440.0)
    assert by_note[60]["degree"] == "0" and by_note[60]["mapped"] == "1"
    assert by_note[61]["degree"] == "" and by_note[61]["mapped"] == "0"  # x key
    # key 64 plays degree 2 (5/4): 5/4 over C, where A (key 69, degree 5 = 5/3) is 440 Hz
    assert float(by_note[64]["frequency_hz"]) == pytest.approx(440 * (5 / 4) / (5 / 3))
    assert float(by_note[72]["frequency_hz"]) == pytest.approx(
        2 * float(by_note[60]["frequency_hz"])
    )
    assert float(by_note[64]["cents_from_reference"]) == pytest.approx(1200 * math.log2(0.75))


def test_to_dict_is_strict_json():
    a = analyze_scale(JUST_MAJOR)
    d = json.loads(json.dumps(a.to_dict(), allow_nan=False))
    assert d["format"] == ANALYSIS_FORMAT and d["version"] == 1
    assert d["n_notes"] == 7 and d["period_ratio"] == "2/1"
    assert d["degrees"][0]["exact_ratio"] == {
        "ratio": "9/8", "odd_limit": 9, "prime_limit": 3, "tenney_height": math.log2(72),
    }  # fmt: skip
    assert [e["n"] for e in d["best_edos"]] == [53, 12, 34, 41, 31]
    assert len(d["keys"]["frequency_hz"]) == 128
    assert d["settings"]["edo_n_min"] == 5 and d["settings"]["edo_n_max"] == 53


def test_tritave_scale_divides_its_own_period(scale_files):
    scale = read_scl(scale_files["ED3-17.scl"])
    a = analyze_scale(scale, edo_range=range(5, 30))
    assert a.best_edos[0].n == 17
    assert a.best_edos[0].name == "17-ED1901.955c"
    assert a.edo_period_cents == pytest.approx(1200 * math.log2(3))


def test_non_positive_period_divides_the_octave():
    scale = Scale.from_cents([700.0, 400.0, -100.0])  # period <= 0, as chimes.scl
    a = analyze_scale(scale)
    assert a.edo_period_cents == 1200.0
    assert a.edo_targets_cents == scale.degrees_cents
    assert a.best_edos[0].n == 12


def test_empty_scale_is_an_error():
    with pytest.raises(ScalaError, match="0 notes"):
        analyze_scale(Scale.from_cents([]))


def test_table_text_names_everything():
    text = analyze_scale(JUST_MAJOR, source="major.scl").table()
    assert "major.scl: just major" in text
    assert "53-EDO" in text and "17\\53" in text
    assert "5/4 (+0.000, 5/5)" in text
    assert len(text.splitlines()) == 3 + 5 + 1 + 7 + 1
