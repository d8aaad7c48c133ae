"""Phase in whole turns and the smooth gain that removes partials at and above Nyquist."""

from __future__ import annotations

import math

import torch

#: One cycle in radians.
TWO_PI = 2.0 * math.pi
#: Smallest positive value used to guard divisions.
TINY = 1e-12

__all__ = ["TINY", "TWO_PI", "frac_turns", "nyquist_gain"]


def nyquist_gain(
    freq_hz: torch.Tensor, *, sample_rate: float, rolloff: float = 0.1
) -> torch.Tensor:
    """Gain that removes partials at and above Nyquist, smoothly.

    1 below ``(1 - rolloff) * nyquist``, 0 at and above ``nyquist``, a raised cosine between
    (22.8-24 kHz at 48 kHz with the default). Peers (DDSP, torchaudio) zero the amplitude
    abruptly, which clicks when a gliding partial crosses Nyquist; a raised cosine is continuous
    with a continuous slope.

    Parameters
    ----------
    freq_hz : Tensor, shape (...)
        Partial frequencies in Hz.
    sample_rate : float
        Samples per second.
    rolloff : float
        Width of the fade as a fraction of Nyquist, in (0, 1].

    Returns
    -------
    Tensor, shape (...)
        Gain in [0, 1], same dtype and device as ``freq_hz``. Differentiable.
    """
    nyquist = 0.5 * sample_rate
    x = torch.clamp((nyquist - freq_hz) / (rolloff * nyquist), 0.0, 1.0)
    return 0.5 - 0.5 * torch.cos(math.pi * x)


def frac_turns(cycles: torch.Tensor) -> torch.Tensor:
    """``2 pi frac(cycles)`` in radians, in (-2 pi, 2 pi), computed in the input dtype (float64).

    Wraps before anything is rounded to float32; the sign of negative phases is kept (``sin``
    and ``cos`` do not care), which saves an op over ``cycles - floor(cycles)``.
    """
    return torch.frac(cycles).mul_(TWO_PI)
