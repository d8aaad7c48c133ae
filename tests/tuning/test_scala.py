"""Reading and writing Scala .scl / .kbm: every rule of the spec, errors with file and line, round trips."""

from __future__ import annotations

import math
import os
import re
import tempfile
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xentune.errors import OutputExistsError, ScalaError, XentuneError
from xentune.tuning.ascl import parse_ascl
from xentune.tuning.frequencies import frequency_table
from xentune.tuning.kbm import format_kbm, parse_kbm, read_kbm, write_kbm
from xentune.tuning.scala import (
    format_cents,
    format_scl,
    parse_pitch,
    parse_scl,
    read_scl,
    write_scl,
)
from xentune.tuning.scale import KeyboardMapping, Scale

tl = pytest.importorskip("tuning_library")

MEANQUAR = """! meanquar.scl
!
1/4-comma meantone scale. Pietro Aaron's temperament (1523)
 12
!
 76.04900
 193.15686
 310.26471
 5/4
 503.42157
 579.47057
 696.57843
 25/16
 889.73529
 1006.84314
 1082.89214
 2/1
"""

KBM_A440 = """! Template for a keyboard mapping
!
! Size of map. The pattern repeats every so many keys:
12
! First MIDI note number to retune:
0
! Last MIDI note number to retune:
127
! Middle note where the first entry of the mapping is mapped to:
60
! Reference note for which frequency is given:
69
! Frequency to tune the above note to (floating point e.g. 440.0):
440.0
! Scale degree to consider as formal octave (determines difference in pitch
! between adjacent mapping patterns):
12
! Mapping.
0
1
2
3
4
5
6
7
8
9
10
11
"""


def _cents(r: Fraction) -> float:
    return 1200 * math.log2(r)


def _one_error(exc: pytest.ExceptionInfo[BaseException], source: str, line: int, *words: str):
    """The message is one line naming ``source:line:`` and containing ``words``."""
    message = str(exc.value)
    assert "\n" not in message
    assert message.startswith(f"{source}:{line}: "), message
    for w in words:
        assert w in message, (w, message)


# --------------------------------------------------------------------------- pitches
@pytest.mark.parametrize(
    ("line", "cents", "ratio"),
    [  # the spec's list of valid pitch lines
        ("81/64", _cents(Fraction(81, 64)), Fraction(81, 64)),
        ("408.0", 408.0, None),
        ("408.", 408.0, None),
        ("5", _cents(Fraction(5)), Fraction(5)),
        ("-5.0", -5.0, None),
        ("10/20", -1200.0, Fraction(1, 2)),
        ("100.0 cents", 100.0, None),
        (" 100.0 C#", 100.0, None),
        (" 5/4   E\\", _cents(Fraction(5, 4)), Fraction(5, 4)),
        # and what real files contain
        ("\t9/8\t! D", _cents(Fraction(9, 8)), Fraction(9, 8)),
        ("203.91 ! comment", 203.91, None),
        ("9/8!no space", _cents(Fraction(9, 8)), Fraction(9, 8)),
        (" .5", 0.5, None),
        ("+5/4", _cents(Fraction(5, 4)), Fraction(5, 4)),
        (" 3 / 2 ", _cents(Fraction(3, 2)), Fraction(3, 2)),
        ("3/2 fifth approx. 702c", _cents(Fraction(3, 2)), Fraction(3, 2)),
    ],
)
def test_valid_pitch_lines(line: str, cents: float, ratio: Fraction | None) -> None:
    got_cents, got_ratio = parse_pitch(line)
    assert got_ratio == ratio
    assert got_cents == pytest.approx(cents, abs=1e-9)


def test_value_classified_on_the_token_not_the_line() -> None:
    # tuning-library looks for '.' anywhere before '!' and reads this as 3 cents (tuning.md §1);
    # the spec says cents only if the *value* has a period: we read 3/2
    assert tl.tone_from_string("3/2 fifth approx. 702c").cents == pytest.approx(3.0)
    assert parse_pitch("3/2 fifth approx. 702c")[1] == Fraction(3, 2)


