"""Sampling pieces from a trained generator, with optional refinement by gradient steps on the energy."""

from __future__ import annotations

import torch

from xentune import defaults
from xentune.errors import ConfigError
from xentune.generator.energy import Energy
from xentune.generator.model import PieceFlow
from xentune.generator.scale_model import ScalePieceModel

__all__ = ["DEFAULT_REFINE_STEPS", "DEFAULT_STEP_S", "refine", "sample_pieces"]

#: Seconds per chord when pieces become a `Score`.
DEFAULT_STEP_S = defaults.DEFAULT_STEP_S

#: Refinement steps recommended for listening and analysis (see `refine`).
DEFAULT_REFINE_STEPS = defaults.DEFAULT_REFINE_STEPS

#: First step of refinement in cents (Adam normalises the gradient, so this is the largest move
#: of a pitch per step). With the linear decay, 50 steps move a pitch at most 50 cents: enough to
#: reach the minimum of its basin (consonant minima are 70+ cents apart), not enough to leave it.
REFINE_LR_CENTS = 2.0


def refine(
    cents: torch.Tensor, energy: Energy, *, steps: int, lr_cents: float = REFINE_LR_CENTS
) -> torch.Tensor:
    """Move pieces downhill on the energy: the model judging and improving its own output.

    Adam on the pitches, its step decaying linearly from ``lr_cents`` to 0: each pitch moves at
    most about ``lr_cents`` per step, so ``steps`` bounds how far a sample travels (it settles
    into the minimum of its own basin rather than jumping to another chord), and the decay lets
    it come to rest on the minimum instead of oscillating around it. Roughness minima are cusps
    (the roughness of two partials grows linearly with their distance), so a refined interval
    sits on the minimum itself, not merely near it. Deterministic.

    Parameters
    ----------
    cents : Tensor, shape (..., V, T)
        Pieces in cents.
    energy : Energy
    steps : int
        Number of gradient steps (0 returns the input).
    lr_cents : float
        First (largest) step in cents.

    Returns
    -------
    Tensor, shape (..., V, T)
        Refined pieces, detached.
    """
    x = cents.detach().clone().requires_grad_(True)
    if steps == 0:
        return x.detach()
    optimizer = torch.optim.Adam([x], lr=lr_cents)
    for k in range(steps):
        optimizer.param_groups[0]["lr"] = lr_cents * (1.0 - k / steps)  # linear decay to 0
        optimizer.zero_grad(set_to_none=True)
        energy(x).sum().backward()
        optimizer.step()
    return x.detach()


def sample_pieces(
    model: PieceFlow | ScalePieceModel,
    *,
    n_pieces: int,
    seed: int,
    energy: Energy | None = None,
    refine_steps: int = 0,
    device: torch.device | str | None = None,
) -> torch.Tensor:
    """Sample ``n_pieces`` pieces from ``model`` (seeded), optionally refined on ``energy``.

    Parameters
    ----------
    model : PieceFlow or ScalePieceModel
    n_pieces : int
        Number of pieces S (>= 1).
    seed : int
        Seed of the sampling noise: same seed and device, same pieces.
    energy : Energy, optional
        Needed when ``refine_steps > 0``.
    refine_steps : int
        Gradient steps on the energy after sampling (see `refine`).
    device : torch.device or str, optional
        Where to sample (the model's device when omitted; the model is moved there).

    Returns
    -------
    Tensor, shape (S, V, T)
        Pitches in cents (float32), on ``device``.
    """
    if isinstance(n_pieces, bool) or not isinstance(n_pieces, int) or n_pieces < 1:
        raise ConfigError(f"n_pieces={n_pieces!r}: must be an integer >= 1")
    if isinstance(refine_steps, bool) or not isinstance(refine_steps, int) or refine_steps < 0:
        raise ConfigError(f"refine_steps={refine_steps!r}: must be an integer >= 0")
    if refine_steps > 0 and energy is None:
        raise ConfigError("refine_steps > 0 needs the energy to refine on")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ConfigError(f"seed={seed!r}: must be an integer >= 0")
    device = torch.device(device) if device is not None else model.offset.device
    model = model.to(device).eval()
    generator = torch.Generator(device=device)
    generator.manual_seed(seed)
    with torch.no_grad():
        cents, _ = model.sample(n_pieces, generator=generator)  # (S, V, T)
    if refine_steps > 0:
        assert energy is not None
        cents = refine(cents, energy.to(device), steps=refine_steps)
    return cents
