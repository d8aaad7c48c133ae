"""Tests of the timbre presets and spec parser."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import assert_one_line_error
from xentune.errors import SpecError
from xentune.timbre import PRESETS, free_bar_ratios, parse_timbre


def test_harmonic_defaults_and_params():
    s = parse_timbre("harmonic:partials=6,rolloff=0.88")
    assert s.ratios == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert s.amplitudes == pytest.approx([0.88**k for k in range(6)])
    assert s.pseudo_octave == 2.0


def test_stretched_octave_is_pseudo_octave():
    s = parse_timbre("stretched:octave=2.1,partials=6")
    assert s.ratios[1] == pytest.approx(2.1)
    # partial 4 = (partial 2)^2: the stretch is a power law k^log2(A)
    assert s.ratios[3] == pytest.approx(2.1**2)
    assert 1200 * math.log2(s.ratios[1]) == pytest.approx(1284.47, abs=0.01)


def test_square_is_odd_harmonics():
    s = parse_timbre("square:partials=4")
    assert s.ratios == (1.0, 3.0, 5.0, 7.0)
    assert s.amplitudes == pytest.approx([1, 1 / 3, 1 / 5, 1 / 7])


def test_free_bar_roots_match_beam_theory():
    # roots of cos x cosh x = 1: 4.73004, 7.85320, 10.99561 -> ratios (b_k / b_1)^2
    assert free_bar_ratios(5) == pytest.approx([1, 2.75654, 5.40392, 8.93295, 13.34429], abs=2e-5)


def test_edo_partials_on_grid():
    s = parse_timbre("edo:n=10,partials=7")
    for r in s.ratios:
        steps = 1200 * math.log2(r) / 120
        assert steps == pytest.approx(round(steps), abs=1e-9)


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_every_preset_parses(name):
    s = parse_timbre(name)
    assert s.n_partials >= 1
    assert all(r > 0 for r in s.ratios) and all(a > 0 for a in s.amplitudes)


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("nonsense", "unknown timbre"),
        ("stretched:octave=-1", "octave must be > 1"),
        ("stretched:octave=nan", "octave"),
        ("harmonic:partials=0", "partials"),
        ("harmonic:partials=3.5", "not an integer"),
        ("harmonic:rolloff=0", "rolloff"),
        ("harmonic:colour=red", "unknown option"),
        ("harmonic:partials", "key=value"),
        ("", "empty"),
        ("bell:partials=3", "no options"),
    ],
)
def test_bad_specs_raise_spec_error(spec, fragment):
    with pytest.raises(SpecError, match=fragment):
        parse_timbre(spec)


def test_json_file_roundtrip(tmp_path):
    s = parse_timbre("stretched:octave=2.1,partials=5")
    p = tmp_path / "t.json"
    p.write_text(json.dumps(s.to_dict()))
    t = parse_timbre(str(p))
    assert t.ratios == s.ratios and t.amplitudes == s.amplitudes and t.pseudo_octave == 2.1


def test_toml_file(tmp_path):
    p = tmp_path / "t.toml"
    p.write_text(
        'name = "mine"\n[[partials]]\nratio = 1.0\namplitude = 1.0\n[[partials]]\nratio = 2.7\namplitude = 0.5\n'
    )
    t = parse_timbre(str(p))
    assert t.ratios == (1.0, 2.7) and t.name == "mine"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("{not json", "malformed JSON at line 1"),
        ('{"partials": []}', "no partials"),
        ('{"partials": [{"ratio": -1, "amplitude": 1}]}', "ratio"),
        ('{"partials": [{"ratio": 1, "amplitude": 0}]}', "amplitude"),
        ('{"partials": [{"ratio": NaN, "amplitude": 1}]}', "ratio"),
        ('{"partials": [{"ratio": "x", "amplitude": 1}]}', "must be a number"),
        ('{"foo": 1}', "no 'partials'"),
        ("[1, 2]", "expected a table"),
    ],
)
def test_bad_files(tmp_path, content, fragment):
    p = tmp_path / "bad.json"
    p.write_text(content)
    with pytest.raises(SpecError, match=fragment):
        parse_timbre(str(p))


def test_missing_file():
    with pytest.raises(SpecError, match="not found"):
        parse_timbre("no/such/file.json")


@given(
    st.lists(
        st.tuples(st.floats(0.01, 100, allow_nan=False), st.floats(0.001, 10, allow_nan=False)),
        min_size=1,
        max_size=20,
    )
)
def test_partials_file_roundtrip_property(tmp_path_factory, partials):
    p = tmp_path_factory.mktemp("h") / "t.json"
    p.write_text(json.dumps({"partials": [[r, a] for r, a in partials]}))
    s = parse_timbre(str(p))
    assert sorted(s.ratios) == list(s.ratios)
    assert sorted(zip(s.ratios, s.amplitudes, strict=True)) == sorted(partials)


def test_cli_timbre_show(cli):
    r = cli("timbre", "show", "harmonic:partials=3")
    assert r.code == 0 and "1901.96" in r.stdout


@pytest.mark.parametrize("spec", ["nonsense", "stretched:octave=-1", "harmonic:partials=0"])
def test_cli_timbre_show_bad(cli, spec):
    assert_one_line_error(cli("timbre", "show", spec))
