"""Pooling the partials of a chord: V voices of one timbre -> one line spectrum of V*P partials."""

from __future__ import annotations

import torch

__all__ = ["chord_partials"]


def chord_partials(
    f0_hz: torch.Tensor,
    ratios: torch.Tensor,
    amplitudes: torch.Tensor,
    voice_amplitudes: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """All partials of a chord whose voices share one spectrum.

    Parameters
    ----------
    f0_hz : Tensor, shape (..., V)
        Nominal frequency of each voice in Hz. Differentiable.
    ratios : Tensor, shape (P,) or (..., P)
        Partial frequency ratios of the timbre.
    amplitudes : Tensor, shape (P,) or (..., P)
        Partial amplitudes of the timbre.
    voice_amplitudes : Tensor, shape (..., V), optional
        Gain of each voice (1 when omitted; 0 silences a voice). Differentiable.

    Returns
    -------
    freqs_hz : Tensor, shape (..., V*P)
        Voice-major: partials of voice 0, then voice 1, ...
    amps : Tensor, shape (..., V*P)
    """
    freqs = f0_hz.unsqueeze(-1) * ratios.unsqueeze(-2)  # (..., V, P) Hz
    amps = amplitudes.unsqueeze(-2).expand_as(freqs)  # (..., V, P)
    if voice_amplitudes is not None:
        amps = amps * voice_amplitudes.unsqueeze(-1)
    return freqs.flatten(-2), amps.flatten(-2)  # (..., V*P)
