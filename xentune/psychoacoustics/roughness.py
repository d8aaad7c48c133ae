"""Sensory roughness of line spectra: Sethares, Vassilakis, Hutchinson-Knopoff (batched, differentiable)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from xentune.errors import ConfigError
from xentune.psychoacoustics.bands import hk_critical_bandwidth_hz, sethares_s

__all__ = [
    "MODELS",
    "hutchinson_roughness",
    "roughness",
    "sethares1993_roughness",
    "sethares_roughness",
    "vassilakis_roughness",
]


def _pairs(
    freqs_hz: torch.Tensor, amps: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Unordered pairs i < j of partials: (f_low, f_high, a_low, a_high), each ``(..., P(P-1)/2)``."""
    n = freqs_hz.shape[-1]
    i, j = torch.triu_indices(n, n, offset=1, device=freqs_hz.device)
    fi, fj = freqs_hz[..., i], freqs_hz[..., j]  # (..., pairs)
    ai, aj = amps[..., i], amps[..., j]
    swap = fi > fj
    f_lo = torch.where(swap, fj, fi)
    f_hi = torch.where(swap, fi, fj)
    a_lo = torch.where(swap, aj, ai)
    a_hi = torch.where(swap, ai, aj)
    return f_lo, f_hi, a_lo, a_hi


def sethares_roughness(freqs_hz: torch.Tensor, amps: torch.Tensor) -> torch.Tensor:
    """Sethares' ``dissmeasure`` (TTSS 2005 code): ``5 * sum min(a_i, a_j) (e^{-3.51 s d} - e^{-5.75 s d})``.

    ``s = 0.24 / (0.0207 f_min + 18.96)``, ``d = |f_i - f_j|``, sum over unordered pairs i < j
    of all partials (within-tone pairs included).

    Parameters
    ----------
    freqs_hz : Tensor, shape (..., P)
        Partial frequencies in Hz, any order. Differentiable.
    amps : Tensor, shape (..., P)
        Partial amplitudes (linear, >= 0). Differentiable (subgradient of min).

    Returns
    -------
    Tensor, shape (...)

    References
    ----------
    W. A. Sethares, *Tuning, Timbre, Spectrum, Scale*, 2nd ed. (2005), app. E, ``dissmeasure.m``.
    """
    f_lo, f_hi, a_lo, a_hi = _pairs(freqs_hz, amps)
    s = sethares_s(f_lo, d_star=0.24, s1=0.0207, s2=18.96)  # (..., pairs) 1/Hz
    x = s * (f_hi - f_lo)  # (..., pairs) critical-band units
    r = torch.minimum(a_lo, a_hi) * (torch.exp(-3.51 * x) - torch.exp(-5.75 * x))
    return 5.0 * r.sum(-1)


def sethares1993_roughness(freqs_hz: torch.Tensor, amps: torch.Tensor) -> torch.Tensor:
    """Sethares (1993) as published: ``sum a_i a_j (e^{-3.5 s d} - e^{-5.75 s d})``, ``s = 0.24/(0.021 f_min + 19)``.

    Equals the ``sethares1993`` model of the PyPI package ``dissonant`` (bzamecnik).

    References
    ----------
    W. A. Sethares, "Local consonance and the relationship between timbre and scale",
    JASA 94(3):1218-1228 (1993).
    """
    f_lo, f_hi, a_lo, a_hi = _pairs(freqs_hz, amps)
    s = sethares_s(f_lo, d_star=0.24, s1=0.021, s2=19.0)
    x = s * (f_hi - f_lo)
    return (a_lo * a_hi * (torch.exp(-3.5 * x) - torch.exp(-5.75 * x))).sum(-1)


def vassilakis_roughness(freqs_hz: torch.Tensor, amps: torch.Tensor, *, eps: float = 1e-12) -> torch.Tensor:
    """Vassilakis (2001): ``sum (a_i a_j)^0.1 * 0.5 * (2 a_min / (a_i + a_j))^3.11 * (e^{-3.5 s d} - e^{-5.75 s d})``.

    ``s = 0.24 / (0.0207 f_min + 18.96)``; sum over unordered pairs. ``eps`` keeps the 0.1 power
    differentiable at zero amplitude.

    References
    ----------
    P. N. Vassilakis, *Perceptual and physical properties of amplitude fluctuation and their
    musical significance*, PhD thesis, UCLA (2001), p. 210.
    """
    f_lo, f_hi, a_lo, a_hi = _pairs(freqs_hz, amps)
    s = sethares_s(f_lo, d_star=0.24, s1=0.0207, s2=18.96)
    x = s * (f_hi - f_lo)
    a_min = torch.minimum(a_lo, a_hi)
    a_sum = a_lo + a_hi
    weight = (a_lo * a_hi + eps).pow(0.1) * 0.5 * (2.0 * a_min / (a_sum + eps)).pow(3.11)
    return (weight * (torch.exp(-3.5 * x) - torch.exp(-5.75 * x))).sum(-1)


def hutchinson_roughness(freqs_hz: torch.Tensor, amps: torch.Tensor, *, cutoff: float = 1.2) -> torch.Tensor:
    """Hutchinson & Knopoff (1978): ``sum_{i<j} a_i a_j g(y_ij) / sum_i a_i^2``.

    ``y = |f_i - f_j| / cbw(f_mean)``, ``cbw = 1.72 f_mean^0.65`` and
    ``g(y) = (4 y e^{1 - 4 y})^2`` for ``y <= cutoff`` (0 above; 1.2 as in Mashinter 2006).

    References
    ----------
    W. Hutchinson & L. Knopoff, "The acoustic component of Western consonance",
    Interface 7(1):1-29 (1978); as implemented in pmcharrison/incon.
    """
    f_lo, f_hi, a_lo, a_hi = _pairs(freqs_hz, amps)
    y = (f_hi - f_lo) / hk_critical_bandwidth_hz(0.5 * (f_lo + f_hi))  # (..., pairs) critical bands
    g = (4.0 * y * torch.exp(1.0 - 4.0 * y)).square()
    g = torch.where(y <= cutoff, g, torch.zeros_like(g))
    return (a_lo * a_hi * g).sum(-1) / amps.square().sum(-1)


#: Model name -> kernel ``(freqs_hz (..., P), amps (..., P)) -> (...)``.
MODELS: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "sethares": sethares_roughness,
    "sethares1993": sethares1993_roughness,
    "vassilakis": vassilakis_roughness,
    "hutchinson": hutchinson_roughness,
}


def roughness(freqs_hz: torch.Tensor, amps: torch.Tensor, *, model: str = "sethares") -> torch.Tensor:
    """Total roughness of a line spectrum under ``model`` (see `MODELS`).

    Parameters
    ----------
    freqs_hz : Tensor, shape (..., P)
    amps : Tensor, shape (..., P)
    model : {"sethares", "sethares1993", "vassilakis", "hutchinson"}

    Returns
    -------
    Tensor, shape (...)
    """
    try:
        kernel = MODELS[model]
    except KeyError:
        raise ConfigError(f"unknown roughness model {model!r}; use one of {', '.join(MODELS)}") from None
    return kernel(freqs_hz, amps)
