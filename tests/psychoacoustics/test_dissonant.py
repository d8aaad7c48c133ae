"""Side by side with PyPI ``dissonant`` 0.1.1: equal where the models agree, explained where not.

The peer values come from the package itself (the ``test`` extra installs ``dissonant==0.1.1``):
`reference_rows` feeds it the same inputs as the generator script that once wrote
``reference/dissonant_reference.csv``, so a public clone needs no file from outside.
"""

from __future__ import annotations

import functools
import math
from fractions import Fraction

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.psychoacoustics.pool import chord_partials
from xentune.psychoacoustics.roughness import (
    chord_roughness,
    sethares1993_roughness,
    vassilakis_roughness,
)

F64 = torch.float64
#: dissonant's Sethares1993 uses the MATLAB band constants, not the paper's 0.021 / 19.
DISSONANT_S = {"s1": 0.0207, "s2": 18.96}


#: dissonant's models, in the order of its reference table.
_DISSONANT_MODELS = ("sethares1993", "vassilakis2001", "cook2002", "cook2006", "cook2009")
#: The just ratios of the harmonic-tone rows.
_JUST = ((1, 1), (16, 15), (9, 8), (6, 5), (5, 4), (4, 3), (45, 32), (3, 2), (8, 5), (5, 3), (16, 9), (15, 8), (2, 1))


@functools.cache
def reference_rows() -> list[dict[str, str]]:
    """200 rows of ``dissonant.dissonance`` values: pure 12-TET pairs, 6-partial harmonic tones
    at just ratios (two amplitude profiles), and the package README's chord; every model."""
    dissonant = pytest.importorskip("dissonant", reason="pip install -e '.[test]' (dissonant==0.1.1)")
    rows: list[dict[str, str]] = []

    def add(case, interval, ratio, n_partials, profile, freqs, amps):
        for m in _DISSONANT_MODELS:
            value = float(dissonant.dissonance(freqs, amps, model=m))
            rows.append(
                dict(case=case, model=m, f0_hz="440.0", interval=interval, ratio=ratio,
                     n_partials=str(n_partials), amp_profile=profile, value=repr(value))
            )

    for k in range(13):
        f2 = 440.0 * 2 ** (k / 12)
        add("pure_pair_12tet", f"k={k}", repr(f2 / 440.0), 1, "1,1",
            np.array([440.0, f2]), np.array([1.0, 1.0]))
    for profile, expo in (("0.88^n,n=0..5", np.arange(0, 6)), ("0.88^n,n=1..6", np.arange(1, 7))):
        amp = 0.88**expo
        for p, q in _JUST:
            r = p / q
            freqs = np.stack([440.0 * np.arange(1, 7), 440.0 * r * np.arange(1, 7)])
            add("harmonic6_just", f"{p}/{q}", repr(r), 6, profile, freqs, np.stack([amp, amp]))
    freqs, amps = dissonant.harmonic_tone(dissonant.pitch_to_freq([0, 4, 7, 12]), n_partials=10)
    add("readme_chord_0_4_7_12", "0,4,7,12 semitones", "", 10,
        "harmonic_tone exp (0.88^n,n=1..10)", freqs, amps)
    return rows


def row_spectrum(row: dict[str, str]) -> tuple[torch.Tensor, torch.Tensor]:
    """Rebuild the partials ``dissonant_reference_gen.py`` fed to ``dissonant.dissonance``."""
    if row["case"] == "pure_pair_12tet":
        k = int(row["interval"].removeprefix("k="))
        return torch.tensor([440.0, 440.0 * 2 ** (k / 12)], dtype=F64), torch.ones(2, dtype=F64)
    if row["case"] == "harmonic6_just":
        ratio = float(Fraction(row["interval"]))
        assert ratio == float(row["ratio"])
        n = torch.arange(1, 7, dtype=F64)
        expo = torch.arange(0, 6, dtype=F64) if row["amp_profile"].endswith("n=0..5") else n
        amp = 0.88**expo
        return torch.cat([440.0 * n, 440.0 * ratio * n]), torch.cat([amp, amp])
    assert row["case"] == "readme_chord_0_4_7_12"
    f0 = 440.0 * 2 ** (torch.tensor([0.0, 4.0, 7.0, 12.0], dtype=F64) / 12)
    n = torch.arange(1, 11, dtype=F64)
    freqs, amps = chord_partials(f0, n, 0.88**n)
    return freqs, amps


def test_reference_file_covers_the_cases():
    rows = reference_rows()
    assert len(rows) == 200
    assert {r["case"] for r in rows} == {
        "pure_pair_12tet",
        "harmonic6_just",
        "readme_chord_0_4_7_12",
    }


def test_sethares1993_equals_dissonant_csv_to_1e12():
    rows = [r for r in reference_rows() if r["model"] == "sethares1993"]
    assert len(rows) == 40
    for row in rows:
        freqs, amps = row_spectrum(row)
        ours = float(sethares1993_roughness(freqs, amps, **DISSONANT_S))
        assert ours == pytest.approx(float(row["value"]), rel=1e-12, abs=1e-300), row


