"""Exact just ratios for degrees near simple ratios (``--ratios``)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from xentune.errors import ConfigError
from xentune.tuning.just import just_scale, parse_period_ratio, simple_ratio_near
from xentune.tuning.scala import format_scl, parse_scl
from xentune.tuning.scale import Scale

#: A default harmonic run's emergent scale (scale.scl of `xentune generate`, seed 0).
EMERGENT = Scale.from_cents(
    [316.29057100882665, 386.12565080748254, 498.7169511353852, 702.0171343333352,
     884.3221750626237, 1200.0135380000936]
)  # fmt: skip


def test_harmonic_run_becomes_exact_and_reads_back_exactly() -> None:
    just = just_scale(EMERGENT, tolerance_cents=5.0)
    want = [Fraction(6, 5), Fraction(5, 4), Fraction(4, 3), Fraction(3, 2), Fraction(5, 3), 2]
    assert list(just.ratios) == want
    back = parse_scl(format_scl(just))
    assert list(back.ratios) == want and back.degrees_cents == just.degrees_cents


def test_tolerance_decides() -> None:
    just = just_scale(EMERGENT, tolerance_cents=0.5)  # 316.29 is 0.65 from 6/5; 498.72 is 0.67
    assert just.ratios[0] is None and just.degrees_cents[0] == EMERGENT.degrees_cents[0]
    assert just.ratios[1] == Fraction(5, 4) and just.ratios[-1] == 2
    assert just_scale(EMERGENT, tolerance_cents=0.0).ratios == (None,) * 6


def test_period_only_when_close_or_asked() -> None:
    stretched = Scale.from_cents([338.2, 751.9, 1284.4])
    assert just_scale(stretched, tolerance_cents=5.0).ratios[-1] is None  # near no simple ratio
    asked = just_scale(stretched, tolerance_cents=0.0, period_ratio=Fraction(2))
    assert asked.ratios[-1] == 2 and asked.degrees_cents[:2] == stretched.degrees_cents[:2]
    with pytest.raises(ConfigError, match="not above the highest degree"):
        just_scale(stretched, period_ratio=Fraction(5, 4))


def test_simple_means_odd_limit_15() -> None:
    assert simple_ratio_near(968.826, tolerance_cents=1.0) == Fraction(7, 4)
    assert simple_ratio_near(1017.596, tolerance_cents=1.0) == Fraction(9, 5)
    assert simple_ratio_near(905.0, tolerance_cents=1.0) is None  # 17-limit 32/19 is not simple


@pytest.mark.parametrize("bad", [-1.0, 26.0, float("nan"), float("inf")])
def test_bad_tolerance(bad: float) -> None:
    with pytest.raises(ConfigError, match="--ratio-tolerance"):
        just_scale(EMERGENT, tolerance_cents=bad)


@pytest.mark.parametrize("bad", ["abc", "1/2", "1", "2.0", "1/0", "-2"])
def test_bad_period_ratio(bad: str) -> None:
    with pytest.raises(ConfigError, match="--period-ratio"):
        parse_period_ratio(bad)