def test_big_ratio_terms_are_exact() -> None:
    n, d = 2**100 + 1, 2**99
    cents, ratio = parse_pitch(f"{n}/{d}")
    assert ratio == Fraction(n, d)
    assert cents == pytest.approx(1200.0, abs=1e-9)


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ("What is this", ["'What is this'", "not a pitch"]),
        ("", ["blank line", "not a pitch"]),
        ("-3/2", ["negative"]),
        ("3/-2", ["negative"]),
        ("0/1", ["zero", "> 0"]),
        ("0", ["zero"]),
        ("3/0", ["denominator 0"]),
        ("3/2.", ["ambiguous"]),
        ("1.2.3", ["ambiguous"]),
        ("3/2/5", ["ambiguous"]),
        ("5/", ["ambiguous"]),
        ("1.5e3", ["exponent notation"]),
        ("\u0663/\u0662", ["not a pitch"]),  # Arabic-Indic digits: ASCII only
        ("1e5", ["exponent notation"]),
        ("1" * 400 + ".0", ["too large"]),
    ],
)
def test_invalid_pitch_lines(line: str, words: list[str]) -> None:
    with pytest.raises(ScalaError) as exc:
        parse_pitch(line, source="x.scl", line=7)
    _one_error(exc, "x.scl", 7, *words)


# --------------------------------------------------------------------------- .scl files
def test_meanquar_canonical_example() -> None:
    s = parse_scl(MEANQUAR, source="meanquar.scl")
    assert s.description == "1/4-comma meantone scale. Pietro Aaron's temperament (1523)"
    assert s.n_notes == 12
    assert s.ratios[3] == Fraction(5, 4) and s.ratios[7] == Fraction(25, 16)
    assert s.period_ratio == Fraction(2) and s.period_cents == 1200.0
    assert s.degrees_cents[0] == 76.049 and s.ratios[0] is None


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("final_newline", [True, False])
def test_line_ends_and_missing_final_newline(newline: str, final_newline: bool) -> None:
    text = MEANQUAR.replace("\n", newline)
    if not final_newline:
        text = text.rstrip(newline)
    assert parse_scl(text) == parse_scl(MEANQUAR)


def test_blank_description_is_the_description() -> None:
    s = parse_scl("! blank.scl\n!\n\n 2\n!\n 3/2\n 2/1\n")
    assert s.description == "" and s.ratios == (Fraction(3, 2), Fraction(2))


def test_description_is_verbatim_and_comments_anywhere() -> None:
    text = "!a\n  spaced\tdescription  \n!b\n\t2\n!c\n!d\n 3/2\n! between\n2\n"
    s = parse_scl(text)
    assert s.description == "  spaced\tdescription  "
    assert s.ratios == (Fraction(3, 2), Fraction(2))


def test_count_zero_is_legal_but_has_no_table() -> None:
    s = parse_scl("!\nonly 1/1\n 0\n")
    assert s.n_notes == 0 and s.period_cents == 0.0
    with pytest.raises(ScalaError, match="0 notes"):
        frequency_table(s)


def test_trailing_data_after_the_count_is_ignored() -> None:
    s = parse_scl("!\nd\n 1\n 2/1\n\nAll this extra garbage is ignored\n3/2\n")
    assert s.ratios == (Fraction(2),)


def test_latin1_and_utf8_and_bom(tmp_path: Path) -> None:
    body = "\n 1\n 2/1\n"
    (tmp_path / "latin.scl").write_bytes(b"! latin\n\xe9t\xe9 \xb0" + body.encode())
    (tmp_path / "utf8.scl").write_bytes(("été °" + body).encode("utf-8"))
    (tmp_path / "bom.scl").write_bytes(b"\xef\xbb\xbf" + ("été °" + body).encode("utf-8"))
    assert read_scl(tmp_path / "latin.scl").description == "été °"
    assert read_scl(tmp_path / "utf8.scl").description == "été °"
    assert read_scl(tmp_path / "bom.scl").description == "été °"


