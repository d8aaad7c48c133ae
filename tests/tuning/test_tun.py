"""AnaMark ``.tun`` files (v2) read by a minimal reader written here from the specification
(Mark Henning, "AnaMark tuning file format V2.00"), against the ``.scl`` + ``.kbm`` table."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from xentune.errors import OutputExistsError, ScalaError
from xentune.tuning.frequencies import frequency_table
from xentune.tuning.kbm import read_kbm, write_kbm
from xentune.tuning.keyboard import keyboard_mapping
from xentune.tuning.scala import read_scl, write_scl
from xentune.tuning.scale import Scale
from xentune.tuning.tun import format_tun, write_tun

#: The specification's default BaseFreq: MIDI note 0 at A4 = 440 Hz.
SPEC_BASE_HZ = 8.1757989156437073336


def read_tun(path: Path) -> dict:
    """Sections are ``[Name]`` lines (case-insensitive); ``;`` starts a comment; keys are
    ``name = value``. ``[Exact Tuning]`` holds ``BaseFreq`` (Hz of note 0, default 8.1758) and
    ``note k = cents`` above it for k in 0..127 (notes outside that range are ignored; a file
    giving all 128 needs no auto-expansion). ``[Tuning]`` holds integer cents (v1)."""
    sections: dict[str, dict[str, str]] = {}
    current = None
    for raw in path.read_text(encoding="ascii").splitlines():
        line = raw.split(";", 1)[0].strip()
        if not line:
            continue
        m = re.fullmatch(r"\[(.+)\]", line)
        if m:
            current = m.group(1).strip().lower()
            sections.setdefault(current, {})
            continue
        key, value = (part.strip() for part in line.split("=", 1))
        sections[current][key.lower()] = value
    exact = sections["exact tuning"]
    base = float(exact.get("basefreq", SPEC_BASE_HZ))
    cents = {int(k[5:]): float(v) for k, v in exact.items() if k.startswith("note ")}
    return {
        "sections": list(sections),
        "format": sections["scale begin"]["format"],
        "version": int(sections["scale begin"]["formatversion"]),
        "hz": np.array([base * 2 ** (cents[k] / 1200) for k in range(128)]),
        "tuning_int": {
            int(k[5:]): v for k, v in sections["tuning"].items() if k.startswith("note ")
        },
    }


SCALES = {
    "emergent": Scale.from_cents(
        [316.29057100882665, 386.1256508, 498.7169511, 702.0171343, 884.3221750, 1200.0135380]
    ),
    "just7": Scale.from_ratios(["9/8", "5/4", "4/3", "3/2", "5/3", "15/8", "2/1"]),
    "stretched": Scale.from_cents([338.2, 751.9, 1284.4]),
}


@pytest.mark.parametrize(
    ("name", "layout"),
    [(n, lay) for n in sorted(SCALES) for lay in ("consecutive", "12-key")]
    + [("just7", "white-keys")],
)
def test_all_128_frequencies_match_scl_and_kbm(tmp_path: Path, name: str, layout: str) -> None:
    scale = SCALES[name]
    mapping = keyboard_mapping(layout, scale.n_notes)
    scl, kbm = write_scl(tmp_path / "s.scl", scale), write_kbm(tmp_path / "s.kbm", mapping)
    tun = read_tun(write_tun(tmp_path / "s.tun", scale, mapping))
    assert tun["format"] == '"AnaMark-TUN"' and tun["version"] == 200
    assert tun["sections"] == ["scale begin", "info", "tuning", "exact tuning", "scale end"]
    want = frequency_table(read_scl(scl), read_kbm(kbm))  # (128,) Hz from the files
    err = np.abs(1200 * np.log2(tun["hz"] / want))
    print(f"{name}/{layout}: max |error| {err.max():.2e} cents over 128 keys")
    assert err.max() < 0.01
    assert len(tun["tuning_int"]) == 128
    assert all(re.fullmatch(r"-?\d+", v) for v in tun["tuning_int"].values())  # v1: integers


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(ScalaError):
        format_tun(Scale.from_cents([]))
    with pytest.raises(ScalaError, match="finite frequency"):
        format_tun(Scale.from_cents([90000.0]))
    write_tun(tmp_path / "a.tun", SCALES["just7"])
    with pytest.raises(OutputExistsError):
        write_tun(tmp_path / "a.tun", SCALES["just7"])
