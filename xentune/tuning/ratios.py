"""Just ratios near an interval: best rational approximations, odd limit, prime limit, Tenney height."""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction

from xentune.errors import ConfigError
from xentune.tuning.scale import fraction_to_cents
from xentune.units import cents_to_ratio

__all__ = [
    "EXACT_CENTS",
    "RatioMatch",
    "iter_ratios_in_range",
    "nearest_ratios",
    "odd_limit",
    "prime_limit",
    "simplest_ratio",
    "tenney_height",
]


@dataclass(frozen=True)
class RatioMatch:
    """A just ratio near an interval.

    Attributes
    ----------
    ratio : Fraction
        The ratio, in lowest terms (``Fraction`` always is).
    cents : float
        Size of the ratio in cents, ``1200 * log2(ratio)``.
    error_cents : float
        The interval minus the ratio, in cents: positive when the interval is wider (sharper)
        than the ratio.
    odd_limit : int
        Largest odd part of numerator and denominator (`odd_limit`).
    prime_limit : int
        Largest prime factor of numerator or denominator, 1 for 1/1 (`prime_limit`).
    tenney_height : float
        ``log2(n * d)`` (`tenney_height`); the ranking key of `nearest_ratios`.
    """

    ratio: Fraction
    cents: float
    error_cents: float
    odd_limit: int
    prime_limit: int
    tenney_height: float

    @classmethod
    def of(cls, ratio: Fraction, target_cents: float) -> RatioMatch:
        """The match of ``ratio`` for an interval of ``target_cents``."""
        cents = fraction_to_cents(ratio)
        return cls(
            ratio=ratio,
            cents=cents,
            error_cents=target_cents - cents,
            odd_limit=odd_limit(ratio),
            prime_limit=prime_limit(ratio),
            tenney_height=tenney_height(ratio),
        )

    def to_dict(self) -> dict[str, object]:
        """JSON form: the ratio as ``"n/d"`` and every number."""
        return {
            "ratio": f"{self.ratio.numerator}/{self.ratio.denominator}",
            "cents": self.cents,
            "error_cents": self.error_cents,
            "odd_limit": self.odd_limit,
            "prime_limit": self.prime_limit,
            "tenney_height": self.tenney_height,
        }


def _as_positive_fraction(r: Fraction | int | str) -> Fraction:
    f = Fraction(r)
    if f <= 0:
        raise ConfigError(f"ratio {r}: a frequency ratio must be > 0 (e.g. 3/2)")
    return f


def _odd_part(n: int) -> int:
    return n >> ((n & -n).bit_length() - 1)


def odd_limit(r: Fraction | int | str) -> int:
    """Odd limit of a ratio: the larger odd part of its numerator and denominator.

    Parameters
    ----------
    r : Fraction, int or str
        A positive ratio (``"7/4"`` is accepted); it is reduced to lowest terms first.

    Examples
    --------
    >>> odd_limit(Fraction(3, 2)), odd_limit(Fraction(5, 4)), odd_limit(Fraction(15, 8))
    (3, 5, 15)
    """
    f = _as_positive_fraction(r)
    return max(_odd_part(f.numerator), _odd_part(f.denominator))


def tenney_height(r: Fraction | int | str) -> float:
    """Tenney height ``log2(n * d)`` of a ratio ``n/d`` in lowest terms (1/1 -> 0, 3/2 -> 2.585).

    Examples
    --------
    >>> round(tenney_height(Fraction(3, 2)), 4)
    2.585
    """
    f = _as_positive_fraction(r)
    return math.log2(f.numerator) + math.log2(f.denominator)