def _write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode() if isinstance(text, str) else text)
    return p


def test_missing_file(tmp_path: Path) -> None:
    p = tmp_path / "nope.scl"
    with pytest.raises(ScalaError) as exc:
        read_scl(p)
    _one_error(exc, str(p), 1, "no such file")
    with pytest.raises(ScalaError) as exc:
        read_kbm(tmp_path / "nope.kbm")
    _one_error(exc, str(tmp_path / "nope.kbm"), 1, "no such file")


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    p = tmp_path / "huge.scl"
    with open(p, "wb") as f:
        f.truncate(17 * 2**20)  # sparse: no 17 MB written
    with pytest.raises(ScalaError) as exc:
        read_scl(p)
    _one_error(exc, str(p), 1, "too large")


def test_folder_instead_of_file(tmp_path: Path) -> None:
    with pytest.raises(ScalaError, match="folder"):
        read_scl(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    p = _write(tmp_path, "image.scl", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00")
    with pytest.raises(ScalaError) as exc:
        read_scl(p)
    _one_error(exc, str(p), 3, "binary")
    p = _write(tmp_path, "blob.kbm", bytes(range(256)))
    with pytest.raises(ScalaError) as exc:
        read_kbm(p)
    _one_error(exc, str(p), 1, "binary")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("", 1, ["no description line"]),
        ("! only comments\n!\n", 2, ["no description line"]),
        ("desc\n", 1, ["note count is missing"]),
        ("desc\ntwelve\n", 2, ["'twelve'", "not a whole number"]),
        ("desc\n-3\n", 2, ["'-3'"]),
        ("desc\n3.0\n", 2, ["'3.0'"]),
        ("12\n100.0\n", 2, ["'100.0'", "description"]),  # description line forgotten
        ("d\n 3\n 100.0\n 2/1\n", 4, ["says 3 pitches", "only 2"]),
        ("d\n 3\n 100.0\n\n 2/1\n", 4, ["blank line", "pitch 2 of 3"]),
        ("d\n 2\n 100.0\n What is this\n", 4, ["not a pitch"]),
        ("d\n 2\n 0/5\n 2/1\n", 3, ["zero"]),
        ("d\n 2\n -3/2\n 2/1\n", 3, ["negative"]),
        ("d\n 2\n   ! indented comment\n 2/1\n", 3, ["comments only after '!'"]),
    ],
)
def test_malformed_scl_gives_one_error_with_file_and_line(
    tmp_path: Path, text: str, line: int, words: list[str]
) -> None:
    p = _write(tmp_path, "bad.scl", text)
    with pytest.raises(ScalaError) as exc:
        read_scl(p)
    _one_error(exc, str(p), line, *words)


def test_scl_count_disagreeing_with_lines_crlf(tmp_path: Path) -> None:
    # issue 4, item 6: count disagrees with its lines (the file says 12, has 11), CRLF
    text = MEANQUAR.replace(" 1082.89214\n", "").replace("\n", "\r\n")
    p = _write(tmp_path, "short.scl", text)
    with pytest.raises(ScalaError) as exc:
        read_scl(p)
    _one_error(exc, str(p), 16, "line 4 says 12 pitches", "only 11")


# --------------------------------------------------------------------------- .kbm files
def test_kbm_template() -> None:
    m = parse_kbm(KBM_A440)
    assert m == KeyboardMapping(
        map_size=12,
        first_note=0,
        last_note=127,
        middle_note=60,
        reference_note=69,
        reference_hz=440.0,
        octave_degree=12,
        entries=tuple(range(12)),
    )


