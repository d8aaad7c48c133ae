"""The emergence criteria of the preset timbres."""

from __future__ import annotations

import numpy as np
import pytest

from xentune.tuning.criteria import check_criteria, criteria_name
from xentune.tuning.emergence import EmergentScale, emergent_edos


def _scale(period: float, steps: list[float]) -> EmergentScale:
    return EmergentScale(
        period_cents=period,
        steps_cents=tuple(steps),
        strengths=tuple(2.0 for _ in steps),
        grid_cents=np.zeros(1),
        density=np.zeros(1),
    )


def _check(timbre: str, scale: EmergentScale) -> tuple[bool, tuple[str, ...]]:
    result = check_criteria(timbre, scale, emergent_edos(scale))
    assert result is not None
    return result.passed, result.failures


def test_harmonic() -> None:
    just = [315.6, 386.3, 498.0, 702.0, 884.4]
    assert _check("harmonic", _scale(1200.0, just)) == (True, ())
    passed, fails = _check("harmonic", _scale(1207.0, just[:-1]))
    assert not passed and len(fails) == 2
    assert any("5/3" in f for f in fails) and any("period" in f for f in fails)


def test_stretched() -> None:
    assert _check("stretched:octave=2.1", _scale(1284.5, [337.9, 533.1, 751.4]))[0]
    passed, fails = _check("stretched:octave=2.1", _scale(1200.0, [702.0]))
    assert not passed and len(fails) == 3


@pytest.mark.parametrize("n", [10, 12])
def test_edo(n: int) -> None:
    steps = [1200.0 / n * k for k in (2, 3, 4, 5, 7)]
    assert _check(f"edo:n={n},partials=7,rolloff=0.88", _scale(1200.0, steps))[0]
    assert not _check(f"edo:n={n}", _scale(1200.0, []))[0]


def test_no_criteria_for_other_timbres() -> None:
    assert criteria_name("bell") is None and criteria_name("edo:n=10") == "edo"
    assert check_criteria("bell", _scale(1200.0, [702.0]), []) is None