def prime_limit(r: Fraction | int | str) -> int:
    """Prime limit of a ratio: the largest prime factor of ``n * d`` (1 for 1/1).

    Factorisation is exact (trial division, then Pollard-Brent rho with a Miller-Rabin test that
    is deterministic below 3.3e24 and has error below 4**-24 above). Terms made of primes below
    about 1e11 factor at any size (atomschis.scl's 25-digit terms are 3- and 5-smooth); a term
    with two larger prime factors raises `ConfigError` instead of running for hours.

    Examples
    --------
    >>> prime_limit(Fraction(7, 4)), prime_limit(Fraction(81, 80)), prime_limit(1)
    (7, 5, 1)
    """
    f = _as_positive_fraction(r)
    try:
        return max(_largest_prime_factor(f.numerator), _largest_prime_factor(f.denominator))
    except _FactoringBudgetExceeded as e:
        raise ConfigError(
            f"ratio {f}: cannot find its prime limit, {e.args[0]} has no prime factor below "
            "about 1e11 and is too large to factor quickly; use a simpler ratio"
        ) from None


#: Errors below this many cents count as exact: float cents resolve ~1e-13 cents, and without a
#: floor the search for ever closer fractions would never end near a float's own value.
EXACT_CENTS = 1e-9

#: Pollard-rho steps before `prime_limit` gives up (about a second; finds factors up to ~1e11).
_RHO_BUDGET = 500_000

#: Largest interval handled, in cents: 2**1000, well inside float range.
_MAX_ABS_CENTS = 1_200_000.0

_SMALL_PRIMES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)


def _is_probable_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in _SMALL_PRIMES:  # deterministic for n < 3.3e24
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


class _FactoringBudgetExceeded(Exception):
    pass


def _pollard_brent(n: int) -> int:
    """A non-trivial factor of the odd composite ``n`` (Brent's variant of Pollard's rho).

    Expected work grows like the square root of the smallest prime factor, so a product of two
    20-digit primes would take hours: after `_RHO_BUDGET` steps this gives up.
    """
    work = 0
    for c in range(1, n):
        y, r, q, g = 2, 1, 1, 1
        x = ys = y
        m = 128
        while g == 1:
            x = y
            for _ in range(r):
                y = (y * y + c) % n
            work += r
            if work > _RHO_BUDGET:
                raise _FactoringBudgetExceeded(n)
            k = 0
            while k < r and g == 1:
                ys = y
                for _ in range(min(m, r - k)):
                    y = (y * y + c) % n
                    q = q * abs(x - y) % n
                g = math.gcd(q, n)
                k += m
            r *= 2
        if g == n:
            g = 1
            while g == 1:
                ys = (ys * ys + c) % n
                g = math.gcd(abs(x - ys), n)
        if g != n:
            return g
    raise AssertionError(f"no factor found for {n}")  # unreachable for composite n


