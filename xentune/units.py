"""Pitch units: cents relative to a reference frequency, Hz, frequency ratios and MIDI keys.

Each conversion is written once, here, and takes a Python float, a NumPy array or a torch
tensor: the result is of the same kind (a tensor keeps its dtype and device; a float stays a
float), computed with that library's own ``exp2``/``log2`` (``math.log2`` and ``2.0 ** x`` for
floats), so a caller that wrote the formula inline gets bit-for-bit the same numbers from the
helper.

>>> round(ratio_to_cents(1.5), 3)
701.955
>>> cents_to_hz(1200.0, reference_hz=440.0)
880.0
"""

from __future__ import annotations

import math
from typing import TypeVar, overload

import numpy as np
import torch

from xentune.defaults import DEFAULT_REFERENCE_HZ

__all__ = [
    "CENTS_PER_OCTAVE",
    "DEFAULT_REFERENCE_HZ",
    "MIDI_A4_HZ",
    "MIDI_A4_KEY",
    "cents_to_hz",
    "cents_to_ratio",
    "hz_to_cents",
    "hz_to_midi",
    "midi_to_hz",
    "ratio_to_cents",
]

#: Cents in a 2/1 octave: ``cents = CENTS_PER_OCTAVE * log2(ratio)``.
CENTS_PER_OCTAVE = 1200.0

#: MIDI tuning standard: key 69 (A4) sounds at 440 Hz, 12 keys per octave.
MIDI_A4_KEY = 69.0
MIDI_A4_HZ = 440.0

#: A float, a NumPy array or a tensor: every conversion returns the kind it is given.
Values = TypeVar("Values", float, np.ndarray, torch.Tensor)


def _exp2(x: Values) -> Values:
    """``2 ** x`` with the library of ``x`` (torch, NumPy, or Python floats)."""
    if isinstance(x, torch.Tensor):
        return torch.exp2(x)
    if isinstance(x, np.ndarray):
        return np.exp2(x)
    return 2.0**x


def _log2(x: Values) -> Values:
    """``log2(x)`` with the library of ``x`` (torch, NumPy, or ``math.log2`` for a number)."""
    if isinstance(x, torch.Tensor):
        return torch.log2(x)
    if isinstance(x, np.ndarray):
        return np.log2(x)
    return math.log2(x)


@overload
def cents_to_ratio(cents: float) -> float: ...
@overload
def cents_to_ratio(cents: np.ndarray) -> np.ndarray: ...
@overload
def cents_to_ratio(cents: torch.Tensor) -> torch.Tensor: ...
def cents_to_ratio(cents: Values) -> Values:
    """Frequency ratio of an interval in cents: ``2 ** (cents / 1200)`` (700 -> 1.4983).

    Parameters
    ----------
    cents : float, ndarray or Tensor, shape (...)
        Interval in cents. Differentiable for a tensor.

    Returns
    -------
    float, ndarray or Tensor, shape (...)
        The ratio, > 0, of the same kind (and dtype, device) as ``cents``.
    """
    return _exp2(cents / CENTS_PER_OCTAVE)


@overload
def ratio_to_cents(ratio: float) -> float: ...
@overload
def ratio_to_cents(ratio: np.ndarray) -> np.ndarray: ...
@overload
def ratio_to_cents(ratio: torch.Tensor) -> torch.Tensor: ...
def ratio_to_cents(ratio: Values) -> Values:
    """Size in cents of a frequency ratio: ``1200 * log2(ratio)`` (3/2 -> 701.955).

    Parameters
    ----------
    ratio : float, ndarray or Tensor, shape (...)
        Frequency ratio, > 0 (a `fractions.Fraction` goes through ``float``; for exact ratios
        beyond float range see `xentune.tuning.scale.fraction_to_cents`). Differentiable for a
        tensor.

    Returns
    -------
    float, ndarray or Tensor, shape (...)
        Cents, of the same kind as ``ratio``.
    """
    return CENTS_PER_OCTAVE * _log2(ratio)


