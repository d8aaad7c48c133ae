"""Tests of the Score format: construction, validation, and score.json round trips."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from xentune.errors import ConfigError, OutputExistsError, ScoreError
from xentune.score import (
    Score,
    load_scores,
    save_scores,
    scores_from_json,
    scores_to_json,
)
from xentune.units import DEFAULT_REFERENCE_HZ


def _piece() -> Score:
    return Score.from_chords(
        np.array([[0.0, 200.0, 386.3], [701.955, 701.955, 1200.0]]), step_s=0.5, timbre="harmonic"
    )


def _doc(**piece_overrides: object) -> dict:
    doc = json.loads(scores_to_json([_piece()]))
    doc["pieces"][0].update(piece_overrides)
    return doc


def test_from_chords_layout() -> None:
    s = _piece()
    assert (s.n_voices, s.n_notes) == (2, 3)
    np.testing.assert_array_equal(s.onset_s, [[0.0, 0.5, 1.0], [0.0, 0.5, 1.0]])
    np.testing.assert_array_equal(s.duration_s, np.full((2, 3), 0.5))
    np.testing.assert_array_equal(s.amplitude, np.full((2, 3), 0.8))
    assert s.end_s == 1.5
    assert s.tempo_bpm == 120.0
    assert s.reference_hz == DEFAULT_REFERENCE_HZ
    assert s.cents.dtype == np.float64


def test_from_chords_accepts_tensors() -> None:
    cents = torch.tensor([[0.0, 100.0]], dtype=torch.float32, requires_grad=True)
    s = Score.from_chords(cents, step_s=0.25, timbre="bell")
    np.testing.assert_allclose(s.cents, [[0.0, 100.0]])


def test_hz_is_reference_times_two_to_cents_over_1200() -> None:
    s = Score.from_chords(
        np.array([[0.0, 1200.0, -1200.0, 701.955]]), step_s=1, timbre="x", reference_hz=440.0
    )
    np.testing.assert_allclose(s.hz(), [[440.0, 880.0, 220.0, 440.0 * 1.5]], rtol=1e-6)


def test_arrays_are_read_only() -> None:
    s = _piece()
    with pytest.raises(ValueError):
        s.cents[0, 0] = 5.0


def test_round_trip_file(tmp_path) -> None:
    a = _piece()
    b = Score(
        cents=[[0.0, 3.5]],
        onset_s=[[0.0, 0.1]],
        duration_s=[[0.1, 0.0]],
        amplitude=[[1.0, 0.0]],
        timbre="stretched:octave=2.1",
        reference_hz=220.0,
        tempo_bpm=None,
        spectrum={"format": "xentune-timbre", "partials": [{"ratio": 1.0, "amplitude": 1.0}]},
    )
    path = save_scores(tmp_path / "score.json", [a, b])
    assert load_scores(path) == [a, b]
    doc = json.loads(path.read_text())
    assert doc["format"] == "xentune-score" and doc["version"] == 1 and len(doc["pieces"]) == 2


def test_save_is_atomic_and_refuses_to_overwrite(tmp_path) -> None:
    path = tmp_path / "score.json"
    save_scores(path, _piece())
    before = path.read_text()
    with pytest.raises(OutputExistsError, match="--force"):
        save_scores(path, [_piece()])
    assert path.read_text() == before
    save_scores(path, [_piece(), _piece()], force=True)
    assert len(load_scores(path)) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["score.json"]  # no temp file left
    with pytest.raises(ConfigError, match="does not exist"):
        save_scores(tmp_path / "missing" / "score.json", [_piece()])


@pytest.mark.parametrize(
    ("mutate", "fragments"),
    [
        (
            lambda d: d["pieces"][0]["cents"][1].__setitem__(2, math.nan),
            ["piece 1", "voice 2 note 3", "cents", "nan"],
        ),
        (
            lambda d: d["pieces"][0]["duration_s"][0].__setitem__(1, -0.5),
            ["voice 1 note 2", "duration_s", "-0.5", ">= 0"],
        ),
        (lambda d: d["pieces"][0]["onset_s"][0].__setitem__(0, -1.0), ["onset_s", ">= 0"]),
        (
            lambda d: d["pieces"][0]["amplitude"][0].__setitem__(0, math.inf),
            ["amplitude", "inf", "finite"],
        ),
        (lambda d: d.__setitem__("version", 2), ["unknown version 2", "version 1"]),
        (lambda d: d.pop("version"), ["missing field 'version'"]),
        (lambda d: d.__setitem__("format", "midi"), ["'midi'", "xentune-score"]),
        (lambda d: d.pop("pieces"), ["missing field 'pieces'"]),
        (lambda d: d.__setitem__("pieces", []), ["non-empty"]),
        (lambda d: d["pieces"][0].pop("onset_s"), ["piece 1", "missing field", "'onset_s'"]),
        (lambda d: d["pieces"][0].pop("timbre"), ["missing field", "'timbre'"]),
        (lambda d: d["pieces"][0]["cents"][0].pop(), ["different lengths"]),
        (lambda d: d["pieces"][0]["cents"][0].__setitem__(0, "C4"), ["'C4'", "must be a number"]),
        (
            lambda d: d["pieces"][0].__setitem__("onset_s", [[0.0, 0.0, 0.0]]),
            ["'onset_s' has shape (1, 3)", "(2, 3)"],
        ),
        (lambda d: d["pieces"][0].__setitem__("reference_hz", -440), ["reference_hz", "> 0"]),
        (lambda d: d["pieces"][0].__setitem__("tempo_bpm", 0), ["tempo_bpm", "> 0"]),
        (lambda d: d["pieces"][0].__setitem__("voices", 5), ["'voices' says 5"]),
    ],
)
def test_invalid_documents_raise_score_error(mutate, fragments) -> None:
    doc = _doc()
    mutate(doc)
    text = json.dumps(doc)  # Python's json writes NaN/Infinity tokens, as a careless writer would
    with pytest.raises(ScoreError) as info:
        scores_from_json(text, source="s.json")
    message = str(info.value)
    assert message.startswith("s.json")
    for fragment in fragments:
        assert fragment in message, (fragment, message)


def test_malformed_json_names_line_and_column() -> None:
    text = '{\n "format": "xentune-score",\n "version": 1,\n "pieces": [,]\n}'
    with pytest.raises(ScoreError, match=r"s.json: malformed JSON at line 4 column 13"):
        scores_from_json(text, source="s.json")


def test_missing_and_non_text_files(tmp_path) -> None:
    with pytest.raises(ScoreError, match="not found"):
        load_scores(tmp_path / "nope.json")
    with pytest.raises(ScoreError, match="not a file"):
        load_scores(tmp_path)
    binary = tmp_path / "b.json"
    binary.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(ScoreError, match="not a text file"):
        load_scores(binary)


def test_constructor_validates() -> None:
    with pytest.raises(ScoreError, match="voice 1 note 1: cents is nan"):
        Score([[math.nan]], [[0.0]], [[1.0]], [[1.0]])
    with pytest.raises(ScoreError, match="voices x notes"):
        Score([0.0, 1.0], [0.0, 1.0], [1.0, 1.0], [1.0, 1.0])
    with pytest.raises(ScoreError, match="step_s"):
        Score.from_chords(np.zeros((2, 2)), step_s=0.0, timbre="harmonic")
    with pytest.raises(ScoreError, match="timbre"):
        Score([[0.0]], [[0.0]], [[1.0]], [[1.0]], timbre="  ")


def test_with_timbre_keeps_notes() -> None:
    s = _piece()
    t = s.with_timbre("bell", {"partials": [[1.0, 1.0]]})
    np.testing.assert_array_equal(t.cents, s.cents)
    assert t.timbre == "bell" and t.spectrum == {"partials": [[1.0, 1.0]]}


_finite = st.floats(-5000, 5000, allow_nan=False)
_positive = st.floats(0, 100, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(0, 6)),
    data=st.data(),
    tempo=st.one_of(st.none(), st.floats(1, 400)),
    reference=st.floats(1, 20000),
)
def test_round_trip_is_exact(shape, data, tempo, reference) -> None:
    fields = {
        "cents": data.draw(arrays(np.float64, shape, elements=_finite)),
        "onset_s": data.draw(arrays(np.float64, shape, elements=_positive)),
        "duration_s": data.draw(arrays(np.float64, shape, elements=_positive)),
        "amplitude": data.draw(arrays(np.float64, shape, elements=st.floats(0, 1))),
    }
    s = Score(**fields, timbre="edo:n=10", reference_hz=reference, tempo_bpm=tempo)
    assert scores_from_json(scores_to_json([s, s])) == [s, s]


_json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=3),
)
_json = st.recursive(
    _json_leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(
    field=st.sampled_from(
        [
            "cents",
            "onset_s",
            "duration_s",
            "amplitude",
            "timbre",
            "reference_hz",
            "tempo_bpm",
            "spectrum",
            "voices",
        ]
    ),
    value=_json,
)
def test_any_field_value_parses_or_raises_score_error(field, value) -> None:
    """Fuzzed documents: a valid piece or a ScoreError, never another exception."""
    doc = _doc()
    doc["pieces"][0][field] = value
    try:
        scores = scores_from_json(json.dumps(doc))
    except ScoreError:
        return
    s = scores[0]
    assert np.isfinite(s.cents).all() and (s.duration_s >= 0).all()


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=60))
def test_any_text_parses_or_raises_score_error(text) -> None:
    try:
        scores_from_json(text)
    except ScoreError:
        pass