def test_sethares1993_paper_constants_differ_from_dissonant():
    """The paper's s1 = 0.021, s2 = 19 move the curve by up to a few percent: a real difference."""
    row = next(
        r
        for r in reference_rows()
        if r["model"] == "sethares1993" and r["interval"] == "16/15"
    )
    freqs, amps = row_spectrum(row)
    paper = float(sethares1993_roughness(freqs, amps))
    assert paper != pytest.approx(float(row["value"]), rel=1e-3)
    assert paper == pytest.approx(float(row["value"]), rel=0.1)


def dissonant_vassilakis_loop(freqs: list[float], amps: list[float]) -> float:
    """``dissonant`` 0.1.1 ``Vassilakis2001`` as it is written: no 0.5, ``a_2`` of the upper partial."""
    order = sorted(range(len(freqs)), key=lambda i: freqs[i])  # dissonant sorts by frequency
    f = [freqs[i] for i in order]
    a = [amps[i] for i in order]
    total = 0.0
    for i in range(len(f)):
        for j in range(i + 1, len(f)):
            s = 0.24 / (0.0207 * f[i] + 18.96)
            z = math.exp(-3.5 * s * (f[j] - f[i])) - math.exp(-5.75 * s * (f[j] - f[i]))
            total += (a[i] * a[j]) ** 0.1 * (2 * a[j] / (a[i] + a[j])) ** 3.11 * z
    return total


def upper_partial_is_quieter(freqs: torch.Tensor, amps: torch.Tensor) -> bool:
    """True when, for every pair, the higher partial's amplitude is the smaller (or equal) one."""
    order = torch.argsort(freqs)
    f, a = freqs[order], amps[order]
    upper_louder = (a[None, :] > a[:, None]) & (
        f[None, :] > f[:, None]
    )  # (i, j): f_j > f_i, a_j > a_i
    return not bool(upper_louder.any())


def test_vassilakis_relation_to_dissonant_csv():
    """dissonant = 2 x ours where the upper partial of every pair is the quieter one; else it uses
    the upper amplitude for ``a_min`` (reproduced by a loop here), and ours differs."""
    rows = [r for r in reference_rows() if r["model"] == "vassilakis2001"]
    assert len(rows) == 40
    n_exact = n_differ = 0
    for row in rows:
        freqs, amps = row_spectrum(row)
        value = float(row["value"])
        ours = float(vassilakis_roughness(freqs, amps))
        assert dissonant_vassilakis_loop(freqs.tolist(), amps.tolist()) == pytest.approx(
            value, rel=1e-12, abs=1e-300
        )
        if upper_partial_is_quieter(freqs, amps):
            assert 2 * ours == pytest.approx(value, rel=1e-12, abs=1e-300), row
            n_exact += 1
        elif value > 0:
            n_differ += 1
            assert abs(2 * ours / value - 1) > 1e-6, row  # the a_min vs a_upper difference shows
    # 13 pure-tone pairs, and 1/1, 16/15, 9/8, 6/5 of both profiles (partials never cross)
    assert (n_exact, n_differ) == (21, 19)


def test_chord_roughness_equals_dissonant_readme_chord():
    row = next(
        r
        for r in reference_rows()
        if r["case"] == "readme_chord_0_4_7_12" and r["model"] == "sethares1993"
    )
    f0 = 440.0 * 2 ** (torch.tensor([0.0, 4.0, 7.0, 12.0], dtype=F64) / 12)
    n = torch.arange(1, 11, dtype=F64)
    # chord_roughness has the paper's constants; via the pooled spectrum with dissonant's:
    freqs, amps = chord_partials(f0, n, 0.88**n)
    assert float(sethares1993_roughness(freqs, amps, **DISSONANT_S)) == pytest.approx(
        float(row["value"]), rel=1e-12
    )
    assert float(chord_roughness(f0, n, 0.88**n, model="sethares1993")) == pytest.approx(
        float(sethares1993_roughness(freqs, amps)), rel=1e-13
    )


spectra = st.integers(min_value=2, max_value=12).flatmap(
    lambda n: st.tuples(
        st.lists(st.floats(30.0, 5000.0), min_size=n, max_size=n, unique=True),
        st.lists(st.floats(1e-3, 2.0), min_size=n, max_size=n),
    )
)


@settings(max_examples=60, deadline=None)
@given(spectrum=spectra)
def test_live_dissonant_package(spectrum):
    """Against the installed package (test extra) on random spectra: 1e-12 and the stated relation."""
    dissonant = pytest.importorskip("dissonant")
    freqs, amps = (np.array(x, dtype=np.float64) for x in spectrum)
    ft, at = torch.from_numpy(freqs), torch.from_numpy(amps)
    # Sums of terms as large as a_i * a_j that cancel to ~0 differ in their rounding noise.
    noise = 1e-14 * float(amps.sum()) ** 2
    theirs = float(dissonant.dissonance(freqs, amps, model="sethares1993"))
    assert float(sethares1993_roughness(ft, at, **DISSONANT_S)) == pytest.approx(
        theirs, rel=1e-12, abs=noise
    )
    theirs_v = float(dissonant.dissonance(freqs, amps, model="vassilakis2001"))
    assert dissonant_vassilakis_loop(spectrum[0], spectrum[1]) == pytest.approx(
        theirs_v, rel=1e-12, abs=noise
    )
    if upper_partial_is_quieter(ft, at):
        assert 2 * float(vassilakis_roughness(ft, at)) == pytest.approx(
            theirs_v, rel=1e-12, abs=noise
        )
