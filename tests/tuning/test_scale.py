"""Scale and KeyboardMapping: validation, conversions, and 128-key tables against closed forms,
a slow one-key-at-a-time Scala implementation, and tuning-library (hypothesis-generated)."""

from __future__ import annotations

import math
import re
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tests.tuning.test_surge_reference import reference_one_pattern_off, scala_reference_table
from xentune.errors import ConfigError, ScalaError
from xentune.tuning.frequencies import frequency_table, mapped_keys
from xentune.tuning.kbm import format_kbm
from xentune.tuning.scala import format_scl
from xentune.tuning.scale import KeyboardMapping, Scale, fraction_to_cents
from xentune.units import DEFAULT_REFERENCE_HZ

tl = pytest.importorskip("tuning_library")

EDO12 = Scale.from_cents([100.0 * k for k in range(1, 13)], description="12-EDO")
A440 = KeyboardMapping.standard(reference_note=69, reference_hz=440.0)


# --------------------------------------------------------------------------- Scale
def test_from_ratios_keeps_exact_fractions() -> None:
    s = Scale.from_ratios(
        ["9/8", Fraction(5, 4), "4/3", "3/2", "5/3", "15/8", 2], description="just"
    )
    assert s.ratios[-1] == Fraction(2) and s.ratios[1] == Fraction(5, 4)
    assert s.is_just and s.n_notes == 7 and s.period_cents == 1200.0
    assert s.period_ratio == Fraction(2)
    assert s.degrees_cents[3] == pytest.approx(701.9550008653874, abs=1e-12)


def test_from_cents_and_conversions() -> None:
    s = Scale.from_cents([200, 700.5, 1200])
    assert s.ratios == (None, None, None) and not s.is_just and s.period_ratio is None
    assert s.degrees_cents == (200.0, 700.5, 1200.0)
    np.testing.assert_array_equal(s.pitches_cents, [0.0, 200.0, 700.5])
    np.testing.assert_array_equal(s.steps_cents, [200.0, 500.5, 499.5])
    np.testing.assert_allclose(s.ratio_values(), 2 ** (np.array([200, 700.5, 1200]) / 1200))


def test_default_ratios_mean_none() -> None:
    assert Scale((100.0, 1200.0)).ratios == (None, None)


def test_degree_cents_octave_extension() -> None:
    s = Scale.from_cents([200.0, 700.0, 1200.0])
    assert s.degree_cents(0) == 0.0
    assert s.degree_cents(3) == 1200.0
    assert s.degree_cents(4) == 1400.0
    assert s.degree_cents(-1) == -500.0  # pitch[2] - period
    assert s.degree_cents(-3) == -1200.0
    np.testing.assert_array_equal(s.degree_cents(np.array([-4, 5])), [-1700.0, 1900.0])
    with pytest.raises(ScalaError, match="0 notes"):
        Scale(()).degree_cents(1)


def test_fraction_to_cents_huge_and_tiny_terms() -> None:
    for r in (Fraction(3**700, 2**1100), Fraction(1, 10**400), Fraction(10**400 + 1, 10**400)):
        with localcontext() as ctx:
            ctx.prec = 60
            exact = (
                Decimal(1200)
                * (Decimal(r.numerator).ln() - Decimal(r.denominator).ln())
                / Decimal(2).ln()
            )
        assert fraction_to_cents(r) == pytest.approx(float(exact), abs=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"degrees_cents": (math.inf,)}, "not finite"),
        ({"degrees_cents": ("abc", 1200.0)}, "sequence of numbers"),
        ({"degrees_cents": (None,)}, "sequence of numbers"),
        ({"degrees_cents": (math.nan, 1200.0)}, "not finite"),
        ({"degrees_cents": (1200.0,), "ratios": (None, None)}, "2 ratios for 1 degrees"),
        ({"degrees_cents": (1200.0,), "ratios": (Fraction(3, 2),)}, "disagrees with its ratio"),
        ({"degrees_cents": (1200.0,), "ratios": (Fraction(-2),)}, "Fraction > 0"),
        ({"degrees_cents": (1200.0,), "ratios": (2,)}, "Fraction > 0"),
        ({"degrees_cents": (1200.0,), "description": "two\nlines"}, "one line"),
        ({"degrees_cents": (1200.0,), "description": "bell\x07"}, "control"),
        ({"degrees_cents": (1200.0,), "description": "! looks like a comment"}, "starts with '!'"),
        ({"degrees_cents": (1200.0,), "description": "bad \ud800"}, "UTF-8"),
    ],
)
def test_scale_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        Scale(**kwargs)


@pytest.mark.parametrize("bad", ["abc", 0, -3, "3/0", 1.5, True])
def test_from_ratios_rejects_non_ratios(bad: object) -> None:
    with pytest.raises(ConfigError, match="ratio"):
        Scale.from_ratios([bad])


