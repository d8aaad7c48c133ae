"""Exact just ratios for scale degrees that lie within a tolerance of a simple ratio."""

from __future__ import annotations

import math
from fractions import Fraction

from xentune import defaults
from xentune.errors import ConfigError
from xentune.tuning.ratios import iter_ratios_in_range, odd_limit
from xentune.tuning.scale import Scale, fraction_to_cents
from xentune.units import cents_to_ratio

__all__ = [
    "DEFAULT_RATIO_TOLERANCE_CENTS",
    "MAX_ODD_LIMIT",
    "MAX_RATIO_TOLERANCE_CENTS",
    "just_scale",
    "parse_period_ratio",
    "simple_ratio_near",
]

#: Default tolerance of ``--ratios`` (see `xentune.defaults`).
DEFAULT_RATIO_TOLERANCE_CENTS = defaults.DEFAULT_RATIO_TOLERANCE_CENTS

#: Largest tolerance accepted: half of the 50-cent quarter tone, beyond which "this degree is that
#: ratio" stops being a statement about the data.
MAX_RATIO_TOLERANCE_CENTS = 25.0

#: "Simple" means odd limit <= 15 (1/1 .. 15/8, 16/15, 7/4, 11/8, 13/8, ... in any octave).
MAX_ODD_LIMIT = 15

#: Tenney height cap of the search (n * d <= 2**16): every 15-odd-limit ratio of a few octaves.
_MAX_TENNEY_HEIGHT = 16.0


def simple_ratio_near(
    cents: float, *, tolerance_cents: float, max_odd_limit: int = MAX_ODD_LIMIT
) -> Fraction | None:
    """The ratio of odd limit <= ``max_odd_limit`` nearest ``cents``, if within ``tolerance_cents``.

    Parameters
    ----------
    cents : float
        An interval above 1/1, in cents, > 0.
    tolerance_cents : float
        Largest accepted ``|cents - ratio|`` in cents, >= 0.
    max_odd_limit : int
        Largest odd part of numerator and denominator.

    Returns
    -------
    Fraction or None
        The nearest such ratio (ties: the simpler), or None when none is that close.

    Examples
    --------
    >>> simple_ratio_near(386.1, tolerance_cents=5.0)
    Fraction(5, 4)
    >>> simple_ratio_near(1200.0135, tolerance_cents=5.0)
    Fraction(2, 1)
    >>> simple_ratio_near(600.0, tolerance_cents=5.0) is None
    True
    """
    low = Fraction(cents_to_ratio(cents - tolerance_cents))
    high = Fraction(cents_to_ratio(cents + tolerance_cents))
    best: Fraction | None = None
    best_error = math.inf
    for r in iter_ratios_in_range(low, high, max_tenney_height=_MAX_TENNEY_HEIGHT):
        if odd_limit(r) > max_odd_limit:
            continue
        error = abs(fraction_to_cents(r) - cents)
        if error <= tolerance_cents and error < best_error:  # ratios come simplest first
            best, best_error = r, error
    return best


def parse_period_ratio(text: str) -> Fraction:
    """A ``--period-ratio`` value: an exact ratio ``n/d`` (or integer) greater than 1.

    Raises
    ------
    ConfigError
        Not a ratio, or not > 1.

    Examples
    --------
    >>> parse_period_ratio("2/1"), parse_period_ratio("3")
    (Fraction(2, 1), Fraction(3, 1))
    """
    try:
        r = Fraction(text.strip())
    except (ValueError, ZeroDivisionError):
        raise ConfigError(
            f"--period-ratio {text!r}: not an exact ratio; write n/d, e.g. 2/1 (or 3/1 for a "
            "tritave)"
        ) from None
    if "." in text or "e" in text.lower():
        raise ConfigError(
            f"--period-ratio {text!r}: give an exact ratio n/d (e.g. 2/1), not a decimal"
        )
    if r <= 1:
        raise ConfigError(f"--period-ratio {text}: the period must be a ratio > 1 (e.g. 2/1)")
    return r


def just_scale(
    scale: Scale,
    *,
    tolerance_cents: float = DEFAULT_RATIO_TOLERANCE_CENTS,
    period_ratio: Fraction | None = None,
    max_odd_limit: int = MAX_ODD_LIMIT,
) -> Scale:
    """``scale`` with each degree within ``tolerance_cents`` of a simple ratio written as that ratio.

    Degrees that are near no simple ratio keep their cents. The period is treated like any
    degree (1200.0135 cents becomes 2/1 at the default tolerance) unless ``period_ratio`` gives
    it, in which case it is written as that exact ratio whatever the data says.

    Parameters
    ----------
    scale : Scale
        At least one degree (the period).
    tolerance_cents : float
        0..`MAX_RATIO_TOLERANCE_CENTS` cents.
    period_ratio : Fraction or None
        An exact period asked for by the user (> every other degree).
    max_odd_limit : int
        What "simple" means (`simple_ratio_near`).

    Returns
    -------
    Scale
        Same description and note count; ratios where exact.

    Raises
    ------
    ConfigError
        A tolerance out of range, an empty scale, or a period ratio not above every degree.
    """
    if not (
        isinstance(tolerance_cents, int | float)
        and math.isfinite(tolerance_cents)
        and 0 <= tolerance_cents <= MAX_RATIO_TOLERANCE_CENTS
    ):
        raise ConfigError(
            f"--ratio-tolerance {tolerance_cents}: must be 0..{MAX_RATIO_TOLERANCE_CENTS:g} cents "
            f"(e.g. {DEFAULT_RATIO_TOLERANCE_CENTS:g})"
        )
    if scale.n_notes == 0:
        raise ConfigError("just_scale: the scale has no degrees; it needs at least its period")
    inner = scale.degrees_cents[:-1]
    values: list[Fraction | float] = []
    for c in inner:
        r = simple_ratio_near(c, tolerance_cents=tolerance_cents, max_odd_limit=max_odd_limit)
        values.append(c if r is None else r)
    if period_ratio is not None:
        period_cents = fraction_to_cents(period_ratio)
        if inner and period_cents <= max(inner):
            raise ConfigError(
                f"--period-ratio {period_ratio}: {period_cents:.2f} cents is not above the "
                f"highest degree ({max(inner):.2f} cents); choose a larger period"
            )
        values.append(period_ratio)
    else:
        p = simple_ratio_near(
            scale.period_cents, tolerance_cents=tolerance_cents, max_odd_limit=max_odd_limit
        )
        values.append(scale.period_cents if p is None else p)
    cents = tuple(fraction_to_cents(v) if isinstance(v, Fraction) else v for v in values)
    ratios = tuple(v if isinstance(v, Fraction) else None for v in values)
    return Scale(cents, ratios, scale.description)