def test_kbm_x_entries_short_lists_negative_degrees_and_trailing_lines() -> None:
    text = "12\n0\n127\n60\n60\n261.6\n0\n0\nx\n-1\nx\n2\n\n\n\n"
    m = parse_kbm(text)
    # Scala: "unmapped keys at the end may be left out" -> padded with x
    assert m.entries == (0, None, -1, None, 2) + (None,) * 7
    assert m.octave_degree == 0
    assert parse_kbm("1\n0\n127\n60\n60\n261.6\n1\n0\n5\n6\nextra text\n").entries == (0,)
    linear = parse_kbm("0\n0\n127\n61\n61\n280.0\n0\n! Mapping.\n\n\n\n")
    assert linear.is_linear and linear.entries == ()


def test_kbm_values_may_have_trailing_comments() -> None:
    # Scala reads the value and ignores what follows, as on .scl pitch lines (tuning-library
    # rejects such lines, tuning.md §3)
    text = "2 ! size\n0\n127\n60\t! middle C\n60!ref\n261.6 Hz\n0\n0 ! tonic\nx unmapped\n"
    m = parse_kbm(text)
    assert (m.map_size, m.middle_note, m.reference_hz, m.entries) == (2, 60, 261.6, (0, None))


def test_kbm_crlf_and_tabs() -> None:
    assert parse_kbm(KBM_A440.replace("\n", "\r\n").replace("440.0", "\t440.0 ")) == parse_kbm(
        KBM_A440
    )


@pytest.mark.parametrize(
    ("replace", "line", "words"),
    [
        (("\n69\n", "\n128\n"), 12, ["reference note 128", "0..127"]),
        (("\n69\n", "\n-1\n"), 12, ["reference note -1", "0..127"]),
        (("\n60\n", "\n200\n"), 10, ["middle note 200"]),
        (("\n440.0\n", "\n0.0\n"), 14, ["must be > 0"]),
        (("\n440.0\n", "\nA4\n"), 14, ["'A4'", "not a number"]),
        (("\n4\n", "\ngarbage\n"), 23, ["'garbage'", "x for an unmapped key"]),
        (("\n4\n", "\n\n"), 23, ["blank line", "entry 4"]),
        (("\n9\n", "\nx\n"), 12, ["reference note 69 is unmapped", "entry 9 (line 28)"]),
        (("12\n! First", "-1\n! First"), 4, ["map size -1"]),
        (("\n127\n", "\n-1\n"), 8, ["last MIDI note to retune -1", "0..127"]),
        (("\n60\n", "\n60.5\n"), 10, ["'60.5'", "not a whole number"]),
        (("12\n! First", "100000\n! First"), 4, ["map size 100000 is out of range"]),
        (("\n5\n", "\n99999999999999999999999\n"), 24, ["too large"]),
    ],
)
def test_malformed_kbm_gives_one_error_with_file_and_line(
    tmp_path: Path, replace: tuple[str, str], line: int, words: list[str]
) -> None:
    text = KBM_A440.replace(*replace, 1)
    assert text != KBM_A440
    p = _write(tmp_path, "bad.kbm", text)
    with pytest.raises(ScalaError) as exc:
        read_kbm(p)
    _one_error(exc, str(p), line, *words)


def test_kbm_first_note_above_last(tmp_path: Path) -> None:
    text = KBM_A440.replace("\n0\n! Last", "\n100\n! Last").replace("\n127\n", "\n99\n")
    p = _write(tmp_path, "bad.kbm", text)
    with pytest.raises(ScalaError) as exc:
        read_kbm(p)
    _one_error(exc, str(p), 6, "first note 100 is above the last note 99 (line 8)", "swap")


def test_kbm_missing_header_lines(tmp_path: Path) -> None:
    p = _write(tmp_path, "short.kbm", "! x\n0\n0\n127\n61\n61\n280.0\n! formal octave:\n")
    with pytest.raises(ScalaError) as exc:
        read_kbm(p)
    _one_error(exc, str(p), 8, "formal octave degree", "missing")


def test_kbm_unmapped_reference_because_left_out(tmp_path: Path) -> None:
    p = _write(tmp_path, "short.kbm", "12\n0\n127\n60\n69\n440\n12\n0\n1\n2\n")
    with pytest.raises(ScalaError) as exc:
        read_kbm(p)
    _one_error(exc, str(p), 5, "reference note 69 is unmapped", "left out")


