"""The report's findings: agreement of the degrees with curve minima and simple ratios, in words."""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from xentune.report.model import (
    Agreement,
    Analysis,
    Step,
)
from xentune.tuning.conventions import (
    AGREEMENT_TOLERANCE_CENTS,
    JUST_TOLERANCE_CENTS,
    LANDMARK_HIT_CENTS,
    SIMPLE_ODD_LIMIT,
)


def _sg(x: float, decimals: int = 1) -> str:
    """A signed number for prose, with no "-0.0"."""
    return f"{round(x, decimals) + 0.0:+.{decimals}f}"


def _agreement(steps: list[Step]) -> Agreement | None:
    """Count the degrees (the period included) near a curve minimum and near a simple just ratio."""
    inner = [
        s
        for s in steps
        if s.minimum_offset_cents is not None and s.simple_ratio_error_cents is not None
    ]
    if not inner:
        return None
    mins = np.array([abs(s.minimum_offset_cents) for s in inner])  # type: ignore[arg-type]
    just = np.array([abs(s.simple_ratio_error_cents) for s in inner])  # type: ignore[arg-type]
    tol = AGREEMENT_TOLERANCE_CENTS
    n, n_min, n_just = len(inner), int((mins <= tol).sum()), int((just <= tol).sum())
    m_mean, j_mean = float(mins.mean()), float(just.mean())
    counts = (
        f"{n_min} of {n} degrees lie within {tol:g} cents of the timbre's dissonance-curve minima "
        f"(mean |offset| {m_mean:.1f} cents), {n_just} of {n} within {tol:g} cents of a simple just "
        f"ratio (odd limit <= {SIMPLE_ODD_LIMIT}; mean |error| {j_mean:.1f} cents)"
    )
    near_min, near_just = mins <= tol, just <= tol
    if near_min.any() and (near_min == near_just).all():  # the same degrees are near both
        rest = n - n_min
        follows = "both"
        verdict = f"{counts}: for this timbre the curve minima are the just ratios" + (
            f" ({rest} of {n} degrees are near neither)." if rest else "."
        )
    elif n_min > n_just:
        follows, verdict = (
            "curve minima",
            f"{counts}: the degrees follow the curve minima, not just intonation.",
        )
    elif n_just > n_min:
        follows, verdict = (
            "just ratios",
            f"{counts}: the degrees follow just ratios more than the curve minima.",
        )
    else:
        follows, verdict = "neither", f"{counts}: neither explains the degrees better."
    return Agreement(
        n_degrees=n,
        tolerance_cents=tol,
        n_near_minimum=n_min,
        n_near_simple_ratio=n_just,
        mean_abs_minimum_offset_cents=m_mean,
        max_abs_minimum_offset_cents=float(mins.max()),
        mean_abs_simple_ratio_error_cents=j_mean,
        follows=follows,
        verdict=verdict,
    )


def _with_findings(a: Analysis) -> Analysis:
    """The report's headline sentences, every number taken from ``a``."""
    out = [a.period.description]
    if a.emergence is not None and a.emergence.period_source != "data":
        out.append(
            "The pieces show no period of their own (no lag of 1000-1450 cents makes the interval "
            f"density match itself), so the period above is the {a.emergence.period_source}'s, "
            "not the data's."
        )
    parts = []
    for s in a.scale_steps:
        if s.just_ratios:
            j = s.just_ratios[0]
            parts.append(f"{s.cents:.1f} c ≈ {j.ratio} ({_sg(j.error_cents)} c)")
        else:
            parts.append(f"{s.cents:.1f} c (no just ratio within {JUST_TOLERANCE_CENTS:g} c)")
    noun = "emergent steps" if a.kind in ("run", "score") else "degrees below the period"
    if parts:
        out.append(f"{len(a.scale_steps)} {noun}: " + "; ".join(parts) + ".")
    elif a.kind in ("run", "score"):
        out.append(
            "No emergent steps: the interval density has no peak above its noise floor "
            "(the pieces use intervals evenly, as at a high temperature)."
        )
    else:
        out.append("The scale has no degree below its period.")
    if a.edo.best and parts:
        best = ", ".join(
            f"{e.n}-EDO ({e.rms_error_cents:.1f} c RMS, {100 * e.relative_rms_error:.1f}% of a step)"
            for e in a.edo.best
        )
        out.append(
            f"Best equal divisions of the period (n = {a.edo.n_min}..{a.edo.n_max}): {best}."
        )
    if a.controls is not None:
        out.append(a.controls.verdict)
    if a.agreement is not None:
        out.append(a.agreement.verdict)
    fifth = next((lm for lm in a.landmarks if lm.ratio == "3/2"), None)
    if fifth is not None and fifth.degree_offset_cents is not None and a.scale_steps:
        hit = abs(fifth.degree_offset_cents) <= LANDMARK_HIT_CENTS
        text = (
            f"3/2 ({fifth.cents:.1f} c): the nearest degree is {fifth.nearest_degree_cents:.1f} c "
            f"({_sg(fifth.degree_offset_cents)} c), "
            + (
                "a just fifth."
                if hit
                else f"so no degree lies within {LANDMARK_HIT_CENTS:g} c of 3/2."
            )
        )
        if fifth.nearest_minimum_cents is not None:
            text += (
                f" The timbre's curve minimum nearest 3/2 is at {fifth.nearest_minimum_cents:.1f} c "
                f"({_sg(fifth.minimum_offset_cents)} c from 3/2)."
            )
        out.append(text)
    return Analysis(**{**{f.name: getattr(a, f.name) for f in fields(a)}, "findings": tuple(out)})
