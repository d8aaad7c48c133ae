"""Pitch units: cents relative to a reference frequency, Hz, and frequency ratios."""

from __future__ import annotations

import math

import torch

from xentune.defaults import DEFAULT_REFERENCE_HZ

__all__ = [
    "DEFAULT_REFERENCE_HZ",
    "cents_to_hz",
    "cents_to_ratio",
    "hz_to_cents",
    "ratio_to_cents",
]


def cents_to_hz(cents: torch.Tensor, reference_hz: float = DEFAULT_REFERENCE_HZ) -> torch.Tensor:
    """Frequency in Hz of a pitch in cents above ``reference_hz``: ``ref * 2 ** (cents / 1200)``.

    Parameters
    ----------
    cents : Tensor, shape (...)
        Pitch in cents relative to ``reference_hz``. Differentiable.
    reference_hz : float
        Frequency of 0 cents, in Hz.

    Returns
    -------
    Tensor, shape (...)
        Frequency in Hz, same dtype and device as ``cents``.
    """
    return reference_hz * torch.exp2(cents / 1200.0)


def hz_to_cents(hz: torch.Tensor, reference_hz: float = DEFAULT_REFERENCE_HZ) -> torch.Tensor:
    """Pitch in cents above ``reference_hz`` of a frequency in Hz (inverse of `cents_to_hz`).

    Parameters
    ----------
    hz : Tensor, shape (...)
        Positive frequency in Hz.
    reference_hz : float
        Frequency of 0 cents, in Hz.

    Returns
    -------
    Tensor, shape (...)
    """
    return 1200.0 * torch.log2(hz / reference_hz)


def ratio_to_cents(ratio: float) -> float:
    """Size in cents of a frequency ratio: ``1200 * log2(ratio)`` (3/2 -> 701.955...)."""
    return 1200.0 * math.log2(ratio)


def cents_to_ratio(cents: float) -> float:
    """Frequency ratio of an interval in cents: ``2 ** (cents / 1200)``."""
    return 2.0 ** (cents / 1200.0)
