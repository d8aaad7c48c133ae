"""The safe reader: regular files only, bounded size and depth, finite numbers; hypothesis-generated hostile input."""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xentune.errors import ConfigError, ScalaError, ScoreError, SpecError, XentuneError
from xentune.safe_read import (
    MAX_DEPTH,
    finite_number,
    parse_json,
    parse_toml,
    read_json,
    read_text,
)
from xentune.score import scores_from_json
from xentune.spectrum import spectrum_from_dict
from xentune.tuning.kbm import parse_kbm
from xentune.tuning.scala import parse_scl

#: JSON values of every kind, hostile numbers included (huge ints, 1e308, NaN, infinity).
_numbers = st.one_of(
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e300, -1e308, 2**63, 2**64, 10**20]),
)
_leaves = st.one_of(st.none(), st.booleans(), st.text(max_size=8), _numbers)
_json_values = st.recursive(
    _leaves,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)
_fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1000, 100_000])
def test_deep_json_and_toml_are_refused(depth: int) -> None:
    with pytest.raises(ConfigError, match="nested deeper"):
        parse_json(_nested(depth), where="f.json")
    with pytest.raises(ConfigError, match="nested deeper"):
        parse_toml(f"a = {_nested(depth)}\n", where="f.toml")


def test_shallow_nesting_is_fine() -> None:
    assert parse_json(_nested(MAX_DEPTH), where="f.json") is not None
    assert parse_toml("a = [[1]]\n", where="f.toml") == {"a": [[1]]}


@pytest.mark.parametrize("text", ["[NaN]", "[Infinity]", "[-Infinity]", "[" + "9" * 5000 + "]"])
def test_json_non_finite_and_giant_numbers(text: str) -> None:
    with pytest.raises(ConfigError, match="f.json"):
        parse_json(text, where="f.json")


def test_json_nan_allowed_for_readers_that_check_every_number() -> None:
    assert math.isnan(parse_json("[NaN]", where="f", allow_nan=True)[0])


@pytest.mark.parametrize("text", ["a = nan\n", "a = inf\n", "a = " + "9" * 5000 + "\n"])
def test_toml_non_finite_and_giant_numbers(text: str) -> None:
    with pytest.raises(ConfigError, match="f.toml"):
        parse_toml(text, where="f.toml")


def test_fifo_size_and_encoding(tmp_path: Path) -> None:
    fifo = tmp_path / "in.json"
    os.mkfifo(fifo)
    with pytest.raises(ConfigError, match="not a regular file"):
        read_text(fifo, what="input")  # returns at once: never opened
    big = tmp_path / "big.json"
    big.write_text("[" + "1," * 100 + "1]")
    with pytest.raises(ConfigError, match="larger than 10 bytes"):
        read_json(big, what="input", max_bytes=10)
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ConfigError, match="not a text file"):
        read_text(binary, what="input")
    with pytest.raises(ConfigError, match="not found"):
        read_text(tmp_path / "missing.json", what="input")
    with pytest.raises(ConfigError, match="folder"):
        read_text(tmp_path, what="input")