# --------------------------------------------------------------------------- KeyboardMapping
def test_standard_mapping_is_tuning_library_default() -> None:
    m = KeyboardMapping.standard()
    lib = tl.KeyboardMapping()
    assert (m.map_size, m.middle_note, m.reference_note, m.octave_degree) == (
        lib.count,
        lib.middle_note,
        lib.tuning_constant_note,
        lib.octave_degrees,
    )
    assert m.reference_hz == pytest.approx(lib.tuning_frequency, rel=1e-15)
    assert m.reference_hz == DEFAULT_REFERENCE_HZ and m.is_linear


def test_short_entries_are_padded_with_unmapped() -> None:
    m = KeyboardMapping(map_size=5, entries=(0, 2))
    assert m.entries == (0, 2, None, None, None)
    assert m == KeyboardMapping(map_size=5, entries=(0, 2, None, None, None))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"map_size": -1}, "map_size=-1"),
        ({"reference_note": 128}, "reference_note=128: must be a MIDI key 0..127"),
        ({"reference_note": -1}, "reference_note=-1"),
        ({"middle_note": 300}, "middle_note=300"),
        ({"first_note": 10, "last_note": 5}, "first_note=10 > last_note=5"),
        ({"reference_hz": 0.0}, "reference_hz=0.0"),
        ({"reference_hz": math.nan}, "reference_hz=nan"),
        ({"reference_hz": -440.0}, "reference_hz=-440.0"),
        ({"map_size": 2, "entries": (0, 1, 2)}, "3 entries for map_size=2"),
        ({"map_size": 2, "entries": (0, "1")}, "entry 1='1'"),
        ({"map_size": 2, "entries": (None, 1)}, "reference note 60 falls on mapping entry 0"),
        ({"octave_degree": 1.5}, "octave_degree=1.5"),
        ({"middle_note": True}, "middle_note=True"),
    ],
)
def test_mapping_validation(kwargs: dict, match: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(match)):
        KeyboardMapping(**kwargs)


def test_retuned_keys_is_the_first_last_range() -> None:
    mask = KeyboardMapping(first_note=21, last_note=108).retuned_keys()
    assert mask.sum() == 88 and mask[21] and mask[108] and not mask[20] and not mask[109]


# --------------------------------------------------------------------------- tables
def test_12edo_a440_closed_form() -> None:
    table = frequency_table(EDO12, A440)
    expected = 440.0 * 2.0 ** ((np.arange(128) - 69) / 12)
    np.testing.assert_allclose(table, expected, rtol=1e-14)
    assert table[60] == pytest.approx(DEFAULT_REFERENCE_HZ, rel=1e-14)


def test_default_mapping_puts_degree_zero_on_middle_c() -> None:
    just = Scale.from_ratios(["9/8", "5/4", "4/3", "3/2", "5/3", "15/8", 2])
    table = frequency_table(just)
    assert table[60] == pytest.approx(DEFAULT_REFERENCE_HZ, rel=1e-15)
    assert table[62] / table[60] == pytest.approx(5 / 4, rel=1e-14)
    assert table[67] / table[60] == pytest.approx(2.0, rel=1e-14)
    assert table[59] / table[60] == pytest.approx(15 / 16, rel=1e-14)


def test_two_period_pattern_and_negative_degrees() -> None:
    # a pattern over two periods (formal octave 2N, which tuning-library rejects) and a
    # negative degree, both legal in Scala
    s = Scale.from_cents([400.0, 700.0, 1200.0])
    m = KeyboardMapping(
        map_size=4,
        middle_note=60,
        reference_note=60,
        reference_hz=100.0,
        octave_degree=6,
        entries=(0, 4, -1, None),
    )
    t = frequency_table(s, m, unmapped="nan")
    cents = 1200 * np.log2(t[60:68] / 100.0)
    # keys 60..63: degrees 0, 4 (1600), -1 (-500), x; keys 64..67: +6 degrees (+2400 cents)
    np.testing.assert_allclose(
        cents[[0, 1, 2, 4, 5, 6]], [0, 1600, -500, 2400, 4000, 1900], atol=1e-9
    )
    assert np.isnan(cents[3]) and np.isnan(cents[7])


def test_unmapped_interpolation_lies_between_neighbours() -> None:
    m = KeyboardMapping(
        map_size=12,
        reference_note=60,
        entries=(0, None, None, 1, 2, 3, 4, 5, 6, 7, 8, 9),
        octave_degree=10,
    )
    s = Scale.from_cents([100.0 * k for k in range(1, 11)])
    t = frequency_table(s, m)
    # keys 61, 62 sit a third and two thirds of the way (log-frequency) from key 60 to 63
    c = 1200 * np.log2(t / t[60])
    assert c[61] == pytest.approx(c[63] / 3, abs=1e-5)
    assert c[62] == pytest.approx(2 * c[63] / 3, abs=1e-5)
    assert mapped_keys(s, m)[[60, 61, 62, 63]].tolist() == [True, False, False, True]


