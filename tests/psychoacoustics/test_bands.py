"""Critical-band helpers against the published constants and the reference tables."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.psychoacoustics.bands import (
    erb_hz,
    hk_critical_bandwidth_hz,
    sethares_peak_x,
    sethares_s,
)

F64 = torch.float64


@pytest.mark.parametrize(
    ("f_hz", "erb", "hk"),
    [
        (261.63, 52.94, 64.12),
        (440.0, 72.19, 89.90),
        (1000.0, 132.64, 153.30),
    ],  # psychoacoustics.md §2.4
)
def test_erb_and_hk_bandwidth_table(f_hz, erb, hk):
    f = torch.tensor(f_hz, dtype=F64)
    assert float(erb_hz(f)) == pytest.approx(erb, abs=0.005)
    assert float(hk_critical_bandwidth_hz(f)) == pytest.approx(hk, abs=0.005)


def test_hk_bandwidth_incon_values():
    """incon: hutch_cbw(400, 440) = 87.225, hutch_cbw(400, 380) = 83.123."""
    assert float(hk_critical_bandwidth_hz(torch.tensor(420.0, dtype=F64))) == pytest.approx(
        87.225, abs=5e-4
    )
    assert float(hk_critical_bandwidth_hz(torch.tensor(390.0, dtype=F64))) == pytest.approx(
        83.123, abs=5e-4
    )


def test_erb_glasberg_moore_alternative_form():
    """AMT's audfiltbw form ``24.7 + f / 9.265`` is the same line to four digits."""
    f = torch.linspace(20.0, 20000.0, 1000, dtype=F64)
    torch.testing.assert_close(erb_hz(f), 24.7 + f / 9.265, rtol=2e-4, atol=0)


@settings(max_examples=50, deadline=None)
@given(st.floats(1.0, 20000.0), st.floats(1.0, 20000.0))
def test_sethares_s_is_decreasing_in_frequency(f1, f2):
    """``s(min(f1, f2)) == max(s(f1), s(f2))``: a pair's scale is set by its lower partial."""
    s = lambda f: float(sethares_s(torch.tensor(f, dtype=F64), d_star=0.24, s1=0.0207, s2=18.96))  # noqa: E731
    assert s(min(f1, f2)) == max(s(f1), s(f2))


def test_sethares_peak_x_closed_form_and_reference_numbers():
    assert sethares_peak_x() == pytest.approx(0.2203, abs=5e-5)
    assert sethares_peak_x(b1=3.5) == pytest.approx(0.2206, abs=5e-5)
    # psychoacoustics.md §1.1: the peak lies 25.8 Hz apart at 440 Hz, 22.4 Hz at 261.63, 36.4 at 1000.
    for f, df in [(261.63, 22.4), (440.0, 25.8), (1000.0, 36.4)]:
        s = float(sethares_s(torch.tensor(f, dtype=F64), d_star=0.24, s1=0.0207, s2=18.96))
        assert sethares_peak_x() / s == pytest.approx(df, abs=0.05)
    x = torch.linspace(0.0, 2.0, 200_001, dtype=F64)
    curve = torch.exp(-3.51 * x) - torch.exp(-5.75 * x)
    assert float(x[curve.argmax()]) == pytest.approx(sethares_peak_x(), abs=1e-5)
    assert math.isfinite(sethares_peak_x(b1=1.0, b2=2.0))


def test_bands_are_differentiable():
    f = torch.tensor([300.0, 900.0], dtype=F64, requires_grad=True)
    assert torch.autograd.gradcheck(
        lambda x: (
            hk_critical_bandwidth_hz(x)
            + erb_hz(x)
            + sethares_s(x, d_star=0.24, s1=0.0207, s2=18.96)
        ),
        (f,),
    )