def _largest_prime_factor(n: int) -> int:
    if n < 1:
        raise AssertionError(n)
    largest = 1
    for p in range(2, 1000):
        if p * p > n:
            break
        if n % p == 0:
            largest = p
            while n % p == 0:
                n //= p
    if n == 1:
        return largest
    stack = [n]
    while stack:
        m = stack.pop()
        if m < 1_000_000 or _is_probable_prime(m):  # m has no factor below 1000, so < 1e6 is prime
            largest = max(largest, m)
            continue
        d = _pollard_brent(m)
        stack += [d, m // d]
    return largest


def simplest_ratio(
    low: Fraction,
    high: Fraction | None,
    *,
    low_open: bool = False,
    high_open: bool = False,
) -> Fraction | None:
    """The simplest positive fraction in an interval (the Stern-Brocot ancestor of all others).

    Every other fraction of the interval lies in its Stern-Brocot subtree, so it has the smallest
    numerator, the smallest denominator and the smallest Tenney height of all. Found by the
    continued-fraction descent in O(number of partial quotients) steps, with exact arithmetic.

    Parameters
    ----------
    low, high : Fraction
        Bounds; ``high=None`` is +infinity. Only fractions > 0 are considered.
    low_open, high_open : bool
        Whether a bound itself is excluded.

    Returns
    -------
    Fraction or None
        None when the interval holds no positive fraction (empty, or a single excluded point).
    """
    # Walk down the continued fraction; each level maps x -> 1 / (x - floor(x)), which swaps
    # the bounds, so the accumulated Moebius map (p q; r s) gives value = (p*z + q) / (r*z + s).
    if high is not None and high <= 0:
        return None
    p, q, r, s = 1, 0, 0, 1
    lo, hi, lo_open_, hi_open_ = low, high, low_open, high_open
    if lo < 0:
        lo, lo_open_ = Fraction(0), True
    for _ in range(100_000):
        if hi is not None and (hi < lo or (hi == lo and (lo_open_ or hi_open_))):
            return None
        # smallest positive integer in the interval, if any
        k = math.floor(lo)
        k = k + 1 if (lo_open_ or k < lo or k == 0) else k
        if hi is None or k < hi or (k == hi and not hi_open_):
            z = Fraction(k)
            return Fraction(p * z + q, r * z + s)
        # no integer inside: both bounds share floor k0 (hi may equal k0 + 1 only when open)
        k0 = math.floor(lo)
        frac_lo, frac_hi = lo - k0, hi - k0
        p, q, r, s = p * k0 + q, p, r * k0 + s, r  # x = k0 + 1/z
        new_lo = 1 / frac_hi
        new_hi = None if frac_lo == 0 else 1 / frac_lo
        lo, hi, lo_open_, hi_open_ = new_lo, new_hi, hi_open_, lo_open_
    raise AssertionError("continued-fraction descent did not terminate")


class _RatioSearch:
    """Best-first search of the fractions in a window, in increasing Tenney height.

    The simplest fraction of an interval has the smallest ``n * d`` in it (see
    `simplest_ratio`); taking it out leaves two open subintervals, whose simplest fractions go
    on a heap. The window may be narrowed while searching (`narrow`): a subinterval is cut to it
    when popped, and re-queued under its new simplest fraction, whose height can only be larger,
    so the order stays exact. Narrowing to the current best error turns the search into a
    continued-fraction descent instead of a scan of every fraction within tolerance.
    """

    def __init__(self, low: Fraction, high: Fraction) -> None:
        self.low, self.high = low, high
        self.low_open = self.high_open = False
        self._heap: list[tuple[int, Fraction, Fraction, Fraction, bool, bool]] = []
        self._push(low, high, False, False)

    def narrow(self, low: Fraction, high: Fraction) -> None:
        """Restrict the search to the open interval ``(low, high)`` (intersected with the old)."""
        if low >= self.low:
            self.low, self.low_open = low, True
        if high <= self.high:
            self.high, self.high_open = high, True

    def _push(self, lo: Fraction, hi: Fraction, lo_open: bool, hi_open: bool) -> None:
        f = simplest_ratio(lo, hi, low_open=lo_open, high_open=hi_open)
        if f is not None:
            heapq.heappush(self._heap, (f.numerator * f.denominator, f, lo, hi, lo_open, hi_open))

    def __iter__(self) -> Iterator[Fraction]:
        while self._heap:
            _, f, lo, hi, lo_open, hi_open = heapq.heappop(self._heap)
            # cut the subinterval to the current window
            if self.low > lo or (self.low == lo and self.low_open):
                lo, lo_open = self.low, self.low_open or (self.low == lo and lo_open)
            if self.high < hi or (self.high == hi and self.high_open):
                hi, hi_open = self.high, self.high_open or (self.high == hi and hi_open)
            inside = (lo < f or (lo == f and not lo_open)) and (f < hi or (f == hi and not hi_open))
            if not inside:
                self._push(lo, hi, lo_open, hi_open)
                continue
            yield f
            self._push(lo, f, lo_open, True)
            self._push(f, hi, True, hi_open)


def iter_ratios_in_range(
    low: Fraction,
    high: Fraction,
    *,
    max_tenney_height: float | None = None,
) -> Iterator[Fraction]:
    """The fractions of ``[low, high]`` in increasing Tenney height (lazily, possibly endless).

    Ties in ``n * d`` come out in increasing value. Stops after the last fraction with
    ``log2(n*d) <= max_tenney_height``.
    """
    for f in _RatioSearch(low, high):
        if max_tenney_height is not None and tenney_height(f) > max_tenney_height + 1e-12:
            return
        yield f


def nearest_ratios(
    cents: float,
    *,
    tolerance_cents: float = 15.0,
    max_results: int = 3,
    max_tenney_height: float | None = 20.0,
    improving_only: bool = True,
) -> list[RatioMatch]:
    """The simplest just ratios within ``tolerance_cents`` of an interval, simplest first.

    "Simplest" is the smallest Tenney height ``log2(n*d)``. The first match is the simplest
    fraction within tolerance; with ``improving_only`` (default) each further one is closer
    than every simpler fraction, i.e. these are the best rational approximations of the
    interval (for 386.314 cents: 5/4 and nothing else, instead of also 29/23 at -15 cents).
    Every fraction is a candidate, so a tolerance > 0 always admits some; the
    ``max_tenney_height`` cap (default 20, i.e. ``n*d <= 2**20``: terms up to about a thousand)
    keeps the answers musical, and with it a tight tolerance can admit none.

    Parameters
    ----------
    cents : float
        The interval in cents (any sign; negative means a ratio below 1/1).
    tolerance_cents : float
        Largest accepted ``|error|`` in cents, >= 0 (plus `EXACT_CENTS`, 1e-9, for rounding).
    max_results : int
        At most this many matches, >= 1.
    max_tenney_height : float or None
        Largest accepted ``log2(n*d)``; None for no cap.
    improving_only : bool
        Keep only fractions closer than every simpler one within tolerance; False lists every
        fraction within tolerance in order of height.

    Returns
    -------
    list[RatioMatch]
        Increasing Tenney height (ties: closer first); empty when none qualifies.

    Raises
    ------
    ConfigError
        NaN or infinite cents, a negative tolerance, or ``max_results < 1``.

    Examples
    --------
    >>> [str(m.ratio) for m in nearest_ratios(701.955)]
    ['3/2']
    >>> [str(m.ratio) for m in nearest_ratios(650.0)]
    ['13/9', '16/11', '67/46']
    >>> str(nearest_ratios(386.314, tolerance_cents=1.0)[0].ratio)
    '5/4'
    """
    if not (math.isfinite(cents) and abs(cents) <= _MAX_ABS_CENTS):
        raise ConfigError(
            f"interval {cents} cents: must be a finite number of cents within "
            f"+-{_MAX_ABS_CENTS:.0f} (e.g. 701.955)"
        )
    if not (tolerance_cents >= 0 and math.isfinite(tolerance_cents)):
        raise ConfigError(f"tolerance {tolerance_cents} cents: must be finite and >= 0 (e.g. 15)")
    if max_results < 1:
        raise ConfigError(f"max_results {max_results}: must be >= 1 (e.g. 3)")
    if tolerance_cents + abs(cents) > _MAX_ABS_CENTS:
        raise ConfigError(
            f"interval {cents} +- {tolerance_cents} cents: must stay within +-{_MAX_ABS_CENTS:.0f} cents"
        )
    # Bounds as exact binary fractions widened by EXACT_CENTS; each candidate is then checked
    # against the tolerance in cents, so a fraction on the edge is judged by one rule.
    low = Fraction(cents_to_ratio(cents - tolerance_cents - EXACT_CENTS))
    high = Fraction(cents_to_ratio(cents + tolerance_cents + EXACT_CENTS))
    matches: list[RatioMatch] = []
    closest = math.inf  # smallest |error| of the fractions seen so far (all simpler ones)
    search = _RatioSearch(low, high)
    for f in search:
        if max_tenney_height is not None and tenney_height(f) > max_tenney_height + 1e-12:
            break
        m = RatioMatch.of(f, cents)
        error = abs(m.error_cents)
        if error > tolerance_cents + EXACT_CENTS or (improving_only and error >= closest):
            continue
        closest = error
        matches.append(m)
        if len(matches) == max_results or (improving_only and error <= EXACT_CENTS):
            break  # (nothing is meaningfully closer than an exact match)
        if improving_only:  # only a closer fraction can follow: search (cents -+ error) only
            search.narrow(
                Fraction(cents_to_ratio(cents - error)),
                Fraction(cents_to_ratio(cents + error)),
            )
    matches.sort(key=lambda m: (m.ratio.numerator * m.ratio.denominator, abs(m.error_cents)))
    return matches