def test_unknown_unmapped_mode() -> None:
    with pytest.raises(ConfigError, match="unmapped='zero'"):
        frequency_table(EDO12, unmapped="zero")  # type: ignore[arg-type]


_cents = st.floats(min_value=-3000.0, max_value=3000.0, allow_nan=False)


@st.composite
def scale_and_mapping(
    draw: st.DrawFn, *, library_compatible: bool
) -> tuple[Scale, KeyboardMapping]:
    n = draw(st.integers(1, 24))
    degrees = draw(st.lists(_cents, min_size=n, max_size=n))
    if draw(st.booleans()):  # a real period most of the time
        degrees[-1] = draw(st.floats(min_value=50.0, max_value=3000.0))
    scale = Scale.from_cents(degrees)
    map_size = draw(st.integers(0, 20))
    low, high = (0, n) if library_compatible else (-30, 40)
    entries = draw(
        st.lists(st.one_of(st.none(), st.integers(low, high)), min_size=map_size, max_size=map_size)
    )
    middle = draw(st.integers(0, 127))
    reference = draw(st.integers(0, 127))
    if map_size:
        entries[(reference - middle) % map_size] = draw(st.integers(low, high))
    octave = n if library_compatible else draw(st.integers(-20, 40))
    mapping = KeyboardMapping(
        map_size=map_size,
        middle_note=middle,
        reference_note=reference,
        reference_hz=draw(st.floats(min_value=20.0, max_value=2000.0)),
        octave_degree=octave,
        entries=tuple(entries),
    )
    return scale, mapping


@settings(max_examples=200, deadline=None)
@given(pair=scale_and_mapping(library_compatible=False))
def test_table_equals_slow_scala_reference(pair: tuple[Scale, KeyboardMapping]) -> None:
    scale, mapping = pair
    ours = frequency_table(scale, mapping, unmapped="nan")
    ref = scala_reference_table(scale, mapping)
    assert [r is None for r in ref] == np.isnan(ours).tolist()
    ref_hz = np.array([np.nan if r is None else r for r in ref])
    ok = ~np.isnan(ours)
    np.testing.assert_allclose(ours[ok], ref_hz[ok], rtol=1e-12)
    assert mapped_keys(scale, mapping).tolist() == ok.tolist()


@settings(max_examples=150, deadline=None)
@given(pair=scale_and_mapping(library_compatible=True))
def test_table_equals_tuning_library_with_interpolation(
    pair: tuple[Scale, KeyboardMapping],
) -> None:
    # where the library and Scala agree (formal octave = N, entries within 0..N), every key,
    # mapped or (interpolated) unmapped, equals tuning-library to 1e-6 cents
    scale, mapping = pair
    assume(not reference_one_pattern_off(mapping))  # the library's off-by-one, tested below
    tuning = tl.Tuning(tl.parse_scl_data(format_scl(scale)), tl.parse_kbm_data(format_kbm(mapping)))
    interp = tuning.with_skipped_notes_interpolated()
    lib = np.array([interp.frequency_for_midi_note(k) for k in range(128)])
    ours = frequency_table(scale, mapping)
    assert np.abs(1200 * np.log2(ours / lib)).max() < 1e-6
    lib_mapped = [tuning.is_midi_note_mapped(k) for k in range(128)]
    assert mapped_keys(scale, mapping).tolist() == lib_mapped


@pytest.mark.parametrize(("middle", "reference"), [(60, 72), (60, 84), (50, 74)])
def test_reference_whole_pattern_above_middle_follows_scala(middle: int, reference: int) -> None:
    # tuning-library departs here: with the reference key exactly k patterns above the middle
    # key, every other key comes out one period high (key 60 = key 72 = 440 Hz for 12-EDO).
    # Scala's rule, which we follow, keeps 12-EDO a plain 12-EDO.
    mapping = KeyboardMapping(
        map_size=12,
        middle_note=middle,
        reference_note=reference,
        reference_hz=440.0,
        octave_degree=12,
        entries=tuple(range(12)),
    )
    ours = frequency_table(EDO12, mapping)
    np.testing.assert_allclose(ours, 440.0 * 2.0 ** ((np.arange(128) - reference) / 12), rtol=1e-13)
    lib = tl.Tuning(tl.even_temperament_12_note_scale(), tl.parse_kbm_data(format_kbm(mapping)))
    lib_hz = np.array([lib.frequency_for_midi_note(k) for k in range(128)])
    assert lib_hz[reference] == pytest.approx(440.0)
    off = 1200 * np.log2(lib_hz / ours)
    np.testing.assert_allclose(np.delete(off, reference), 1200.0, atol=1e-9)
