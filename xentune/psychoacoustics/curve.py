"""Sethares' dyad dissonance curve of a timbre (any dissonance model) and its local minima, refined below 0.1 cent."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from scipy.signal import peak_prominences

from xentune.errors import ConfigError
from xentune.psychoacoustics.dissonance import check_dissonance_model, chord_dissonance
from xentune.spectrum import Spectrum
from xentune.units import DEFAULT_REFERENCE_HZ, cents_to_ratio, ratio_to_cents

__all__ = [
    "DIRECTION",
    "CurveMinimum",
    "DissonanceCurve",
    "curve_minima",
    "dissonance_curve",
    "dyad_dissonance",
    "minima_of_curve",
]


#: Default grid spacing of the curve, cents. Minima are found on it, then refined off-grid.
GRID_STEP_CENTS = 0.5
#: Most grid points x partial pairs one curve evaluates (2.5e8: about 10 s on one CPU thread);
#: the default 0.5-cent grid is coarsened to stay within it (256 partials over 1..16: 953 points).
CURVE_WORK_BUDGET = 250_000_000
#: Fewest grid points a coarsened curve keeps.
MIN_GRID_POINTS = 500

#: Largest ratio a curve may reach (four octaves): a sanity bound on --range.
MAX_RATIO = 16.0

#: Refinement tolerance in cents (the contract asks for better than 0.1 cent).
REFINE_XATOL_CENTS = 1e-3

#: Minima shallower than this fraction of the curve's maximum are float round-off, not dips.
MIN_RELATIVE_DEPTH = 1e-9

#: Which way a curve's ``value`` points, for every model (stored in the JSON output).
DIRECTION = "dissonance: higher = more dissonant, lower = more consonant"


@dataclass(frozen=True)
class DissonanceCurve:
    """Dissonance of the dyad (f0, r f0) of one timbre, sampled on a grid of intervals.

    Attributes
    ----------
    cents : np.ndarray, shape (G,)
        Interval above f0 in cents, ascending, evenly spaced.
    ratios : np.ndarray, shape (G,)
        The same intervals as frequency ratios (`cents_to_ratio`).
    values : np.ndarray, shape (G,)
        Dissonance of the dyad under ``model`` (the model's own units; lower = more consonant
        for every model).
    model : str
        Model name (see ``xentune.psychoacoustics.dissonance.DISSONANCE_MODELS``).
    f0_hz : float
        Frequency of the lower note, Hz.
    """

    cents: np.ndarray
    ratios: np.ndarray
    values: np.ndarray
    model: str
    f0_hz: float


@dataclass(frozen=True)
class CurveMinimum:
    """One local minimum of a dissonance curve.

    Attributes
    ----------
    cents : float
        Interval in cents, refined off the grid to < 0.1 cent.
    ratio : float
        The interval as a frequency ratio.
    value : float
        Dissonance at the minimum.
    depth : float
        Prominence of the dip (the model's units): how far the curve must rise, on the lower of its
        two sides, before it reaches a point lower than this minimum (or the end of the range).
    """

    cents: float
    ratio: float
    value: float
    depth: float


def _check_options(
    f0_hz: float, ratio_range: tuple[float, float], model: str, *, label: str = "ratio range"
) -> tuple[float, float]:
    """Validate the curve options at the library boundary; returns ``(lo, hi)`` as floats."""
    check_dissonance_model(model, what="dissonance model")
    if not (isinstance(f0_hz, int | float) and math.isfinite(f0_hz) and 0 < f0_hz <= 20000):
        raise ConfigError(f"f0 {f0_hz!r} Hz is not a frequency in (0, 20000] Hz (e.g. --f0 261.63)")
    try:
        lo, hi = (float(x) for x in ratio_range)
    except (TypeError, ValueError):
        raise ConfigError(f"ratio range {ratio_range!r} must be two numbers (e.g. 1:2.3)") from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ConfigError(f"{label} {lo:g}:{hi:g} must be finite numbers (e.g. 1:2.3)")
    if lo < 1.0:
        raise ConfigError(f"{label} {lo:g}:{hi:g}: the lower ratio must be >= 1 (e.g. 1:2.3)")
    if hi <= lo:
        raise ConfigError(
            f"{label} {lo:g}:{hi:g}: the upper ratio must be greater than the lower (e.g. 1:2.3)"
        )
    if hi > MAX_RATIO:
        raise ConfigError(
            f"{label} {lo:g}:{hi:g}: the upper ratio must be <= {MAX_RATIO:g} (e.g. 1:2.3)"
        )
    return lo, hi


def dyad_dissonance(
    cents: torch.Tensor,
    ratios: torch.Tensor,
    amps: torch.Tensor,
    *,
    f0_hz: float = DEFAULT_REFERENCE_HZ,
    model: str = "sethares",
) -> torch.Tensor:
    """Dissonance of the dyads ``(f0, f0 * 2^(cents/1200))`` of one timbre (`chord_dissonance`).

    Parameters
    ----------
    cents : Tensor, shape (...)
        Interval of the upper note above ``f0_hz``, cents. Differentiable.
    ratios, amps : Tensor, shape (P,)
        The timbre's partial ratios and amplitudes.
    f0_hz : float
        Lower note, Hz.
    model : str
        A name from ``DISSONANCE_MODELS``: a roughness model (all 2P partials pooled) or
        ``"composite"``.

    Returns
    -------
    Tensor, shape (...)
        Higher = more dissonant.
    """
    upper = f0_hz * cents_to_ratio(cents)  # (...) Hz
    f0 = torch.stack([torch.full_like(upper, f0_hz), upper], dim=-1)  # (..., 2) Hz
    return chord_dissonance(f0, ratios, amps, model=model)  # (...)


def dissonance_curve(
    spectrum: Spectrum,
    *,
    f0_hz: float = DEFAULT_REFERENCE_HZ,
    ratio_range: tuple[float, float] = (1.0, 2.3),
    model: str = "sethares",
    n_points: int | None = None,
) -> DissonanceCurve:
    """Sethares' dissonance curve: dissonance of the dyad ``(f0, r f0)`` of ``spectrum`` over ``r``.

    Both notes have the same timbre; a roughness model counts every pair of the pooled partials
    (within-tone pairs included, so the curve is not 0 at the unison); ``"composite"`` is
    `xentune.psychoacoustics.composite.composite_dissonance`. Computed in float64.

    Parameters
    ----------
    spectrum : Spectrum
        The timbre.
    f0_hz : float
        Lower note in Hz (default middle C, 261.63 Hz): minima depend on the register.
    ratio_range : (float, float)
        Interval range as frequency ratios, ``1 <= lo < hi <= 16``.
    model : str
        "sethares" (default), "sethares1993", "vassilakis", "hutchinson" or "composite"
        (``DISSONANCE_MODELS``).
    n_points : int, optional
        Grid points (>= 3), evenly spaced in cents; default one every 0.5 cent (at least 3).

    Returns
    -------
    DissonanceCurve

    Raises
    ------
    ConfigError
        Unknown model, impossible range or frequency, fewer than 3 points.

    References
    ----------
    W. A. Sethares, "Local consonance and the relationship between timbre and scale",
    JASA 94(3):1218-1228 (1993); *Tuning, Timbre, Spectrum, Scale*, 2nd ed. (2005), ch. 3.
    """
    lo, hi = _check_options(f0_hz, ratio_range, model)
    lo_cents, hi_cents = ratio_to_cents(lo), ratio_to_cents(hi)
    if n_points is None:
        n_points = max(3, math.ceil((hi_cents - lo_cents) / GRID_STEP_CENTS) + 1)
        # Work grows with points x (2 P)^2 partial pairs: past the budget the grid coarsens
        # (minima are refined off the grid by golden-section search, so they keep their precision).
        pairs = (2 * spectrum.n_partials) ** 2
        n_points = max(3, min(n_points, max(MIN_GRID_POINTS, CURVE_WORK_BUDGET // pairs)))
    if n_points < 3:
        raise ConfigError(f"n_points={n_points}: a curve needs at least 3 points")
    cents = torch.linspace(lo_cents, hi_cents, n_points, dtype=torch.float64)  # (G,)
    ratios, amps = spectrum.tensors(dtype=torch.float64)
    with torch.no_grad():
        values = dyad_dissonance(cents, ratios, amps, f0_hz=float(f0_hz), model=model)  # (G,)
    return DissonanceCurve(
        cents=cents.numpy(),
        ratios=cents_to_ratio(cents.numpy()),
        values=values.numpy(),
        model=model,
        f0_hz=float(f0_hz),
    )


def _grid_minima(values: np.ndarray) -> list[tuple[int, int]]:
    """Interior local minima of a sampled curve as runs ``(first, last)`` of equal grid values.

    A run of equal values (a flat stretch) counts once; runs touching either end of the grid
    are boundaries, not minima.
    """
    change = np.flatnonzero(np.diff(values) != 0) + 1  # first index of each new run
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change - 1, [len(values) - 1]])
    run_values = values[starts]
    out = []
    for k in range(1, len(starts) - 1):
        if run_values[k] < run_values[k - 1] and run_values[k] < run_values[k + 1]:
            out.append((int(starts[k]), int(ends[k])))
    return out


def _golden_section(
    f: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray, *, xatol: float
) -> tuple[np.ndarray, np.ndarray]:
    """Minimise ``f`` on every bracket ``[lo_i, hi_i]`` at once by golden-section search.

    ``f`` maps an array of points to their values (one batched call per iteration). Each
    iteration shrinks every bracket by 0.618, keeping the minimum of a unimodal function
    (cusps included) inside it, until all are narrower than ``xatol``.

    Returns
    -------
    x, fx : np.ndarray, shape (M,)
        The best point found in each bracket and its value.
    """
    inv_phi = (math.sqrt(5.0) - 1.0) / 2.0  # 0.618
    a, b = lo.astype(np.float64), hi.astype(np.float64)
    c, d = b - inv_phi * (b - a), a + inv_phi * (b - a)
    fc, fd = f(c), f(d)
    while float(np.max(b - a)) > xatol:
        left = fc < fd  # the minimum lies in [a, d]
        a, b = np.where(left, a, c), np.where(left, d, b)
        c_new = np.where(left, b - inv_phi * (b - a), d)
        d_new = np.where(left, c, a + inv_phi * (b - a))
        f_new = f(np.where(left, c_new, d_new))
        fc, fd = np.where(left, f_new, fd), np.where(left, fc, f_new)
        c, d = c_new, d_new
    mid = 0.5 * (a + b)
    candidates = np.stack([mid, c, d])  # (3, M)
    values = np.stack([f(mid), fc, fd])  # (3, M)
    best = np.argmin(values, axis=0)  # (M,)
    cols = np.arange(len(mid))
    return candidates[best, cols], values[best, cols]


def minima_of_curve(
    curve: DissonanceCurve, spectrum: Spectrum, *, min_relative_depth: float = MIN_RELATIVE_DEPTH
) -> list[CurveMinimum]:
    """Local minima of ``curve``, each refined on the continuous curve of ``spectrum``.

    Each grid minimum brackets the true one between its two grid neighbours; a golden-section
    search on the continuous dyad dissonance (all minima at once, `_golden_section`) then narrows
    every bracket to ``REFINE_XATOL_CENTS`` (0.001 cent). Golden section needs no derivative, so
    it also handles the cusp-shaped minima where partials coincide. A flat stretch of exactly
    equal values (a model that is 0 there) is reported at its middle, unrefined. Dips shallower
    than ``min_relative_depth`` times the curve's span (max - min) are dropped: the default
    ``MIN_RELATIVE_DEPTH`` (1e-9) only removes round-off; the CLI hides dips under 0.1 % unless
    asked.

    Parameters
    ----------
    curve : DissonanceCurve
        The sampled curve (its model and f0 are used for the refinement).
    spectrum : Spectrum
        The timbre the curve was computed for.
    min_relative_depth : float
        Smallest depth kept, as a fraction of ``max(values) - min(values)``.

    Returns
    -------
    list[CurveMinimum]
        Sorted by cents; the ends of the range (the unison at 1/1) are never listed.
    """
    if not (math.isfinite(min_relative_depth) and min_relative_depth >= 0):
        raise ConfigError(
            f"minimum depth {min_relative_depth!r} must be a number >= 0 (e.g. 0.001)"
        )
    ratios, amps = spectrum.tensors(dtype=torch.float64)

    def f(cents: np.ndarray) -> np.ndarray:
        with torch.no_grad():
            values = dyad_dissonance(
                torch.from_numpy(cents), ratios, amps, f0_hz=curve.f0_hz, model=curve.model
            )  # (M,)
        return values.numpy()

    values = curve.values
    runs = _grid_minima(values)
    mids = np.array([(first + last) // 2 for first, last in runs], dtype=np.int64)  # (M,)
    cents = curve.cents[mids].astype(np.float64)  # (M,)
    refined_values = values[mids].astype(np.float64)  # (M,)
    single = np.array([first == last for first, last in runs], dtype=bool)  # (M,) refinable
    if single.any():
        x, fx = _golden_section(
            f,
            curve.cents[mids[single] - 1],
            curve.cents[mids[single] + 1],
            xatol=REFINE_XATOL_CENTS,
        )
        better = fx <= refined_values[single]
        cents[single] = np.where(better, x, cents[single])
        refined_values[single] = np.where(better, fx, refined_values[single])
    depths = (
        peak_prominences(-values, mids)[0] + (values[mids] - refined_values) if len(mids) else mids
    )
    threshold = min_relative_depth * float(np.max(values) - np.min(values))
    return [
        CurveMinimum(
            cents=float(c), ratio=cents_to_ratio(float(c)), value=float(v), depth=float(dep)
        )
        for c, v, dep in zip(cents, refined_values, depths, strict=True)
        if dep > threshold
    ]


def curve_minima(
    spectrum: Spectrum,
    *,
    f0_hz: float = DEFAULT_REFERENCE_HZ,
    ratio_range: tuple[float, float] = (1.0, 2.3),
    model: str = "sethares",
) -> list[CurveMinimum]:
    """Local minima of the dissonance curve of ``spectrum`` (see `dissonance_curve`, `minima_of_curve`).

    Examples
    --------
    >>> from xentune.timbre import parse_timbre
    >>> [round(m.cents, 1) for m in curve_minima(parse_timbre("harmonic:partials=6,rolloff=0.88"))]
    [315.6, 386.3, 498.0, 702.0, 884.4, 967.4, 1200.0]
    """
    curve = dissonance_curve(spectrum, f0_hz=f0_hz, ratio_range=ratio_range, model=model)
    return minima_of_curve(curve, spectrum)


# --------------------------------------------------------------------------------------------
# Boundary: option parsing and output files