# --------------------------------------------------------------------------- writing
def test_format_cents_positional_and_exact() -> None:
    for value in (0.0, 100.0, 1e-7, 5e-324, -1e-12, 1.5e300, 701.9550008653874, -0.0):
        text = format_cents(value)
        assert "." in text and "e" not in text.lower()
        assert float(text) == value
    assert format_cents(100.0) == "100.00000"


def test_write_scl_layout_and_atomic_overwrite_rules(tmp_path: Path) -> None:
    scale = Scale.from_ratios(["9/8", "5/4", 2], description="just triad steps")
    path = tmp_path / "triad.scl"
    assert write_scl(path, scale) == path
    text = path.read_text()
    assert text.splitlines()[:5] == ["! triad.scl", "!", "just triad steps", " 3", "!"]
    assert text.splitlines()[5:] == [" 9/8", " 5/4", " 2/1"]
    assert read_scl(path) == scale
    other = Scale.from_cents([700.0, 1200.0])
    with pytest.raises(OutputExistsError, match="--force"):
        write_scl(path, other)
    assert read_scl(path) == scale  # untouched
    write_scl(path, other, force=True)
    assert read_scl(path) == other
    assert sorted(os.listdir(tmp_path)) == ["triad.scl"]  # no temp file left behind


def test_write_kbm_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "a.kbm"
    m = KeyboardMapping.standard(reference_note=69, reference_hz=440.0)
    write_kbm(path, m)
    with pytest.raises(OutputExistsError):
        write_kbm(path, m)
    assert read_kbm(path) == m
    assert sorted(os.listdir(tmp_path)) == ["a.kbm"]


def test_write_into_missing_folder_is_a_clean_error(tmp_path: Path) -> None:
    with pytest.raises(XentuneError, match="does not exist"):
        write_scl(tmp_path / "no" / "x.scl", Scale.from_cents([1200.0]))


# --------------------------------------------------------------------------- round trips
_ratio = st.builds(Fraction, st.integers(1, 2**80), st.integers(1, 2**80))
_cents_value = st.floats(min_value=-1e7, max_value=1e7, allow_nan=False, allow_infinity=False)
_degree = st.one_of(_ratio.map(lambda r: (None, r)), _cents_value.map(lambda c: (c, None)))
#: any text but line breaks and the control bytes that mark a file as binary (tab, VT, FF, ^Z
#: and all of Unicode, including U+2028 and NEL, are fine)
_FORBIDDEN = "".join(map(chr, [*range(0, 9), 10, 13, *range(14, 26), *range(27, 32)]))
_description = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters=_FORBIDDEN),
    max_size=40,
).filter(lambda d: not d.startswith("!"))


@st.composite
def scales(draw: st.DrawFn, *, min_notes: int = 0) -> Scale:
    degrees = draw(st.lists(_degree, min_size=min_notes, max_size=30))
    description = draw(_description)
    if draw(st.booleans()):
        return Scale.from_ratios(
            [r if r is not None else Fraction(3, 2) for _, r in degrees], description=description
        )
    cents = [c for c, _ in degrees]
    ratios = [r for _, r in degrees]
    from xentune.tuning.scale import fraction_to_cents

    values = [
        fraction_to_cents(r) if r is not None else c for c, r in zip(cents, ratios, strict=True)
    ]
    return Scale(tuple(values), tuple(ratios), description)