@pytest.mark.parametrize(
    ("value", "kwargs", "fragment"),
    [
        ("4", {}, "'4'; it must be a number"),
        (True, {}, "must be a number"),
        ([1], {}, "must be a number"),
        (math.nan, {}, "finite"),
        (math.inf, {}, "finite"),
        (10**400, {}, "bits"),
        (2**64, {"integer": True}, "bits"),
        (1e300, {"hi": 1e6}, "1e+300"),
        (1.5, {"integer": True}, "integer"),
        (-1, {"lo": 0}, ">= 0"),
    ],
)
def test_finite_number_names_field_value_and_rule(
    value: object, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(SpecError, match="f.json: ratio") as e:
        finite_number(value, field="f.json: ratio", error=SpecError, **kwargs)  # type: ignore[arg-type]
    assert fragment in str(e.value)


@given(_numbers, st.floats(-1e6, 1e6), st.floats(0, 1e6))
@_fast
def test_finite_number_returns_only_finite_values_in_range(
    value: float, lo: float, width: float
) -> None:
    try:
        out = finite_number(value, field="x", lo=lo, hi=lo + width)
    except ConfigError:
        return
    assert math.isfinite(out) and lo <= out <= lo + width


@given(_json_values)
@_fast
def test_every_parser_refuses_hostile_documents_with_a_xentune_error(doc: object) -> None:
    """Any document: a value or a XentuneError, never another exception, from every reader."""
    text = json.dumps(doc, allow_nan=True)
    for parse in (
        lambda: parse_json(text, where="d"),
        lambda: spectrum_from_dict(parse_json(text, where="d", allow_nan=True), where="d"),
        lambda: spectrum_from_dict({"partials": doc}, where="d"),
        lambda: scores_from_json(text, source="d"),
        lambda: scores_from_json(
            json.dumps(
                {
                    "format": "xentune-score",
                    "version": 1,
                    "pieces": [{f: doc for f in ("cents", "onset_s", "duration_s", "amplitude")}
                               | {"timbre": "harmonic"}],
                },
                allow_nan=True,
            ),
            source="d",
        ),
    ):  # fmt: skip
        try:
            parse()
        except XentuneError:
            pass


@given(st.lists(st.one_of(_numbers.map(str), st.text(max_size=12)), max_size=6))
@_fast
def test_scala_parsers_refuse_hostile_lines_with_a_xentune_error(lines: list[str]) -> None:
    body = "\n".join(lines)
    for parse in (
        lambda: parse_scl(f"! s.scl\ndesc\n {len(lines)}\n!\n{body}\n", source="s.scl"),
        lambda: parse_scl(f"desc\n{body}\n", source="s.scl"),
        lambda: parse_kbm(f"{body}\n", source="k.kbm"),
    ):
        try:
            parse()
        except (ScalaError, XentuneError):
            pass


@given(st.lists(_numbers, min_size=1, max_size=4))
@_fast
def test_score_values_out_of_range_are_score_errors(values: list[float]) -> None:
    doc = {
        "format": "xentune-score",
        "version": 1,
        "pieces": [
            {
                "cents": [values],
                "onset_s": [[0.0] * len(values)],
                "duration_s": [[1.0] * len(values)],
                "amplitude": [[1.0] * len(values)],
                "timbre": "harmonic",
            }
        ],
    }
    try:
        (score,) = scores_from_json(json.dumps(doc, allow_nan=True), source="d")
    except ScoreError:
        return
    assert all(math.isfinite(c) and abs(c) <= 24_000 for c in score.cents.ravel())


@given(
    st.text(max_size=30)
    | st.builds(
        lambda name, key, value: f"{name}:{key}={value}",
        st.sampled_from(["harmonic", "sawtooth", "square", "stretched", "edo", "bar", "bell"]),
        st.sampled_from(["partials", "rolloff", "octave", "n", "x"]),
        _numbers.map(str) | st.text(max_size=6),
    )
)
@_fast
def test_timbre_specs_refuse_hostile_strings_with_a_xentune_error(spec: str) -> None:
    from xentune.timbre import parse_timbre

    try:
        spectrum = parse_timbre(spec)
    except XentuneError:
        return
    assert spectrum.n_partials <= 256


@given(st.text(max_size=20) | st.builds(lambda a, b: f"{a}:{b}", _numbers, _numbers))
@_fast
def test_curve_ranges_refuse_hostile_strings_with_a_xentune_error(text: str) -> None:
    from xentune.report.curve_files import parse_ratio_range

    try:
        lo, hi = parse_ratio_range(text)
    except XentuneError:
        return
    assert 1 <= lo < hi <= 16


@given(
    st.lists(st.lists(_numbers.map(str) | st.text(max_size=5), min_size=2, max_size=2), max_size=4)
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_chords_csv_refuses_hostile_cells_with_a_xentune_error(
    tmp_path: Path, rows: list[list[str]]
) -> None:
    from xentune.chords_csv import read_chords_csv

    path = tmp_path / "c.csv"
    path.write_text("f_1,f_2\n" + "\n".join(",".join(r) for r in rows) + "\n")
    try:
        table = read_chords_csv(path)
    except XentuneError:
        return
    finite = table.f0_hz[~np.isnan(table.f0_hz)]
    assert ((finite > 0) & (finite <= 20_000)).all()
