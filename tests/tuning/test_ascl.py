"""Ableton ``.ascl`` files written by xentune: valid Scala for Surge's tuning-library, and the
``! @ABL`` directives of Ableton's "ASCL Specification" (Live 12.1), one test per rule."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from xentune.errors import OutputExistsError, ScalaError
from xentune.tuning.ascl import degree_names, format_ascl, read_ascl, write_ascl
from xentune.tuning.frequencies import frequency_table
from xentune.tuning.keyboard import keyboard_mapping
from xentune.tuning.scala import read_scl, write_scl
from xentune.tuning.scale import Scale

tl = pytest.importorskip("tuning_library")

#: Scales like the ones runs write: emergent cents, exact ratios, a mix, a stretched period.
SCALES = {
    "emergent": Scale.from_cents(
        [316.29057100882665, 386.1256508, 498.7169511, 702.0171343, 884.3221750, 1200.0135380],
        description="xentune emergent scale for harmonic",
    ),
    "just": Scale.from_ratios(["6/5", "5/4", "4/3", "3/2", "5/3", "2/1"], description="just"),
    "mixed": Scale(
        (315.64128700055255, 450.0, 1200.0),
        (None, None, None),
        "mixed",
    ),
    "stretched": Scale.from_cents([338.2, 751.9, 1284.4], description="stretched:octave=2.1"),
}
KNOWN = {"REFERENCE_PITCH", "NOTE_NAMES", "NOTE_RANGE_BY_INDEX", "NOTE_RANGE_BY_FREQUENCY",
         "SOURCE", "LINK"}  # fmt: skip


@pytest.fixture(params=sorted(SCALES))
def written(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Scale, Path, Path]:
    scale = SCALES[request.param]
    scl = write_scl(tmp_path / "scale.scl", scale)
    ascl = write_ascl(tmp_path / "scale.ascl", scale, reference_hz=261.6255653005986,
                      source="xentune test, timbre harmonic")  # fmt: skip
    return scale, scl, ascl


def _directives(text: str) -> list[tuple[int, str, list[str]]]:
    out = []
    for i, line in enumerate(text.splitlines()):
        if "@ABL" in line:
            m = re.fullmatch(r"! @ABL (\S+) ?(.*)", line)
            assert m is not None, line
            out.append((i, m.group(1), shlex.split(m.group(2))))
    return out


def test_reads_in_surge_tuning_library_with_the_degrees_of_scale_scl(written) -> None:
    scale, scl, ascl = written
    lib_ascl = tl.read_scl_file(str(ascl))  # Surge XT's reader, given the .ascl as a .scl
    lib_scl = tl.read_scl_file(str(scl))
    assert lib_ascl.count == lib_scl.count == scale.n_notes
    got = np.array([t.cents for t in lib_ascl.tones])
    want = np.array([t.cents for t in lib_scl.tones])
    assert np.abs(got - want).max() < 1e-9
    assert np.abs(got - np.array(scale.degrees_cents)).max() < 1e-9
    assert read_scl(ascl).degrees_cents == read_scl(scl).degrees_cents
    assert read_scl(ascl).ratios == read_scl(scl).ratios


def test_rule_utf8(written) -> None:
    """ "All Scala files that implement Ableton extensions must be in UTF-8 format"."""
    _, _, ascl = written
    ascl.read_bytes().decode("utf-8", errors="strict")


def test_rule_directives_are_comments_after_the_pitch_list(written) -> None:
    """Extended data is "stored in comment lines with the prefix @ABL which come after the list
    of note pitches"."""
    scale, _, ascl = written
    lines = ascl.read_text(encoding="utf-8").splitlines()
    data = [i for i, ln in enumerate(lines) if not ln.startswith("!")]
    last_pitch = data[2 + scale.n_notes - 1]  # description, count, then the pitches
    for i, _, _ in _directives("\n".join(lines)):
        assert lines[i].startswith("! @ABL ") and i > last_pitch


def test_rule_only_known_directives_each_once(written) -> None:
    _, _, ascl = written
    names = [d for _, d, _ in _directives(ascl.read_text(encoding="utf-8"))]
    assert set(names) <= KNOWN
    assert len(names) == len(set(names))


def test_rule_reference_pitch(written) -> None:
    """REFERENCE_PITCH: octave an integer -2..8, note index an integer 0 <= i < N, frequency a
    positive float in Hz."""
    scale, _, ascl = written
    (args,) = [
        a for _, d, a in _directives(ascl.read_text(encoding="utf-8")) if d == "REFERENCE_PITCH"
    ]
    assert len(args) == 3
    octave, index, hz = int(args[0]), int(args[1]), float(args[2])
    assert -2 <= octave <= 8 and 0 <= index < scale.n_notes and hz > 0
    assert (octave, index, hz) == (3, 0, 261.6255653005986)  # degree 0 on middle C (Live's C3)


def test_rule_note_names_one_per_degree(written) -> None:
    """NOTE_NAMES: one name per note of the scale (degrees 0..N-1), space-separated, quoted
    names may hold spaces."""
    scale, _, ascl = written
    (args,) = [a for _, d, a in _directives(ascl.read_text(encoding="utf-8")) if d == "NOTE_NAMES"]
    assert len(args) == scale.n_notes
    assert tuple(args) == degree_names(scale)


def test_rule_source_is_one_line(written) -> None:
    _, _, ascl = written
    (args,) = [a for _, d, a in _directives(ascl.read_text(encoding="utf-8")) if d == "SOURCE"]
    assert " ".join(args) == "xentune test, timbre harmonic"


def test_our_ascl_reader_gives_the_consecutive_kbm_table(written) -> None:
    """Read back by xentune's ASCL reader (Ableton's mapping rule), the frequencies equal
    scale.scl under the consecutive scale.kbm."""
    scale, _, ascl = written
    back = read_ascl(ascl)
    assert back.note_names == degree_names(scale)
    want = frequency_table(scale, keyboard_mapping("consecutive", scale.n_notes))
    got = frequency_table(back.scale, back.mapping)
    assert np.abs(1200 * np.log2(got / want)).max() < 1e-9


def test_names() -> None:
    assert degree_names(SCALES["just"]) == ("1/1", "6/5", "5/4", "4/3", "3/2", "5/3")
    assert degree_names(SCALES["emergent"]) == ("0c", "316c", "386c", "499c", "702c", "884c")


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ScalaError, match="rising period"):
        format_ascl(Scale.from_cents([-100.0]))
    with pytest.raises(ScalaError, match="-2..8"):
        format_ascl(SCALES["just"], reference_octave=9)
    with pytest.raises(ScalaError, match="one line"):
        format_ascl(SCALES["just"], source="a\nb")
    write_ascl(tmp_path / "s.ascl", SCALES["just"])
    with pytest.raises(OutputExistsError):
        write_ascl(tmp_path / "s.ascl", SCALES["just"])