@overload
def cents_to_hz(cents: float, reference_hz: float = ...) -> float: ...
@overload
def cents_to_hz(cents: np.ndarray, reference_hz: float = ...) -> np.ndarray: ...
@overload
def cents_to_hz(cents: torch.Tensor, reference_hz: float = ...) -> torch.Tensor: ...
def cents_to_hz(cents: Values, reference_hz: float = DEFAULT_REFERENCE_HZ) -> Values:
    """Frequency in Hz of a pitch in cents above ``reference_hz``: ``ref * 2 ** (cents / 1200)``.

    Parameters
    ----------
    cents : float, ndarray or Tensor, shape (...)
        Pitch in cents relative to ``reference_hz``. Differentiable for a tensor.
    reference_hz : float
        Frequency of 0 cents, in Hz, > 0 (default middle C, 261.6256 Hz).

    Returns
    -------
    float, ndarray or Tensor, shape (...)
        Frequency in Hz, of the same kind (and dtype, device) as ``cents``.

    Examples
    --------
    >>> cents_to_hz(torch.tensor([0.0, 900.0]), reference_hz=261.6255653005986)
    tensor([261.6256, 440.0000])
    """
    return reference_hz * _exp2(cents / CENTS_PER_OCTAVE)


@overload
def hz_to_cents(hz: float, reference_hz: float = ...) -> float: ...
@overload
def hz_to_cents(hz: np.ndarray, reference_hz: float = ...) -> np.ndarray: ...
@overload
def hz_to_cents(hz: torch.Tensor, reference_hz: float = ...) -> torch.Tensor: ...
def hz_to_cents(hz: Values, reference_hz: float = DEFAULT_REFERENCE_HZ) -> Values:
    """Pitch in cents above ``reference_hz`` of a frequency: ``1200 * log2(hz / ref)``.

    The inverse of `cents_to_hz`.

    Parameters
    ----------
    hz : float, ndarray or Tensor, shape (...)
        Frequency in Hz, > 0. Differentiable for a tensor.
    reference_hz : float
        Frequency of 0 cents, in Hz, > 0.

    Returns
    -------
    float, ndarray or Tensor, shape (...)
        Cents, of the same kind as ``hz``.

    Examples
    --------
    >>> round(hz_to_cents(440.0), 6)
    900.0
    """
    return CENTS_PER_OCTAVE * _log2(hz / reference_hz)


@overload
def hz_to_midi(hz: float) -> float: ...
@overload
def hz_to_midi(hz: np.ndarray) -> np.ndarray: ...
def hz_to_midi(hz: float | np.ndarray) -> float | np.ndarray:
    """Fractional MIDI key of a frequency: ``69 + 12 * log2(hz / 440)`` (440 Hz -> 69.0).

    Parameters
    ----------
    hz : float or ndarray, shape (...)
        Frequency in Hz, > 0.

    Returns
    -------
    float or ndarray, shape (...)
        MIDI key in 12-EDO semitones (A4 = 69); round it for the nearest key.
    """
    return MIDI_A4_KEY + 12.0 * _log2(hz / MIDI_A4_HZ)


@overload
def midi_to_hz(key: float) -> float: ...
@overload
def midi_to_hz(key: np.ndarray) -> np.ndarray: ...
def midi_to_hz(key: float | np.ndarray) -> float | np.ndarray:
    """Frequency of a (fractional) MIDI key in 12-EDO at A4 = 440 Hz (the inverse of `hz_to_midi`).

    Parameters
    ----------
    key : float or ndarray, shape (...)
        MIDI key (69 = A4; 0 = 8.18 Hz).

    Returns
    -------
    float or ndarray, shape (...)
        ``440 * 2 ** ((key - 69) / 12)`` Hz.
    """
    return MIDI_A4_HZ * _exp2((key - MIDI_A4_KEY) / 12.0)
