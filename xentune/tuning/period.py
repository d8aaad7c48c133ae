"""The period of an interval system found from the data alone: the lag of best self-similarity."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

from xentune.tuning.conventions import CURVE_MAX_RATIO
from xentune.units import ratio_to_cents

if TYPE_CHECKING:
    from xentune.spectrum import Spectrum

__all__ = [
    "parabolic_offset",
    "DEFAULT_BANDWIDTH_CENTS",
    "MIN_STEP_CENTS",
    "PERIOD_MIN_OVERLAP_CENTS",
    "PERIOD_MIN_SIMILARITY",
    "PERIOD_SEARCH_CENTS",
    "PERIOD_TREND_CENTS",
    "find_period",
    "period_guide",
    "period_self_similarity",
]

#: Kernel width (standard deviation of the wrapped Gaussian) of the interval density, in cents.
#: 5 cents is below the 10-cent tolerance of the emergence checks and about the width of the
#: smallest interval difference listeners can tell apart in isolated dyads (~5 cents), yet wide
#: enough that a few thousand intervals give a smooth density (see `_noise_floor`).
DEFAULT_BANDWIDTH_CENTS = 5.0
#: Window of lags in which the period is looked for, in cents: every octave-like interval
#: (compressed 1000-cent to stretched 1450-cent "octaves"; the 2.1 pseudo-octave is 1284.4).
PERIOD_SEARCH_CENTS = (1000.0, 1450.0)
#: Width of the broad kernel whose density is subtracted before the self-similarity is measured,
#: in cents: the pooled density falls with the interval's size and bulges where voices like to
#: sit; subtracting a 40-cent smoothing keeps only structure as fine as a scale step, so the lag
#: is matched on peaks, not on the envelope.
PERIOD_TREND_CENTS = 40.0
#: Smallest self-similarity (correlation, -1..1) of the density with itself shifted by the
#: period for the period to count as found in the data. Uniform random pitches (16 pieces of
#: 4 voices x 8 chords, ~1000 intervals) give a best correlation of 0.17-0.22 over the window,
#: refined samples of any preset timbre 0.66-0.88 (measured 2026-12-03); 0.35 lies between.
PERIOD_MIN_SIMILARITY = 0.35
#: Shortest stretch of intervals (cents) that the density and its shifted copy must share.
PERIOD_MIN_OVERLAP_CENTS = 200.0
#: Peaks closer than this to 0 (or to the period) are the unison/period itself, not a step.
MIN_STEP_CENTS = 20.0


def parabolic_offset(left: float, mid: float, right: float) -> float:
    """Sub-cell position of a maximum from three samples (in cells, within [-0.5, 0.5])."""
    denom = left - 2.0 * mid + right
    if denom >= 0:
        return 0.0
    return float(np.clip(0.5 * (left - right) / denom, -0.5, 0.5))


def period_guide(spectrum: Spectrum | None) -> tuple[float, str]:
    """The timbre's own period: a stand-in when the data show none, and a comparison column.

    Never used to find the period in the data (`find_period` knows nothing of the timbre).

    Returns
    -------
    period_cents : float
        ``1200 log2(pseudo_octave)`` when the timbre defines one; otherwise the deepest minimum of
        its dissonance curve between 1000 and 1500 cents (the interval that plays the octave's
        role for that timbre); otherwise 1200.
    source : str
        ``"timbre"`` or ``"default"``.
    """
    if spectrum is None:
        return 1200.0, "default"
    if spectrum.pseudo_octave is not None:
        return ratio_to_cents(spectrum.pseudo_octave), "timbre"
    from xentune.psychoacoustics.curve import curve_minima

    candidates = [
        m
        for m in curve_minima(spectrum, ratio_range=(1.0, CURVE_MAX_RATIO))
        if 1000.0 <= m.cents <= 1500.0
    ]
    if not candidates:
        return 1200.0, "default"
    return max(candidates, key=lambda m: m.depth).cents, "timbre"


def _line_density(
    values_cents: np.ndarray, n_cells: int, *, cell_cents: float, bandwidth_cents: float
) -> np.ndarray:
    """Gaussian kernel density of ``values_cents`` on the grid ``0, cell, ..., (n_cells - 1) cell``.

    Cloud-in-cell binning, then a convolution with a Gaussian of ``bandwidth_cents`` cut at five
    standard deviations. Counts per cell (not normalised); values off the grid are dropped.
    """
    pos = values_cents / cell_cents  # (N,) in cells
    left = np.floor(pos)
    frac = pos - left
    i0 = left.astype(np.int64)
    ok = (i0 >= 0) & (i0 + 1 < n_cells)
    hist = np.bincount(i0[ok], weights=1.0 - frac[ok], minlength=n_cells)
    hist += np.bincount(i0[ok] + 1, weights=frac[ok], minlength=n_cells)
    half = int(math.ceil(5.0 * bandwidth_cents / cell_cents))
    offsets = np.arange(-half, half + 1) * cell_cents  # (K,) cents
    kernel = np.exp(-0.5 * (offsets / bandwidth_cents) ** 2)
    return np.convolve(hist, kernel / kernel.sum(), mode="same")  # (n_cells,)


def period_self_similarity(
    intervals_cents: np.ndarray,
    *,
    search_cents: tuple[float, float] = PERIOD_SEARCH_CENTS,
    bandwidth_cents: float = DEFAULT_BANDWIDTH_CENTS,
    trend_cents: float = PERIOD_TREND_CENTS,
    min_interval_cents: float = MIN_STEP_CENTS,
    min_overlap_cents: float = PERIOD_MIN_OVERLAP_CENTS,
    cell_cents: float = 0.5,
) -> tuple[np.ndarray, np.ndarray]:
    """How alike the pooled interval density is to itself shifted by each candidate period.

    The intervals (at least ``min_interval_cents``: unisons say nothing of the period) are
    smoothed on a line with a Gaussian of ``bandwidth_cents``, minus the same smoothed with
    ``trend_cents`` (the envelope). For each lag L in ``search_cents`` the correlation (cosine
    of the two detrended stretches) of ``d(x)`` and ``d(x + L)`` over the intervals both cover is
    the self-similarity at L: an interval system that repeats every P cents (a fifth and a
    twelfth, a major third and a tenth, ...) correlates at L = P. Nothing about the timbre is used.

    Parameters
    ----------
    intervals_cents : np.ndarray, shape (N,)
        Non-negative intervals in cents (`interval_pool`).

    Returns
    -------
    lags_cents : np.ndarray, shape (L,)
        Candidate periods, ``cell_cents`` apart.
    similarity : np.ndarray, shape (L,)
        Correlation in [-1, 1] at each lag; NaN where the overlap is shorter than
        ``min_overlap_cents`` (too few wide intervals to compare).
    """
    values = np.asarray(intervals_cents, dtype=np.float64)
    values = values[values >= min_interval_cents]
    lo, hi = search_cents
    lag_cells = np.arange(int(round(lo / cell_cents)), int(round(hi / cell_cents)) + 1)  # (L,)
    similarity = np.full(lag_cells.size, np.nan)
    if values.size == 0:
        return lag_cells * cell_cents, similarity
    n_cells = int((values.max() + 5.0 * trend_cents) / cell_cents) + 1
    fine = _line_density(values, n_cells, cell_cents=cell_cents, bandwidth_cents=bandwidth_cents)
    broad = _line_density(values, n_cells, cell_cents=cell_cents, bandwidth_cents=trend_cents)
    d = fine - broad  # (n_cells,) detrended counts per cell
    start = int(round(min_interval_cents / cell_cents))
    min_overlap = int(round(min_overlap_cents / cell_cents))
    for i, lag in enumerate(lag_cells):
        a, b = d[start : n_cells - lag], d[start + lag : n_cells]  # d(x), d(x + L)
        if a.size < min_overlap:
            continue
        norm = math.sqrt(float((a * a).sum() * (b * b).sum()))
        similarity[i] = float((a * b).sum()) / norm if norm > 0 else 0.0
    return lag_cells * cell_cents, similarity


def find_period(
    intervals_cents: np.ndarray,
    *,
    search_cents: tuple[float, float] = PERIOD_SEARCH_CENTS,
    bandwidth_cents: float = DEFAULT_BANDWIDTH_CENTS,
    min_similarity: float = PERIOD_MIN_SIMILARITY,
) -> tuple[float, float] | None:
    """The period from the data alone: the lag of best self-similarity of the interval density.

    See `period_self_similarity`. The best lag must be an interior maximum of the window (not a
    slope running out of it) and its correlation at least ``min_similarity``; it is refined below
    the half-cent grid by a parabola.

    Returns
    -------
    (period_cents, similarity) or None
        ``None`` when the data show no period (too few wide intervals, or no lag correlates).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> steps = np.array([0.0, 386.3, 702.0])  # a major triad, repeated every 1200 cents
    >>> x = rng.choice(steps, 4000) + 1200.0 * rng.integers(0, 3, 4000) + rng.normal(0, 2, 4000)
    >>> intervals = np.abs(x[:2000] - x[2000:])
    >>> round(find_period(intervals)[0])
    1200
    """
    lags, similarity = period_self_similarity(
        intervals_cents, search_cents=search_cents, bandwidth_cents=bandwidth_cents
    )
    if not np.isfinite(similarity).any():
        return None
    best = int(np.nanargmax(similarity))
    if best == 0 or best == similarity.size - 1 or similarity[best] < min_similarity:
        return None
    left, mid, right = similarity[best - 1], similarity[best], similarity[best + 1]
    offset = parabolic_offset(left, mid, right) if np.isfinite([left, right]).all() else 0.0
    cell = lags[1] - lags[0]
    return float(lags[best] + offset * cell), float(mid)