@st.composite
def mappings(draw: st.DrawFn, *, tuning_library_safe: bool = False) -> KeyboardMapping:
    low = 0 if tuning_library_safe else -60
    map_size = draw(st.integers(0, 24))
    first = draw(st.integers(0, 127))
    last = draw(st.integers(first, 127))
    middle = draw(st.integers(0, 127))
    reference = draw(st.integers(0, 127))
    entries = draw(
        st.lists(st.one_of(st.none(), st.integers(low, 60)), min_size=map_size, max_size=map_size)
    )
    if map_size:
        entries[(reference - middle) % map_size] = draw(st.integers(low, 60))
        if not tuning_library_safe:
            entries = entries[: draw(st.integers(0, map_size))] if draw(st.booleans()) else entries
            if (reference - middle) % map_size >= len(entries):
                entries = entries + [None] * ((reference - middle) % map_size - len(entries)) + [0]
    hz = draw(st.floats(min_value=1e-3, max_value=1e6, allow_nan=False, exclude_min=True))
    octave = draw(st.integers(0 if tuning_library_safe else -50, 50))
    return KeyboardMapping(
        map_size=map_size,
        first_note=first,
        last_note=last,
        middle_note=middle,
        reference_note=reference,
        reference_hz=hz,
        octave_degree=octave,
        entries=tuple(entries),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scale=scales())
def test_scl_round_trip_is_identical(scale: Scale) -> None:
    back = parse_scl(format_scl(scale, name="x.scl"), source="x.scl")
    assert back == scale  # exact Fractions; cents are the same floats (stronger than 1e-9)
    assert back.ratios == scale.ratios
    for a, b in zip(back.degrees_cents, scale.degrees_cents, strict=True):
        assert abs(a - b) <= 1e-9


@settings(max_examples=150, deadline=None)
@given(mapping=mappings())
def test_kbm_round_trip_is_identical(mapping: KeyboardMapping) -> None:
    assert parse_kbm(format_kbm(mapping, name="x.kbm"), source="x.kbm") == mapping


@settings(max_examples=40, deadline=None)
@given(scale=scales(), mapping=mappings())
def test_round_trip_through_files(scale: Scale, mapping: KeyboardMapping) -> None:
    # the same through write_scl/read_scl and write_kbm/read_kbm (atomic write, UTF-8, bytes)
    with tempfile.TemporaryDirectory() as tmp:
        scl, kbm = Path(tmp) / "s.scl", Path(tmp) / "m.kbm"
        write_scl(scl, scale)
        write_kbm(kbm, mapping)
        assert read_scl(scl) == scale
        assert read_kbm(kbm) == mapping
        assert sorted(os.listdir(tmp)) == ["m.kbm", "s.scl"]


@settings(max_examples=60, deadline=None)
@given(scale=scales(min_notes=1), mapping=mappings(tuning_library_safe=True))
def test_written_files_read_the_same_in_tuning_library(
    scale: Scale, mapping: KeyboardMapping
) -> None:
    # what we write must be read by the tool musicians use with the same numbers: every
    # tone's cents (tuning-library reads ratios via int64, so keep terms below 2**63)
    if any(r is not None and max(r.numerator, r.denominator) >= 2**63 for r in scale.ratios):
        return
    lib_scale = tl.parse_scl_data(format_scl(scale, name="x.scl"))
    assert lib_scale.count == scale.n_notes
    assert lib_scale.description == scale.description
    for tone, cents in zip(lib_scale.tones, scale.degrees_cents, strict=True):
        assert tone.cents == pytest.approx(cents, rel=1e-12, abs=1e-9)
    lib_map = tl.parse_kbm_data(format_kbm(mapping))
    assert lib_map.count == mapping.map_size
    assert lib_map.middle_note == mapping.middle_note
    assert lib_map.tuning_constant_note == mapping.reference_note
    assert lib_map.tuning_frequency == mapping.reference_hz
    assert lib_map.octave_degrees == mapping.octave_degree
    assert list(lib_map.keys) == [-1 if e is None else e for e in mapping.entries]


def test_written_scl_matches_spec_writer_advice(tmp_path: Path) -> None:
    scale = Scale.from_cents([100.0 * k for k in range(1, 13)], description="12-EDO")
    text = format_scl(scale, name="edo12.scl")
    assert text.isascii() and "\n\n" not in text and text.endswith("\n")
    for line in text.splitlines()[5:]:
        assert re.fullmatch(r" -?\d+\.\d{5,}| \d+/\d+", line), line


