"""Pitch units: known values, round trips (hypothesis) and the same result for every kind of input."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from xentune.units import (
    DEFAULT_REFERENCE_HZ,
    cents_to_hz,
    cents_to_ratio,
    hz_to_cents,
    hz_to_midi,
    midi_to_hz,
    ratio_to_cents,
)

CENTS = st.floats(min_value=-12000.0, max_value=12000.0, allow_nan=False)
RATIOS = st.floats(min_value=1e-3, max_value=1e3, allow_nan=False)
REFERENCES = st.floats(min_value=8.0, max_value=20000.0, allow_nan=False)


def test_known_values() -> None:
    assert ratio_to_cents(1.5) == pytest.approx(701.955, abs=5e-4)  # the just fifth
    assert ratio_to_cents(2.0) == 1200.0
    assert ratio_to_cents(1.0) == 0.0
    assert cents_to_ratio(1200.0) == 2.0
    assert cents_to_ratio(-1200.0) == 0.5
    assert cents_to_hz(0.0, reference_hz=440.0) == 440.0
    assert cents_to_hz(1200.0, reference_hz=440.0) == 880.0
    assert cents_to_hz(-900.0, reference_hz=440.0) == pytest.approx(DEFAULT_REFERENCE_HZ, rel=1e-12)
    assert hz_to_cents(440.0) == pytest.approx(900.0, abs=1e-9)  # A4 above middle C
    assert hz_to_cents(440.0, reference_hz=440.0) == 0.0
    assert hz_to_midi(440.0) == 69.0
    assert hz_to_midi(DEFAULT_REFERENCE_HZ) == pytest.approx(60.0, abs=1e-9)


@given(CENTS)
def test_cents_ratio_round_trip(cents: float) -> None:
    assert ratio_to_cents(cents_to_ratio(cents)) == pytest.approx(cents, abs=1e-9)


@given(RATIOS)
def test_ratio_cents_round_trip(ratio: float) -> None:
    assert cents_to_ratio(ratio_to_cents(ratio)) == pytest.approx(ratio, rel=1e-12)


@given(CENTS, REFERENCES)
def test_cents_hz_round_trip(cents: float, reference_hz: float) -> None:
    hz = cents_to_hz(cents, reference_hz=reference_hz)
    assert hz > 0
    assert hz_to_cents(hz, reference_hz=reference_hz) == pytest.approx(cents, abs=1e-9)


@given(CENTS, CENTS)
def test_adding_cents_multiplies_ratios(a: float, b: float) -> None:
    assert cents_to_ratio(a + b) == pytest.approx(cents_to_ratio(a) * cents_to_ratio(b), rel=1e-12)


@given(st.lists(CENTS, min_size=1, max_size=8), REFERENCES)
def test_float_numpy_and_torch_agree(values: list[float], reference_hz: float) -> None:
    """Every kind of input gives the same numbers and keeps its kind (tensors: dtype too)."""
    array = np.array(values)
    tensor = torch.tensor(values, dtype=torch.float64)
    from_floats = np.array([cents_to_hz(v, reference_hz=reference_hz) for v in values])
    from_numpy = cents_to_hz(array, reference_hz=reference_hz)
    from_torch = cents_to_hz(tensor, reference_hz=reference_hz)
    assert isinstance(from_numpy, np.ndarray)
    assert isinstance(from_torch, torch.Tensor) and from_torch.dtype == torch.float64
    np.testing.assert_allclose(from_numpy, from_floats, rtol=1e-14)
    np.testing.assert_allclose(from_torch.numpy(), from_floats, rtol=1e-14)
    back = hz_to_cents(from_torch, reference_hz=reference_hz)
    np.testing.assert_allclose(back.numpy(), array, atol=1e-9)
    assert cents_to_ratio(tensor.float()).dtype == torch.float32


def test_tensor_conversions_are_differentiable() -> None:
    cents = torch.tensor([0.0, 700.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda c: cents_to_hz(c, reference_hz=440.0), (cents,))
    hz = torch.tensor([220.0, 440.0], dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(hz_to_cents, (hz,))
    # d cents / d hz = 1200 / (hz ln 2)
    (grad,) = torch.autograd.grad(hz_to_cents(hz).sum(), hz)
    torch.testing.assert_close(grad, 1200.0 / (hz.detach() * math.log(2.0)))


def test_midi_keys_of_an_array() -> None:
    hz = np.array([440.0, 880.0, 220.0])
    np.testing.assert_array_equal(hz_to_midi(hz), [69.0, 81.0, 57.0])


@given(st.floats(min_value=0.0, max_value=127.0))
def test_midi_round_trip(key: float) -> None:
    assert hz_to_midi(midi_to_hz(key)) == pytest.approx(key, abs=1e-9)
    assert midi_to_hz(69.0) == 440.0
