"""Equal divisions of the octave (or of any period): how well n-EDO fits a set of intervals."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from xentune.errors import ConfigError
from xentune.tuning.conventions import EDO_RANGE, EDO_TOP, UNDIVIDABLE_PERIOD_CENTS

__all__ = ["EdoFit", "ScaleEdoFits", "best_edos", "fit_edo", "scale_edo_fits"]

#: Relative RMS errors closer than this count as a tie in `best_edos` (then the smaller n wins).
#: Float rounding leaves ~1e-13 on exact fits (the 12-EDO major scale in 24-, 36-, 48-EDO).
TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class EdoFit:
    """How n equal divisions of a period fit a set of intervals.

    Attributes
    ----------
    n : int
        Number of equal divisions of the period.
    period_cents : float
        The divided period in cents (1200 for an EDO).
    step_cents : float
        ``period_cents / n``.
    degree_steps : tuple[int, ...]
        For each interval, the nearest step number ``round(interval / step)``.
    degree_errors_cents : tuple[float, ...]
        For each interval, ``interval - steps * step`` in cents, within ``+-step/2``.
    rms_error_cents : float
        Root mean square of ``degree_errors_cents``.
    relative_rms_error : float
        ``rms_error_cents / step_cents``: 0 is a perfect fit, 0.289 (``1/sqrt(12)``) is what
        intervals scattered at random would give.
    """

    n: int
    period_cents: float
    step_cents: float
    degree_steps: tuple[int, ...]
    degree_errors_cents: tuple[float, ...]
    rms_error_cents: float
    relative_rms_error: float

    @property
    def name(self) -> str:
        """``"12-EDO"`` for octave divisions, ``"13-ED1901.955c"`` for any other period."""
        if abs(self.period_cents - 1200.0) < 1e-9:
            return f"{self.n}-EDO"
        return f"{self.n}-ED{self.period_cents:.3f}c"

    def to_dict(self) -> dict[str, object]:
        """JSON form, every field plus ``name``."""
        return {
            "name": self.name,
            "n": self.n,
            "period_cents": self.period_cents,
            "step_cents": self.step_cents,
            "degree_steps": list(self.degree_steps),
            "degree_errors_cents": list(self.degree_errors_cents),
            "rms_error_cents": self.rms_error_cents,
            "relative_rms_error": self.relative_rms_error,
        }


def _check_intervals(intervals_cents: Iterable[float]) -> tuple[float, ...]:
    values = tuple(float(c) for c in intervals_cents)
    if not values:
        raise ConfigError("no intervals to fit: give at least one interval in cents")
    bad = [c for c in values if not math.isfinite(c)]
    if bad:
        raise ConfigError(f"interval {bad[0]} cents: every interval must be a finite number")
    return values


def _check_period(period_cents: float) -> float:
    if not (math.isfinite(period_cents) and period_cents > 0):
        raise ConfigError(f"period {period_cents} cents: must be finite and > 0 (e.g. 1200)")
    return float(period_cents)


def _fit(values: Sequence[float], n: int, period_cents: float) -> EdoFit:
    step = period_cents / n
    # floor(x + 0.5), not round(): half-way intervals go up, independent of the parity of n.
    steps = tuple(math.floor(c / step + 0.5) for c in values)
    errors = tuple(c - k * step for c, k in zip(values, steps, strict=True))
    rms = math.sqrt(math.fsum(e * e for e in errors) / len(errors))
    return EdoFit(
        n=n,
        period_cents=period_cents,
        step_cents=step,
        degree_steps=steps,
        degree_errors_cents=errors,
        rms_error_cents=rms,
        relative_rms_error=rms / step,
    )


def fit_edo(intervals_cents: Iterable[float], n: int, *, period_cents: float = 1200.0) -> EdoFit:
    """Fit ``n`` equal divisions of ``period_cents`` to intervals: nearest step and error of each.

    Parameters
    ----------
    intervals_cents : iterable of float, length K >= 1
        Intervals in cents (any sign, any size; they are not reduced by the period).
    n : int
        Number of divisions, >= 1.
    period_cents : float
        The period that is divided, > 0 (1200 = octave; 1901.955 = tritave).

    Returns
    -------
    EdoFit

    Raises
    ------
    ConfigError
        No interval, a non-finite interval, ``n < 1`` or a bad period.

    Examples
    --------
    >>> fit = fit_edo([701.955, 386.314], 12)
    >>> fit.degree_steps, [round(e, 3) for e in fit.degree_errors_cents]
    ((7, 4), [1.955, -13.686])
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ConfigError(f"n = {n}: the number of divisions must be an integer >= 1 (e.g. 12)")
    return _fit(_check_intervals(intervals_cents), n, _check_period(period_cents))


