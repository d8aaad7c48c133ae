"""Critical bandwidth and ERB helpers (Hz), used by the roughness models."""

from __future__ import annotations

import math

import torch

__all__ = ["erb_hz", "hk_critical_bandwidth_hz", "sethares_peak_x", "sethares_s"]


def erb_hz(f_hz: torch.Tensor) -> torch.Tensor:
    """Equivalent rectangular bandwidth ``24.7 * (4.37 f / 1000 + 1)`` in Hz (Glasberg & Moore 1990).

    Parameters
    ----------
    f_hz : Tensor, shape (...)
        Centre frequency in Hz.

    Returns
    -------
    Tensor, shape (...)
        Bandwidth in Hz; 132.64 Hz at 1 kHz. Differentiable.
    """
    return 24.7 * (4.37e-3 * f_hz + 1.0)


def hk_critical_bandwidth_hz(f_mean_hz: torch.Tensor) -> torch.Tensor:
    """Hutchinson & Knopoff (1978) critical bandwidth ``1.72 * f_mean ** 0.65`` in Hz.

    Parameters
    ----------
    f_mean_hz : Tensor, shape (...)
        Mean frequency of the two partials in Hz, > 0.

    Returns
    -------
    Tensor, shape (...)
        Bandwidth in Hz: ``hk_critical_bandwidth_hz((400 + 440) / 2) = 87.225`` (incon's test
        value). Differentiable.
    """
    return 1.72 * f_mean_hz.pow(0.65)


def sethares_s(f_min_hz: torch.Tensor, *, d_star: float, s1: float, s2: float) -> torch.Tensor:
    """Sethares' bandwidth scaling ``s = d* / (s1 * f_min + s2)`` in 1/Hz.

    ``s * |f1 - f2|`` is the pair's distance in (Sethares') critical-band units; with the
    ``dissmeasure`` constants (d* 0.24, s1 0.0207, s2 18.96) one critical band is
    ``1 / s`` = 117.0 Hz at 440 Hz.

    Parameters
    ----------
    f_min_hz : Tensor, shape (...)
        Lower frequency of the pair in Hz.
    d_star, s1, s2 : float
        The model's constants.

    Returns
    -------
    Tensor, shape (...)
    """
    return d_star / (s1 * f_min_hz + s2)


def sethares_peak_x(*, b1: float = 3.51, b2: float = 5.75) -> float:
    """Distance ``x = s |df|`` at which ``e^{-b1 x} - e^{-b2 x}`` peaks: ``ln(b2/b1) / (b2 - b1)``.

    0.2203 for ``dissmeasure`` (b1 3.51) and 0.2206 for the 1993 paper and Vassilakis (b1 3.5):
    about a quarter of a critical band, as Plomp & Levelt found (25.8 Hz apart at 440 Hz).
    """
    return math.log(b2 / b1) / (b2 - b1)