# --------------------------------------------------------------------------- .ascl
ASCL = "! x.ascl\n!\n12-EDO\n 12\n!\n" + "".join(f" {100 * k}.0\n" for k in range(1, 12)) + " 2/1\n"


def test_ascl_reference_pitch_sets_the_mapping() -> None:
    a = parse_ascl(ASCL + "! @ABL REFERENCE_PITCH 4 9 440.0\n! @ABL NOTE_RANGE_BY_INDEX 0 0 6 7\n")
    assert (a.mapping.middle_note, a.mapping.reference_note, a.mapping.reference_hz) == (
        60,
        69,
        440.0,
    )
    assert a.reference_octave == 4 and a.reference_index == 9 and a.note_names == ()
    # the degree whose pitch is nearest middle C (261.63 Hz) goes on key 60: with degree 9 at
    # 415 Hz, degree 1 is 261.43 Hz (degree 0 is 246.76), so degree 0 lands on key 59
    b = parse_ascl(ASCL + "! @ABL REFERENCE_PITCH 3 9 415\n")
    assert b.mapping.middle_note == 59 and b.mapping.reference_note == 68
    # with degree 0 itself at 300 Hz (2.4 semitones above middle C) it sits on key 62
    c = parse_ascl(ASCL + "! @ABL REFERENCE_PITCH 3 0 300\n")
    assert c.mapping.middle_note == 62 and c.mapping.reference_note == 62


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("! @ABL NOTE_NAMES C D E\n", ["3 names for a 12-note scale"]),
        ("! @ABL REFERENCE_PITCH 3 0\n", ["not 'octave index frequency'"]),
        ("! @ABL REFERENCE_PITCH 3 0 0.0\n", ["must be > 0 Hz"]),
        ("! @ABL REFERENCE_PITCH 3 999 440\n", ["index 999"]),
        ("! @ABL TEMPERATURE 20\n", ["unknown Ableton command @ABL TEMPERATURE"]),
    ],
)
def test_bad_ascl(extra: str, words: list[str]) -> None:
    with pytest.raises(ScalaError) as exc:
        parse_ascl(ASCL + extra, source="x.ascl")
    _one_error(exc, "x.ascl", 18, *words)


def test_ascl_needs_a_rising_period() -> None:
    with pytest.raises(ScalaError, match="rising period"):
        parse_ascl("!\nfalling\n 1\n -100.0\n", source="f.ascl")


# --------------------------------------------------------------------------- fuzzing
_scala_ish = st.lists(
    st.one_of(
        st.sampled_from(["!", "! c", "", " 12", "0", "x", "3/2", "-5.0", "2/1", "1e5", "440.0"]),
        st.from_regex(r"[ \t]*[-+]?[0-9]{0,25}[./]?[0-9]{0,25}[ \t!a-z]{0,5}", fullmatch=True),
        st.text(max_size=12),
    ),
    max_size=25,
).map("\n".join)


@settings(max_examples=150, deadline=None)
@given(text=_scala_ish)
def test_parsers_never_fail_with_anything_but_scala_error(text: str) -> None:
    # any input either parses or gives a ScalaError (never IndexError, OverflowError, ...)
    for parse in (parse_scl, parse_kbm, parse_ascl):
        try:
            result = parse(text, source="fuzz")
        except ScalaError as exc:
            assert str(exc).startswith("fuzz:") and "\n" not in str(exc)
            continue
        if parse is parse_scl:
            assert parse_scl(format_scl(result)) == result
        if parse is parse_kbm:
            assert parse_kbm(format_kbm(result)) == result


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200))
def test_any_bytes_decode_or_give_scala_error(data: bytes) -> None:
    from xentune.tuning.scala import decode_scala_bytes

    try:
        text = decode_scala_bytes(data, source="b")
    except ScalaError as exc:
        assert "binary" in str(exc)
        return
    for parse in (parse_scl, parse_kbm):
        try:
            parse(text, source="b")
        except ScalaError:
            pass