def best_edos(
    intervals_cents: Iterable[float],
    *,
    n_range: Iterable[int] = EDO_RANGE,
    period_cents: float = 1200.0,
    top: int = EDO_TOP,
) -> list[EdoFit]:
    """The equal divisions that fit intervals best, by RMS error relative to the step size.

    Relative error (RMS / step) is the fair measure across n: absolute error shrinks as steps
    get finer, so it would always favour the largest n. Fits closer than `TIE_TOLERANCE` tie,
    and ties go to the smallest n (12 before 24, 36 and 48 for the 12-EDO major scale).

    Whether the period itself is among the intervals does not change the ranking: it fits every
    division exactly, so it scales every RMS by the same ``sqrt(K / (K + 1))``.

    Parameters
    ----------
    intervals_cents : iterable of float, length K >= 1
        Intervals in cents.
    n_range : iterable of int
        Candidate numbers of divisions (each >= 1).
    period_cents : float
        The divided period in cents.
    top : int
        How many fits to return, >= 1.

    Returns
    -------
    list[EdoFit]
        Best first, at most ``top``.

    Examples
    --------
    >>> just_major = [203.910, 386.314, 498.045, 701.955, 884.359, 1088.269]
    >>> [f.n for f in best_edos(just_major)]
    [53, 12, 34, 41, 31]
    """
    values = _check_intervals(intervals_cents)
    period = _check_period(period_cents)
    ns = sorted(set(n_range))
    if not ns:
        raise ConfigError("n_range is empty: give at least one number of divisions (e.g. 5..53)")
    if ns[0] < 1:
        raise ConfigError(f"n = {ns[0]} in n_range: every number of divisions must be >= 1")
    if top < 1:
        raise ConfigError(f"top = {top}: must be >= 1 (e.g. 5)")
    fits = [_fit(values, n, period) for n in ns]
    fits.sort(key=lambda f: (round(f.relative_rms_error / TIE_TOLERANCE), f.n))
    return fits[:top]


@dataclass(frozen=True)
class ScaleEdoFits:
    """The best equal divisions of a scale, as every analysis of a scale reports them.

    Attributes
    ----------
    period_cents : float
        The divided period: the scale's own (its last degree), or
        `~xentune.tuning.conventions.UNDIVIDABLE_PERIOD_CENTS` when that is <= 0.
    targets_cents : tuple[float, ...]
        The degrees fitted: those inside the period (the period fits every division exactly, so
        it changes no ranking), or every degree when the period is <= 0.
    best : tuple[EdoFit, ...]
        Best first (`best_edos`); empty when there is nothing to fit (a scale of one degree).
    """

    period_cents: float
    targets_cents: tuple[float, ...]
    best: tuple[EdoFit, ...]


def scale_edo_fits(
    degrees_cents: Sequence[float],
    *,
    n_range: Iterable[int] = EDO_RANGE,
    top: int = EDO_TOP,
) -> ScaleEdoFits:
    """Rank equal divisions for a scale given as its degrees above 1/1, the period last.

    Parameters
    ----------
    degrees_cents : sequence of float, length D >= 1
        Degrees in cents; the last is the period.
    n_range : iterable of int
        Candidate numbers of divisions.
    top : int
        How many fits to keep.

    Returns
    -------
    ScaleEdoFits

    Examples
    --------
    >>> fits = scale_edo_fits([200.0, 400.0, 500.0, 700.0, 900.0, 1100.0, 1200.0])
    >>> fits.best[0].n, fits.targets_cents[-1]
    (12, 1100.0)
    """
    degrees = _check_intervals(degrees_cents)
    period = degrees[-1]
    if period > 0:
        targets = degrees[:-1]
    else:
        period, targets = UNDIVIDABLE_PERIOD_CENTS, degrees
    best = best_edos(targets, n_range=n_range, period_cents=period, top=top) if targets else []
    return ScaleEdoFits(period_cents=period, targets_cents=targets, best=tuple(best))
