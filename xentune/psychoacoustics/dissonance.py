"""Dissonance of chords by model name: every roughness model and the composite (lower = more consonant)."""

from __future__ import annotations

import torch

from xentune.errors import ConfigError
from xentune.psychoacoustics.composite import composite_dissonance
from xentune.psychoacoustics.roughness import MODELS, chord_roughness

__all__ = ["DISSONANCE_MODELS", "check_dissonance_model", "chord_dissonance"]

#: Every model `chord_dissonance` knows, with its meaning. All point the same way: higher = more
#: dissonant.
DISSONANCE_MODELS: dict[str, str] = {
    **{name: f"roughness ({name}); higher = rougher" for name in MODELS},
    "composite": (
        "Hutchinson-Knopoff roughness minus KL harmonicity, weights fitted to listener data "
        "(xentune.psychoacoustics.composite); higher = more dissonant"
    ),
}


def check_dissonance_model(model: str, *, what: str = "model") -> None:
    """Raise `ConfigError` unless ``model`` names one of `DISSONANCE_MODELS`."""
    if model not in DISSONANCE_MODELS:
        raise ConfigError(f"unknown {what} {model!r}; use one of {', '.join(DISSONANCE_MODELS)}")


def chord_dissonance(
    f0_hz: torch.Tensor,
    ratios: torch.Tensor,
    amps: torch.Tensor,
    *,
    model: str = "sethares",
) -> torch.Tensor:
    """Dissonance of chords whose voices share one timbre, by model name.

    Parameters
    ----------
    f0_hz : Tensor, shape (..., V)
        Voice fundamentals in Hz, > 0. Differentiable.
    ratios, amps : Tensor, shape (P,)
        The timbre's partial ratios and amplitudes. Differentiable.
    model : str
        A name from `DISSONANCE_MODELS`: a roughness model (`chord_roughness`) or ``"composite"``
        (`composite_dissonance`).

    Returns
    -------
    Tensor, shape (...)
        Higher = more dissonant, in the model's own units.

    Raises
    ------
    ConfigError
        Unknown model name.
    """
    check_dissonance_model(model)
    if model == "composite":
        return composite_dissonance(f0_hz, ratios, amps)
    return chord_roughness(f0_hz, ratios, amps, model=model)
