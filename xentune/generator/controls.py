"""Scoring samples beside their controls: uniform random chords and the untrained generator, raw and refined."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from xentune.spectrum import Spectrum
from xentune.tuning.criteria import CriteriaResult, check_criteria
from xentune.tuning.emergence import (
    emergent_edos,
    emergent_scale,
    near_minimum_fraction,
    period_guide,
)

__all__ = [
    "DISTINCT_CHORD_CENTS",
    "NEAR_MINIMUM_CENTS",
    "SOURCES",
    "SampleScore",
    "distinct_chord_fraction",
    "random_chords",
    "score_samples",
]

#: Where a set of samples came from: the trained generator, the same generator before training
#: (its initial weights, from the same seed) and uniform random chords over the energy's range.
SOURCES = ("trained", "untrained", "random")

#: An interval sounding together "is" at a curve minimum within this many cents (issue 13).
NEAR_MINIMUM_CENTS = 15.0

#: Two chords are the same chord when every voice is within this many cents: the width of the
#: near-minimum test, and 3.5 standard deviations of the gap between two draws of one degree
#: with the scale generator's note jitter at its bound (3 cents). At 10 cents with the earlier
#: 6-cent bound, the jitter alone made about two thirds of repeated chords count as new ones
#: (harmonic seed 12: 0.77 distinct as drawn, 0.57 with the jitter turned off).
DISTINCT_CHORD_CENTS = 15.0


@dataclass(frozen=True)
class SampleScore:
    """The emergence metrics of one set of pieces (one row of the controls table).

    Parameters
    ----------
    source : str
        ``trained``, ``untrained`` or ``random`` (see `SOURCES`).
    stage : str
        ``raw`` (as sampled) or ``refined`` (after the run's refinement steps on the energy).
    period_cents, period_source, period_similarity :
        The period found in these pieces (see `xentune.tuning.emergence.EmergentScale`).
    steps_cents : tuple of float
        The emergent steps.
    peakedness_nats : float
        KL divergence of the pooled interval density from flat, nats.
    near_minimum_fraction : float
        Share of the intervals sounding together within `NEAR_MINIMUM_CENTS` of a curve minimum.
    chance_fraction : float
        The share a uniform spread of intervals would reach.
    distinct_chord_fraction : float
        Distinct chords over all chords (see `distinct_chord_fraction`).
    best_edo : int or None
        Best equal division of the period (5..31).
    criteria : CriteriaResult or None
        The timbre's emergence criteria (``None`` for a timbre without criteria).
    """

    source: str
    stage: str
    period_cents: float
    period_source: str
    period_similarity: float | None
    steps_cents: tuple[float, ...]
    peakedness_nats: float
    near_minimum_fraction: float
    chance_fraction: float
    distinct_chord_fraction: float
    best_edo: int | None
    criteria: CriteriaResult | None

    @property
    def passed(self) -> bool | None:
        """Criteria met (``None``: the timbre has none)."""
        return None if self.criteria is None else self.criteria.passed

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "source": self.source,
            "stage": self.stage,
            "period_cents": self.period_cents,
            "period_source": self.period_source,
            "period_similarity": self.period_similarity,
            "steps_cents": list(self.steps_cents),
            "peakedness_nats": self.peakedness_nats,
            "near_minimum_fraction": self.near_minimum_fraction,
            "chance_fraction": self.chance_fraction,
            "distinct_chord_fraction": self.distinct_chord_fraction,
            "best_edo": self.best_edo,
            "criteria_passed": self.passed,
            "criteria_failures": [] if self.criteria is None else list(self.criteria.failures),
        }


def random_chords(
    n_pieces: int,
    *,
    voices: int,
    steps: int,
    low_cents: float,
    high_cents: float,
    generator: torch.Generator,
) -> torch.Tensor:
    """Uniform random chords: every pitch uniform in ``[low_cents, high_cents]``, voices sorted.

    Returns
    -------
    Tensor, shape (n_pieces, voices, steps)
        Pitches in cents (float32, on ``generator``'s device); voice 0 the lowest.
    """
    u = torch.rand(n_pieces, voices, steps, generator=generator, device=generator.device)
    cents = low_cents + (high_cents - low_cents) * u  # (S, V, T) cents
    return cents.sort(dim=1).values


def distinct_chord_fraction(
    pieces_cents: np.ndarray, *, tolerance_cents: float = DISTINCT_CHORD_CENTS
) -> float:
    """Share of distinct chords among all chords of the pieces (1 = no chord repeats).

    Chords are compared pitch by pitch (voices sorted): two chords are the same when every voice
    is within ``tolerance_cents``. Counted greedily: each chord not the same as one already kept
    is a new distinct chord. A generator collapsed onto one chord scores ``1 / (S T)``.

    Parameters
    ----------
    pieces_cents : np.ndarray, shape (S, V, T)
    """
    x = np.asarray(pieces_cents, dtype=np.float64)
    chords = np.sort(x.transpose(0, 2, 1).reshape(-1, x.shape[1]), axis=1)  # (S*T, V) cents
    if chords.shape[0] == 0:
        return 0.0
    gaps = np.abs(chords[:, None, :] - chords[None, :, :]).max(axis=2)  # (N, N) cents
    same = gaps <= tolerance_cents
    kept: list[int] = []
    for i in range(chords.shape[0]):
        if not any(same[i, k] for k in kept):
            kept.append(i)
    return len(kept) / chords.shape[0]


def score_samples(
    pieces_cents: np.ndarray | torch.Tensor,
    *,
    source: str,
    stage: str,
    timbre: str,
    spectrum: Spectrum,
    minima_cents: tuple[float, ...],
) -> SampleScore:
    """Every metric of one set of pieces, as the run reports it for the generator and its controls.

    The period is found in the pieces alone; the share near the curve minima folds the intervals
    with the timbre's own period (the curve minima belong to the timbre).
    """
    if isinstance(pieces_cents, torch.Tensor):
        x = pieces_cents.detach().to("cpu", torch.float64).numpy()
    else:
        x = np.asarray(pieces_cents, dtype=np.float64)
    scale = emergent_scale(x, spectrum=spectrum)
    edos = emergent_edos(scale, n_range=range(5, 32), top=1)
    timbre_period, _ = period_guide(spectrum)
    one_period = [m for m in minima_cents if 0.0 < m <= timbre_period + NEAR_MINIMUM_CENTS]
    near, chance = near_minimum_fraction(
        x, minima_cents=one_period, period_cents=timbre_period, tolerance_cents=NEAR_MINIMUM_CENTS
    )
    return SampleScore(
        source=source,
        stage=stage,
        period_cents=float(scale.period_cents),
        period_source=scale.period_source,
        period_similarity=scale.period_similarity,
        steps_cents=tuple(float(s) for s in scale.steps_cents),
        peakedness_nats=float(scale.peakedness),
        near_minimum_fraction=near,
        chance_fraction=chance,
        distinct_chord_fraction=distinct_chord_fraction(x),
        best_edo=edos[0].n if edos else None,
        criteria=check_criteria(timbre, scale, edos),
    )
