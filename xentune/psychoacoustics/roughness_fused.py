"""The fused roughness pair sum (opt-in): one torch.compile kernel with hand-derived gradients."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

import torch

from xentune.psychoacoustics.bands import hk_critical_bandwidth_hz, sethares_s
from xentune.psychoacoustics.roughness_pairs import (
    PairModel,
    chord_pair_sum,
)

__all__ = ["fused_chord_pair_sum"]


def _pair_terms_and_grads(
    f_a: torch.Tensor, f_b: torch.Tensor, weight: torch.Tensor, model: PairModel
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """`pair_terms` with its analytic derivatives: ``(term, dterm/df_a, dterm/df_b, term/weight)``.

    Derived by hand so that ``fused=True`` computes value and gradient in one pass over the pairs
    (measured ~5x faster than letting autograd differentiate the compiled sum). At ``f_a == f_b``
    the derivative of ``|f_a - f_b|`` is taken as 0, as autograd does.
    """
    diff = f_a - f_b  # Hz
    df = diff.abs()
    sign = torch.sign(diff)
    if model.curve == "exp":
        a_is_min = f_a < f_b
        f_min = torch.minimum(f_a, f_b)  # Hz
        s = sethares_s(f_min, d_star=model.d_star, s1=model.s1, s2=model.s2)  # 1/Hz
        x = s * df  # critical-band units
        e1 = torch.exp(-model.b1 * x)
        em = torch.expm1(-(model.b2 - model.b1) * x)
        curve = -e1 * em  # e^{-b1 x} - e^{-b2 x}
        dcurve_dx = e1 * ((model.b2 - model.b1) + model.b2 * em)  # -b1 e^{-b1 x} + b2 e^{-b2 x}
        ds_term = df * (-model.s1 / model.d_star) * s * s  # |df| ds/df_min
        zero = torch.zeros_like(ds_term)
        dx_da = s * sign + torch.where(a_is_min, ds_term, zero)
        dx_db = -s * sign + torch.where(a_is_min, zero, ds_term)
        slope = weight * dcurve_dx
        return weight * curve, slope * dx_da, slope * dx_db, curve
    f_mean = 0.5 * (f_a + f_b)  # Hz
    cbw = hk_critical_bandwidth_hz(f_mean)  # Hz
    y = df / cbw  # critical bandwidths
    e = torch.exp(1.0 - 4.0 * y)
    u = 4.0 * y * e
    inside = y <= model.cutoff
    zero = torch.zeros_like(u)
    curve = torch.where(inside, u.square(), zero)
    dcurve_dy = torch.where(inside, 8.0 * u * e * (1.0 - 4.0 * y), zero)
    common = -0.325 * y / f_mean  # y * d(1/cbw)/df_a * cbw, the same for f_b
    slope = weight * dcurve_dy
    return weight * curve, slope * (sign / cbw + common), slope * (common - sign / cbw), curve


def _chord_value_and_grads(
    f0_hz: torch.Tensor,
    f_low_voice: torch.Tensor,
    f_high_voice: torch.Tensor,
    within_ratios: torch.Tensor,
    within_weight: torch.Tensor,
    cross_ratios: torch.Tensor,
    cross_weight: torch.Tensor,
    model: PairModel,
    weight_grads: bool,
) -> tuple[torch.Tensor, ...]:
    """`chord_pair_sum` and its gradients in one pass (arguments as there).

    Returns ``total (B,)``, ``d total/d f0_hz (B, V)``, ``d total/d f_low_voice (B, K)``,
    ``d total/d f_high_voice (B, K)`` and, when ``weight_grads``, the per-chord derivatives with
    respect to the weights: ``(B, T)`` / ``(B, P*P)`` for shared weights (summed over voices),
    ``(B, V, T)`` / ``(B, K, P*P)`` for per-chord weights; else two ``None``.
    """
    f = f0_hz.unsqueeze(-1)  # (B, V, 1) Hz
    r_a, r_b = within_ratios[0], within_ratios[1]  # (T,)
    term, d_a, d_b, curve = _pair_terms_and_grads(f * r_a, f * r_b, within_weight, model)
    # Reduce over the last axis first: the value and the gradients then share one loop.
    total = term.sum(-1).sum(-1)  # (B,)
    grad_f0 = (d_a * r_a + d_b * r_b).sum(-1)  # (B, V)
    curve_w = None
    if weight_grads:
        curve_w = curve if within_weight.dim() == 3 else curve.sum(-2)  # (B, V, T) or (B, T)
    n_pairs = f_low_voice.shape[-1]
    grad_lo = torch.zeros_like(f_low_voice)  # (B, K)
    grad_hi = torch.zeros_like(f_high_voice)
    curve_c = None
    if n_pairs > 0:
        c_a, c_b = cross_ratios[0], cross_ratios[1]  # (P*P,)
        f_a = f_low_voice.unsqueeze(-1) * c_a  # (B, K, P*P) Hz
        f_b = f_high_voice.unsqueeze(-1) * c_b
        term, d_a, d_b, curve = _pair_terms_and_grads(f_a, f_b, cross_weight, model)
        total = total + term.sum(-1).sum(-1)
        grad_lo = (d_a * c_a).sum(-1)  # (B, K)
        grad_hi = (d_b * c_b).sum(-1)
        if weight_grads:
            curve_c = curve if cross_weight.dim() == 3 else curve.sum(-2)
    elif weight_grads:
        curve_c = torch.zeros(
            (f0_hz.shape[0], *cross_weight.shape[-1:]), dtype=f0_hz.dtype, device=f0_hz.device
        )
    return total, grad_f0, grad_lo, grad_hi, curve_w, curve_c


@functools.cache
def _compiled(kind: str, model_name: str) -> Callable[..., tuple[torch.Tensor, ...]]:
    """``torch.compile`` (inductor) of the value kernel or the value-and-gradient kernel."""
    fn = chord_pair_sum if kind == "value" else _chord_value_and_grads
    return torch.compile(fn, dynamic=None)


class _FusedChordSum(torch.autograd.Function):
    """The compiled chord sum with hand-derived gradients computed in the same pass.

    First-order only (``once_differentiable``): enough for training, not for Hessians.
    """

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx,
        f0_hz: torch.Tensor,
        f_low_voice: torch.Tensor,
        f_high_voice: torch.Tensor,
        within_ratios: torch.Tensor,
        within_weight: torch.Tensor,
        cross_ratios: torch.Tensor,
        cross_weight: torch.Tensor,
        model: PairModel,
    ) -> torch.Tensor:
        needs = ctx.needs_input_grad  # type: ignore[attr-defined]
        weight_grads = bool(needs[4] or needs[6])
        total, g_f0, g_lo, g_hi, curve_w, curve_c = _compiled("grad", model.name)(
            f0_hz,
            f_low_voice,
            f_high_voice,
            within_ratios,
            within_weight,
            cross_ratios,
            cross_weight,
            model,
            weight_grads,
        )
        ctx.save_for_backward(g_f0, g_lo, g_hi, curve_w, curve_c)
        ctx.weight_dims = (within_weight.dim(), cross_weight.dim())  # type: ignore[attr-defined]
        return total

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(  # type: ignore[override]
        ctx: torch.autograd.function.FunctionCtx, grad_total: torch.Tensor
    ) -> tuple[torch.Tensor | None, ...]:
        g_f0, g_lo, g_hi, curve_w, curve_c = ctx.saved_tensors  # type: ignore[attr-defined]
        needs = ctx.needs_input_grad  # type: ignore[attr-defined]
        g = grad_total.unsqueeze(-1)  # (B, 1)
        grads: list[torch.Tensor | None] = [g * g_f0, g * g_lo, g * g_hi, None, None, None, None]
        for slot, curve, dims in (
            (4, curve_w, ctx.weight_dims[0]),
            (6, curve_c, ctx.weight_dims[1]),
        ):  # type: ignore[attr-defined]
            if needs[slot]:
                grads[slot] = g.unsqueeze(-1) * curve if dims == 3 else (g * curve).sum(0)
        return (*grads, None)


_FUSION_BROKEN: list[str] = []  # the reason, once torch.compile has failed in this process


def fused_chord_pair_sum(*args: torch.Tensor, model: PairModel) -> torch.Tensor:
    """`chord_pair_sum` compiled (with fused gradients when any input needs one); falls back to
    eager, with one warning, if compilation fails."""
    if not _FUSION_BROKEN:
        try:
            f0, f_lo, f_hi, _, within_weight, _, cross_weight = args
            for t in (f0, f_lo, f_hi, within_weight, cross_weight):
                if t.dim() in (2, 3) and t.shape[0] == f0.shape[0]:
                    # the chord batch may change between calls: compile once for any size
                    torch._dynamo.maybe_mark_dynamic(t, 0)
            if torch.is_grad_enabled() and any(t.requires_grad for t in args):
                return _FusedChordSum.apply(*args, model)
            return _compiled("value", model.name)(*args, model)
        except Exception as exc:  # any compiler failure means "run eager"
            _FUSION_BROKEN.append(f"{type(exc).__name__}: {exc}".splitlines()[0])
            warnings.warn(
                f"chord_roughness(fused=True): torch.compile is unavailable here "
                f"({_FUSION_BROKEN[0][:200]}); using the eager kernel",
                RuntimeWarning,
                stacklevel=3,
            )
    return chord_pair_sum(*args, model)
