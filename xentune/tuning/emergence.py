"""The emergent interval system of generated music: period, circular interval density and its peaks."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from scipy.signal import find_peaks

from xentune.errors import ConfigError
from xentune.tuning.conventions import CRITERIA_EDO_RANGE, EDO_TOP
from xentune.tuning.period import (
    DEFAULT_BANDWIDTH_CENTS,
    MIN_STEP_CENTS,
    find_period,
    parabolic_offset,
    period_guide,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from xentune.spectrum import Spectrum
    from xentune.tuning.edo import EdoFit
    from xentune.tuning.scale import Scale

__all__ = [
    "DEFAULT_BANDWIDTH_CENTS",
    "EmergentScale",
    "circular_density",
    "emergent_edos",
    "emergent_scale",
    "interval_pool",
    "near_minimum_fraction",
    "peakedness",
    "period_guide",  # re-exported: generator/controls.py imports it from here
]


#: Spacing of the density grid in cents; peak positions are refined below it by a parabola.
GRID_STEP_CENTS = 0.1


#: Half width of the neighbourhood in which a peak's prominence is measured, in cents.
PEAK_WINDOW_CENTS = 50.0

#: Smallest melodic interval `emergent_scale` pools by default: leaps larger than a whole tone.
#: Smaller melodic steps reflect the energy's preference for small steps (they made peaks at 69
#: and 133 cents for ``harmonic``, near no curve minimum); leaps are where the consonance of
#: successive chords speaks. Chosen on the 12 runs of ``scripts/emergence_check.py``: pooling
#: steps from 20 cents, leaps from 250 cents, or no melodic intervals passed 12, 12 and 11 of them.
MIN_LEAP_CENTS = 250.0


@dataclass(frozen=True)
class EmergentScale:
    """The interval system found in generated music.

    Parameters
    ----------
    period_cents : float
        The interval of equivalence (octave or pseudo-octave), in cents.
    steps_cents : tuple of float
        Peaks of the interval density, ascending, inside ``(0, period_cents)``, in cents.
    strengths : tuple of float
        Height of each peak relative to a flat density (1 = no preference; 5 = five times as
        likely as under a uniform spread of intervals).
    grid_cents : np.ndarray, shape (G,)
        The grid ``[0, period_cents)`` on which the density is evaluated, in cents.
    density : np.ndarray, shape (G,)
        Circular kernel density of the intervals reduced modulo the period, in 1/cent
        (integrates to 1 over the period).
    n_intervals : int
        Number of intervals pooled.
    prominences : tuple of float
        Prominence of each peak (height above the higher of its two flanking minima), relative
        to a flat density.
    period_source : str
        ``"data"`` (the lag of best self-similarity of the interval density, `find_period`;
        nothing about the timbre was used), ``"timbre"`` (the data showed no period, so the
        timbre's pseudo-octave or octave-like curve minimum stands in, `period_guide`),
        ``"given"`` or ``"default"`` (1200 cents: no period in the data and no timbre).
    bandwidth_cents : float
        Kernel width used, in cents.
    period_similarity : float or None
        Self-similarity (correlation) of the interval density at the period lag, when the period
        came from the data; ``None`` otherwise.
    """

    period_cents: float
    steps_cents: tuple[float, ...]
    strengths: tuple[float, ...]
    grid_cents: np.ndarray = field(compare=False, repr=False)
    density: np.ndarray = field(compare=False, repr=False)
    n_intervals: int = 0
    prominences: tuple[float, ...] = ()
    period_source: str = "data"
    bandwidth_cents: float = DEFAULT_BANDWIDTH_CENTS
    period_similarity: float | None = None

    @property
    def n_steps(self) -> int:
        """Number of emergent steps (the period not counted)."""
        return len(self.steps_cents)

    @property
    def peakedness(self) -> float:
        """Kullback-Leibler divergence of the interval density from a flat one, in nats.

        0 for intervals spread evenly over the period; ``log(period / (sqrt(2 pi e) h))`` (about
        3.3 nats for a 1200-cent period and h = 5 cents) when every interval is the same. It is the
        number Must-show 5 reports for three temperatures.
        """
        return peakedness(self.density, period_cents=self.period_cents)

    def to_scale(self, *, description: str | None = None) -> Scale:
        """The steps and the period as a `Scale` (cents degrees, the period last)."""
        from xentune.tuning.scale import Scale

        if description is None:
            description = f"xentune emergent scale: {self.n_steps} steps in a {self.period_cents:.2f}-cent period"
        return Scale.from_cents([*self.steps_cents, self.period_cents], description=description)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (the density grid is left out: it is large and can be recomputed)."""
        return {
            "period_cents": self.period_cents,
            "period_source": self.period_source,
            "period_similarity": self.period_similarity,
            "steps_cents": list(self.steps_cents),
            "strengths": list(self.strengths),
            "prominences": list(self.prominences),
            "n_intervals": self.n_intervals,
            "bandwidth_cents": self.bandwidth_cents,
            "peakedness_nats": self.peakedness,
        }


def peakedness(density: np.ndarray, *, period_cents: float) -> float:
    """KL divergence of a circular density (1/cent on a uniform grid over one period) from flat, in nats."""
    p = np.asarray(density, dtype=np.float64)
    dx = period_cents / p.size  # cents per grid cell
    mass = p * dx  # probability per cell
    uniform = 1.0 / p.size
    nz = mass > 0
    return float(np.sum(mass[nz] * np.log(mass[nz] / uniform)))


# --------------------------------------------------------------------------------------------
# Intervals


def _as_numpy(pieces_cents: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(pieces_cents, torch.Tensor):
        return pieces_cents.detach().to("cpu", torch.float64).numpy()
    return np.asarray(pieces_cents, dtype=np.float64)


def interval_pool(
    pieces_cents: np.ndarray | torch.Tensor,
    *,
    include_successive: bool = True,
    min_successive_cents: float = MIN_STEP_CENTS,
) -> np.ndarray:
    """All intervals between simultaneous voices (and, optionally, successive notes of a voice).

    Parameters
    ----------
    pieces_cents : array or Tensor, shape (S, V, T)
        Pitches in cents of S pieces, V voices, T time steps (one chord per step).
    include_successive : bool
        Also pool the melodic intervals ``|x[s, v, t+1] - x[s, v, t]|``. Repeated (or nearly
        repeated) notes, closer than ``min_successive_cents``, are left out: they are held notes,
        not intervals, and would only pile mass on the unison.
    min_successive_cents : float
        See ``include_successive``.

    Returns
    -------
    np.ndarray, shape (N,)
        Non-negative intervals in cents, ``N = S T V (V - 1) / 2`` simultaneous ones first.
    """
    x = _as_numpy(pieces_cents)
    if x.ndim != 3:
        raise ConfigError(f"pieces have shape {tuple(x.shape)}; expected (pieces, voices, steps)")
    if not np.all(np.isfinite(x)):
        raise ConfigError(
            "pieces contain NaN or infinite pitches; only finite cents can be analysed"
        )
    n_voices = x.shape[1]
    i, j = np.triu_indices(n_voices, k=1)
    simultaneous = np.abs(x[:, i, :] - x[:, j, :]).reshape(-1)  # (S * pairs * T,)
    if not include_successive or x.shape[2] < 2:
        return simultaneous
    melodic = np.abs(np.diff(x, axis=2)).reshape(-1)  # (S * V * (T - 1),)
    melodic = melodic[melodic >= min_successive_cents]
    return np.concatenate([simultaneous, melodic])


def near_minimum_fraction(
    pieces_cents: np.ndarray | torch.Tensor,
    *,
    minima_cents: Sequence[float],
    period_cents: float,
    tolerance_cents: float = 15.0,
) -> tuple[float, float]:
    """Share of the intervals sounding together that lie within ``tolerance_cents`` of a curve minimum.

    Simultaneous intervals only (the melodic ones are not heard as dyads). Intervals and minima
    are reduced modulo ``period_cents`` (a minimum at the period itself counts as the unison too),
    so compound intervals count with their simple form, and the share a uniform spread of
    intervals would reach, the ``chance`` level, is the part of the circle the windows cover
    (17.5% for the seven minima of ``harmonic`` in 1..1200 cents and 15 cents).

    Parameters
    ----------
    pieces_cents : array or Tensor, shape (S, V, T)
        Pitches in cents.
    minima_cents : sequence of float
        The timbre's dissonance-curve minima in cents.
    period_cents : float
        The timbre's own period, in cents (the curve minima repeat with it).
    tolerance_cents : float
        Half width of the window around each minimum.

    Returns
    -------
    fraction : float
        Share of simultaneous intervals near a minimum, 0..1.
    chance : float
        Share a uniform spread of intervals would reach, 0..1.
    """
    intervals = np.mod(interval_pool(pieces_cents, include_successive=False), period_cents)
    minima = np.unique(np.mod(np.asarray(list(minima_cents), dtype=np.float64), period_cents))
    if minima.size == 0 or intervals.size == 0:
        return 0.0, 0.0
    d = np.abs(intervals[:, None] - minima[None, :])  # (N, M) cents
    d = np.minimum(d, period_cents - d)  # circular distance
    fraction = float(np.mean(d.min(axis=1) <= tolerance_cents))
    grid = np.arange(0.0, period_cents, 0.1)  # the covered share of the circle, 0.1-cent grid
    g = np.abs(grid[:, None] - minima[None, :])
    g = np.minimum(g, period_cents - g)
    chance = float(np.mean(g.min(axis=1) <= tolerance_cents))
    return fraction, chance


# --------------------------------------------------------------------------------------------
# The period


# --------------------------------------------------------------------------------------------
# The circular density and its peaks


def circular_density(
    reduced_cents: np.ndarray,
    *,
    period_cents: float,
    bandwidth_cents: float = DEFAULT_BANDWIDTH_CENTS,
    grid_step_cents: float = GRID_STEP_CENTS,
) -> tuple[np.ndarray, np.ndarray]:
    """Wrapped-Gaussian kernel density of intervals on the circle ``[0, period_cents)``.

    The intervals are binned on a fine grid with linear (cloud-in-cell) weights, so binning moves
    no mass by more than the grid step, then convolved circularly (FFT) with a Gaussian of
    standard deviation ``bandwidth_cents`` wrapped onto the circle.

    Parameters
    ----------
    reduced_cents : np.ndarray, shape (N,)
        Intervals in cents (any real values; they are reduced modulo the period here).
    period_cents : float
        Circumference of the circle, in cents.

    Returns
    -------
    grid_cents : np.ndarray, shape (G,)
    density : np.ndarray, shape (G,)
        In 1/cent; ``density.sum() * period_cents / G == 1``.
    """
    n_grid = max(int(round(period_cents / grid_step_cents)), 16)
    dx = period_cents / n_grid  # cents per cell
    grid = np.arange(n_grid) * dx
    values = np.mod(np.asarray(reduced_cents, dtype=np.float64), period_cents)
    pos = values / dx  # in cells
    left = np.floor(pos)
    frac = pos - left
    i0 = left.astype(np.int64) % n_grid
    hist = np.bincount(i0, weights=1.0 - frac, minlength=n_grid)
    hist += np.bincount((i0 + 1) % n_grid, weights=frac, minlength=n_grid)
    # Wrapped Gaussian: sum the images of the kernel one period either side.
    dist = (
        np.minimum(np.arange(n_grid), n_grid - np.arange(n_grid)) * dx
    )  # circular distance, cents
    kernel = np.zeros(n_grid)
    for shift in (-period_cents, 0.0, period_cents):
        kernel += np.exp(-0.5 * ((dist + shift) / bandwidth_cents) ** 2)
    kernel /= kernel.sum()
    smooth = np.fft.irfft(np.fft.rfft(hist) * np.fft.rfft(kernel), n=n_grid)
    smooth = np.maximum(smooth, 0.0)  # FFT round-off can leave -1e-17
    total = smooth.sum()
    density = smooth / (total * dx) if total > 0 else np.full(n_grid, 1.0 / period_cents)
    return grid, density


def _noise_floor(n_intervals: int, *, period_cents: float, bandwidth_cents: float) -> float:
    """Standard deviation, relative to a flat density, of a kernel density of N uniform intervals.

    A Gaussian kernel of width h sees about ``N * 2 sqrt(pi) h / period`` effective samples, so the
    relative standard deviation of a flat density estimate is one over its square root.
    """
    effective = n_intervals * 2.0 * math.sqrt(math.pi) * bandwidth_cents / period_cents
    return 1.0 / math.sqrt(max(effective, 1e-12))


def _circular_peaks(
    density: np.ndarray, *, period_cents: float, min_prominence: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Peaks of a circular density: positions (cents), heights and prominences (relative to flat)."""
    rel = density * period_cents  # relative to a flat density
    n_grid = rel.size
    dx = period_cents / n_grid
    start = int(np.argmin(rel))
    rolled = np.roll(
        rel, -start
    )  # the global minimum first: linear prominences equal circular ones
    # Prominence judged within +-PEAK_WINDOW_CENTS: a broad hump (the generator avoiding small
    # intervals, say) is a trend, not a step, and must not count as a peak.
    window = int(round(2 * PEAK_WINDOW_CENTS / dx)) | 1  # odd number of cells
    idx, props = find_peaks(rolled, prominence=min_prominence, wlen=window)
    if idx.size == 0:
        empty = np.zeros(0)
        return empty, empty, empty
    heights = rolled[idx]
    offsets = np.array(
        [parabolic_offset(rolled[i - 1], rolled[i], rolled[(i + 1) % n_grid]) for i in idx],
        dtype=np.float64,
    )
    positions = np.mod((idx + start + offsets) * dx, period_cents)
    return positions, heights, props["prominences"]


def emergent_scale(
    pieces_cents: np.ndarray | torch.Tensor,
    *,
    spectrum: Spectrum | None = None,
    include_successive: bool = True,
    min_leap_cents: float = MIN_LEAP_CENTS,
    bandwidth_cents: float = DEFAULT_BANDWIDTH_CENTS,
    period_cents: float | None = None,
    min_prominence: float = 0.5,
    noise_sigmas: float = 5.0,
    min_step_cents: float = MIN_STEP_CENTS,
) -> EmergentScale:
    """The interval system of generated pieces: period, then the peaks of the interval density.

    1. Pool the intervals (`interval_pool`).
    2. Find the period: given, or from the data alone, the lag of best self-similarity of the
       interval density over 1000-1450 cents (`find_period`); only when the data show no period
       does the timbre's own period stand in (`period_guide`, ``period_source="timbre"``).
    3. Reduce every interval modulo the period and estimate its circular density
       (`circular_density`, a wrapped Gaussian of ``bandwidth_cents``).
    4. Keep the density's peaks whose prominence is at least ``min_prominence`` times a flat
       density and at least ``noise_sigmas`` standard deviations of a flat estimate from the
       same number of intervals (so that uniform intervals give no steps), and that lie more than
       ``min_step_cents`` from the unison and the period.

    Parameters
    ----------
    pieces_cents : array or Tensor, shape (S, V, T)
        Sampled pitches in cents (S pieces, V voices, T steps).
    spectrum : Spectrum, optional
        The timbre: its period stands in only when the data show none (see ``period_source``).
    include_successive : bool
        Also pool melodic intervals (see `interval_pool`) of at least ``min_leap_cents``.
    min_leap_cents : float
        Smallest melodic interval pooled (see `MIN_LEAP_CENTS`); ``min_step_cents`` (20) pools
        every melodic step, and then the small steps the pieces move by (69 and 133 cents for
        ``harmonic``, seed 0) become scale steps too, although they sit near no minimum of the
        timbre's dissonance curve.
    bandwidth_cents : float
        Kernel width in cents, > 0.
    period_cents : float, optional
        Use this period instead of finding one.

    Returns
    -------
    EmergentScale

    Raises
    ------
    ConfigError
        Bad shape, non-finite pitches, fewer than 2 voices, or bad options.
    """
    x = _as_numpy(pieces_cents)
    if x.ndim != 3 or x.shape[1] < 2 or x.shape[0] < 1 or x.shape[2] < 1:
        raise ConfigError(
            f"pieces have shape {tuple(x.shape)}; expected (pieces, voices >= 2, steps >= 1) to find intervals"
        )
    if not (math.isfinite(bandwidth_cents) and bandwidth_cents > 0):
        raise ConfigError(
            f"bandwidth_cents={bandwidth_cents}: must be a finite number > 0 (e.g. 5)"
        )
    if period_cents is not None and not (
        math.isfinite(period_cents) and period_cents > 2 * min_step_cents
    ):
        raise ConfigError(
            f"period_cents={period_cents}: must be a finite number > {2 * min_step_cents} (e.g. 1200)"
        )
    intervals = interval_pool(
        x, include_successive=include_successive, min_successive_cents=min_leap_cents
    )
    similarity: float | None = None
    if period_cents is not None:
        period, source = float(period_cents), "given"
    else:
        found = find_period(intervals, bandwidth_cents=bandwidth_cents)
        if found is not None:
            (period, similarity), source = found, "data"
        else:
            period, source = period_guide(spectrum)
    grid, density = circular_density(
        intervals, period_cents=period, bandwidth_cents=bandwidth_cents
    )
    floor = noise_sigmas * _noise_floor(
        intervals.size, period_cents=period, bandwidth_cents=bandwidth_cents
    )
    positions, heights, prominences = _circular_peaks(
        density, period_cents=period, min_prominence=max(min_prominence, floor)
    )
    keep = (positions > min_step_cents) & (positions < period - min_step_cents)
    order = np.argsort(positions[keep])
    return EmergentScale(
        period_cents=float(period),
        steps_cents=tuple(float(v) for v in positions[keep][order]),
        strengths=tuple(float(v) for v in heights[keep][order]),
        grid_cents=grid,
        density=density,
        n_intervals=int(intervals.size),
        prominences=tuple(float(v) for v in prominences[keep][order]),
        period_source=source,
        bandwidth_cents=float(bandwidth_cents),
        period_similarity=similarity,
    )


# --------------------------------------------------------------------------------------------
# Comparisons


def emergent_edos(
    scale: EmergentScale, *, n_range: range = CRITERIA_EDO_RANGE, top: int = EDO_TOP
) -> list[EdoFit]:
    """The equal divisions of the emergent period that fit the steps best (relative RMS error).

    The period is the emergent one, so for an octave period these are EDOs and for a stretched
    timbre equal divisions of its pseudo-octave. Ties go to the smallest n
    (``xentune.tuning.edo.best_edos``). Empty when there are no steps. The default range is the
    emergence criterion's (`~xentune.tuning.conventions.CRITERIA_EDO_RANGE`); an analysis of the
    scale ranks over `~xentune.tuning.conventions.EDO_RANGE` (`xentune.tuning.edo.scale_edo_fits`).
    """
    from xentune.tuning.edo import best_edos

    if not scale.steps_cents:
        return []
    return best_edos(
        list(scale.steps_cents), n_range=n_range, period_cents=scale.period_cents, top=top
    )
