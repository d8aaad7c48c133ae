"""The roughness models' pair terms (published curves, amplitude weights) and the chord pair sum."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch

from xentune.psychoacoustics.bands import hk_critical_bandwidth_hz, sethares_s

__all__ = [
    "HUTCHINSON",
    "PAIR_MODELS",
    "PairModel",
    "SETHARES",
    "SETHARES1993",
    "VASSILAKIS",
    "chord_pair_sum",
    "pair_terms",
]


def _weight_min(a_i: torch.Tensor, a_j: torch.Tensor) -> torch.Tensor:
    """Sethares 2005 pair weight ``min(a_i, a_j)``."""
    return torch.minimum(a_i, a_j)


def _weight_product(a_i: torch.Tensor, a_j: torch.Tensor) -> torch.Tensor:
    """Sethares 1993 / Hutchinson-Knopoff pair weight ``a_i a_j``."""
    return a_i * a_j


def _weight_vassilakis(a_i: torch.Tensor, a_j: torch.Tensor) -> torch.Tensor:
    """Vassilakis pair weight ``(a_i a_j)^0.1 * 0.5 * (2 a_min / (a_i + a_j))^3.11``.

    Pairs with a zero (or negative) amplitude weigh exactly 0 with a zero gradient: the weight
    behaves like ``a_min^3.21`` there, but the two powers alone would give ``0 * inf`` gradients.
    """
    a_min = torch.minimum(a_i, a_j)
    positive = a_min > 0
    one = torch.ones_like(a_min)
    prod = torch.where(positive, a_i * a_j, one)  # safe where-trick: no NaN in the dead branch
    degree = torch.where(positive, 2.0 * a_min / (a_i + a_j), one)
    weight = prod.pow(0.1) * 0.5 * degree.pow(3.11)
    return torch.where(positive, weight, torch.zeros_like(weight))


@dataclass(frozen=True)
class PairModel:
    """Constants of one roughness model (see the module docstring for the formulas).

    ``curve="exp"``: ``scale * w * (exp(-b1 x) - exp(-b2 x))``, ``x = d_star |df| / (s1 f_min + s2)``.
    ``curve="hk"``: ``w * g(y)``, ``y = |df| / (1.72 f_mean^0.65)``, ``g = (4 y e^{1-4y})^2`` for
    ``y <= cutoff``, and the sum is divided by ``sum a^2``.
    """

    name: str
    curve: str
    weight: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    b1: float = 3.5
    b2: float = 5.75
    d_star: float = 0.24
    s1: float = 0.0207
    s2: float = 18.96
    scale: float = 1.0
    cutoff: float = 1.2


SETHARES = PairModel("sethares", "exp", _weight_min, b1=3.51, scale=5.0)


SETHARES1993 = PairModel("sethares1993", "exp", _weight_product, s1=0.021, s2=19.0)


VASSILAKIS = PairModel("vassilakis", "exp", _weight_vassilakis)


HUTCHINSON = PairModel("hutchinson", "hk", _weight_product)


PAIR_MODELS = {m.name: m for m in (SETHARES, SETHARES1993, VASSILAKIS, HUTCHINSON)}


def pair_terms(
    f_a: torch.Tensor, f_b: torch.Tensor, weight: torch.Tensor, model: PairModel
) -> torch.Tensor:
    """Roughness of pairs of sines ``(f_a, f_b)`` (Hz, either order) with pair weights ``weight``.

    Shapes broadcast; the model's overall ``scale`` is *not* applied (the callers apply it once to
    the sum). This is the one place each model's curve is written down.
    """
    df = (f_a - f_b).abs()  # Hz
    if model.curve == "exp":
        f_min = torch.minimum(f_a, f_b)  # Hz
        s = sethares_s(f_min, d_star=model.d_star, s1=model.s1, s2=model.s2)  # 1/Hz
        x = s * df  # critical-band units
        # e^{-b1 x} - e^{-b2 x} written as -e^{-b1 x} expm1(-(b2 - b1) x): the same two
        # transcendental calls, without the cancellation that costs float32 its accuracy when
        # two partials nearly coincide (x -> 0).
        return -weight * torch.exp(-model.b1 * x) * torch.expm1(-(model.b2 - model.b1) * x)
    y = df / hk_critical_bandwidth_hz(0.5 * (f_a + f_b))  # critical bandwidths
    g = (4.0 * y * torch.exp(1.0 - 4.0 * y)).square()
    return weight * torch.where(y <= model.cutoff, g, torch.zeros_like(g))


def chord_pair_sum(
    f0_hz: torch.Tensor,
    f_low_voice: torch.Tensor,
    f_high_voice: torch.Tensor,
    within_ratios: torch.Tensor,
    within_weight: torch.Tensor,
    cross_ratios: torch.Tensor,
    cross_weight: torch.Tensor,
    model: PairModel,
) -> torch.Tensor:
    """Unscaled pair sum of chords, the kernel of `chord_roughness`.

    Parameters
    ----------
    f0_hz : (B, V)
        Voice fundamentals.
    f_low_voice, f_high_voice : (B, K)
        Fundamentals of the first and second voice of each of the ``K = V (V-1)/2`` voice pairs.
    within_ratios : (2, T)
        Ratios ``r_p, r_q`` of the ``T = P (P-1)/2`` partial pairs ``p < q`` of one tone.
    within_weight : (T,) or (B, V, T)
        Their pair weights.
    cross_ratios : (2, P*P)
        Ratios ``r_p, r_q`` of every partial pair ``(p, q)`` of two different voices.
    cross_weight : (P*P,) or (B, K, P*P)
        Their pair weights.
    """
    f = f0_hz.unsqueeze(-1)  # (B, V, 1) Hz
    within = pair_terms(f * within_ratios[0], f * within_ratios[1], within_weight, model)
    total = within.sum((-1, -2))  # (B,)
    if f_low_voice.shape[-1] > 0:
        f_a = f_low_voice.unsqueeze(-1) * cross_ratios[0]  # (B, K, P*P) Hz
        f_b = f_high_voice.unsqueeze(-1) * cross_ratios[1]  # (B, K, P*P) Hz
        total = total + pair_terms(f_a, f_b, cross_weight, model).sum((-1, -2))  # (B,)
    return total
