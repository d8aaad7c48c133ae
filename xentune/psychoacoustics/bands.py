"""Critical bandwidth and ERB helpers (Hz), used by the roughness models."""

from __future__ import annotations

import torch

__all__ = ["erb_hz", "hk_critical_bandwidth_hz", "sethares_s"]


def erb_hz(f_hz: torch.Tensor) -> torch.Tensor:
    """Equivalent rectangular bandwidth ``24.7 * (4.37 f / 1000 + 1)`` in Hz (Glasberg & Moore 1990).

    Parameters
    ----------
    f_hz : Tensor, shape (...)
        Centre frequency in Hz.
    """
    return 24.7 * (4.37e-3 * f_hz + 1.0)


def hk_critical_bandwidth_hz(f_mean_hz: torch.Tensor) -> torch.Tensor:
    """Hutchinson & Knopoff (1978) critical bandwidth ``1.72 * f_mean ** 0.65`` in Hz.

    ``hk_critical_bandwidth_hz((400 + 440) / 2) = 87.225`` (incon's test value).
    """
    return 1.72 * f_mean_hz.pow(0.65)


def sethares_s(f_min_hz: torch.Tensor, *, d_star: float, s1: float, s2: float) -> torch.Tensor:
    """Sethares' bandwidth scaling ``s = d* / (s1 * f_min + s2)`` (1/Hz), so ``s * df`` is in
    critical-band units and the curve peaks near a quarter of a critical band."""
    return d_star / (s1 * f_min_hz + s2)
