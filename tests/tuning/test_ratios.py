"""Tests of xentune.tuning.ratios against hand values and a brute-force enumeration."""

from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.errors import ConfigError
from xentune.tuning.ratios import (
    RatioMatch,
    iter_ratios_in_range,
    nearest_ratios,
    odd_limit,
    prime_limit,
    simplest_ratio,
    tenney_height,
)


def cents_of(r: Fraction) -> float:
    return 1200.0 * math.log2(r)


def brute_force(cents: float, tolerance: float, max_product: int) -> list[Fraction]:
    """Every n/d in lowest terms with n*d <= max_product within tolerance, by (n*d, |error|)."""
    found = []
    for d in range(1, max_product + 1):
        for n in range(1, max_product // d + 1):
            if math.gcd(n, d) != 1:
                continue
            f = Fraction(n, d)
            if abs(cents - cents_of(f)) <= tolerance:
                found.append(f)
    return sorted(found, key=lambda f: (f.numerator * f.denominator, abs(cents - cents_of(f))))


# --- Must show (issue 4, item 5) -------------------------------------------------------------


@pytest.mark.parametrize(
    ("cents", "ratio", "odd", "prime", "height"),
    [
        (701.955, Fraction(3, 2), 3, 3, math.log2(6)),
        (386.314, Fraction(5, 4), 5, 5, math.log2(20)),
        (1200 * math.log2(7 / 4), Fraction(7, 4), 7, 7, math.log2(28)),
    ],
)
def test_must_show_ratios(cents, ratio, odd, prime, height):
    best = nearest_ratios(cents)[0]
    assert best.ratio == ratio
    assert best.odd_limit == odd
    assert best.prime_limit == prime
    assert best.tenney_height == pytest.approx(height, abs=1e-12)
    assert abs(best.error_cents) < 0.001
    assert best.cents == pytest.approx(cents_of(ratio), abs=1e-9)
    assert best.error_cents == pytest.approx(cents - best.cents, abs=1e-12)


def test_tolerance_that_admits_none_returns_none():
    # Brute force: no n/d with n*d <= 2**20 lies within 1e-6 cents of 650 cents.
    assert nearest_ratios(650.0, tolerance_cents=1e-6) == []
    # with a Tenney cap of log2(200): the simplest ratio near 650 c (13/9, 13.4 c away) is excluded
    assert nearest_ratios(650.0, tolerance_cents=5.0, max_tenney_height=math.log2(100)) == []
    assert nearest_ratios(650.0, tolerance_cents=0.0) == []


def test_zero_tolerance_finds_an_exact_ratio():
    assert [m.ratio for m in nearest_ratios(0.0, tolerance_cents=0.0)] == [Fraction(1)]
    assert [m.ratio for m in nearest_ratios(1200.0, tolerance_cents=0.0)] == [Fraction(2)]


# --- limits and heights -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ratio", "odd", "prime"),
    [
        (Fraction(1), 1, 1),
        (Fraction(2), 1, 2),
        (Fraction(15, 8), 15, 5),
        (Fraction(81, 80), 81, 5),
        (Fraction(9, 7), 9, 7),
        (Fraction(2, 3), 3, 3),
        (Fraction(11, 8), 11, 11),
        (Fraction(1024, 729), 729, 3),
    ],
)
def test_limits_by_hand(ratio, odd, prime):
    assert odd_limit(ratio) == odd
    assert prime_limit(ratio) == prime


def test_limits_accept_strings_and_reduce():
    assert odd_limit("10/20") == 1  # = 1/2
    assert prime_limit("14/8") == 7
    assert tenney_height("6/4") == pytest.approx(math.log2(6))


@pytest.mark.parametrize("bad", [Fraction(0), Fraction(-3, 2), "-3/2", 0])
def test_non_positive_ratio_is_an_error(bad):
    with pytest.raises(ConfigError, match="must be > 0"):
        odd_limit(bad)
    with pytest.raises(ConfigError, match="must be > 0"):
        prime_limit(bad)


def test_prime_limit_of_big_terms():
    # Mersenne primes 2**61-1 and 2**89-1, and a 40-digit semiprime of two 20-digit primes.
    m61, m89 = 2**61 - 1, 2**89 - 1
    assert prime_limit(Fraction(m61 * 3, 2**70)) == m61
    assert prime_limit(Fraction(m89, m61 * 5)) == m89
    p, q = 1_000_000_007, 1_000_000_009  # primes: their product needs Pollard rho
    assert prime_limit(Fraction(p * q, 7)) == q
    assert prime_limit(Fraction(p * m61, 3**50)) == m61


def test_prime_limit_gives_up_on_hard_semiprimes():
    m107 = 2**107 - 1
    with pytest.raises(ConfigError, match="prime limit"):
        prime_limit(Fraction((2**89 - 1) * m107, 3))


def slow_largest_prime(n: int) -> int:
    largest, p = 1, 2
    while p * p <= n:
        while n % p == 0:
            largest, n = p, n // p
        p += 1
    return max(largest, n) if n > 1 else largest


@given(st.integers(1, 10**7), st.integers(1, 10**7))
@settings(max_examples=200, deadline=None)
def test_prime_limit_against_trial_division(n, d):
    f = Fraction(n, d)
    expected = max(slow_largest_prime(f.numerator), slow_largest_prime(f.denominator))
    assert prime_limit(f) == expected


# --- the search -------------------------------------------------------------------------------


@given(st.integers(1, 200), st.integers(1, 200))
@settings(max_examples=300, deadline=None)
def test_simple_ratios_are_found_back_exactly_from_their_cents(n, d):
    f = Fraction(n, d)
    # |a/b - c/e| >= 1/(b*e) for distinct fractions: with terms <= 200 no other fraction within
    # 1e-4 cents is simpler, so the exact ratio must come first.
    matches = nearest_ratios(cents_of(f), tolerance_cents=1e-4)
    assert matches, f
    assert matches[0].ratio == f
    assert abs(matches[0].error_cents) < 1e-9


@pytest.mark.parametrize(
    ("cents", "tolerance", "max_product"),
    [
        (701.955, 15.0, 3000),
        (650.0, 15.0, 3000),
        (100.0, 10.0, 2000),
        (-386.0, 20.0, 2000),
        (0.0, 25.0, 1000),
        (1500.0, 8.0, 2000),
        (2.0, 3.0, 200000),
    ],
)
def test_search_order_equals_brute_force(cents, tolerance, max_product):
    expected = brute_force(cents, tolerance, max_product) if max_product < 10**5 else None
    got = [
        f
        for f in iter_ratios_in_range(
            Fraction(2 ** ((cents - tolerance) / 1200)),
            Fraction(2 ** ((cents + tolerance) / 1200)),
            max_tenney_height=math.log2(max_product),
        )
    ]
    if expected is None:  # too many candidates for the double loop: check the defining property
        assert all(abs(cents - cents_of(f)) <= tolerance + 1e-9 for f in got)
        heights = [f.numerator * f.denominator for f in got]
        assert heights == sorted(heights)
        return
    # Same set; the order within equal n*d may differ (we break ties by value, not error).
    assert sorted(got) == sorted(expected)
    assert [f.numerator * f.denominator for f in got] == [
        f.numerator * f.denominator for f in expected
    ]
    cap = math.log2(max_product)
    m = nearest_ratios(
        cents, tolerance_cents=tolerance, max_results=5, max_tenney_height=cap, improving_only=False
    )
    assert [x.ratio for x in m] == expected[:5]
    # the default keeps the best approximations: each closer than every simpler one
    records, closest = [], math.inf
    for f in expected:
        if abs(cents - cents_of(f)) < closest:
            records.append(f)
            closest = abs(cents - cents_of(f))
    best = nearest_ratios(cents, tolerance_cents=tolerance, max_results=50, max_tenney_height=cap)
    assert [x.ratio for x in best] == records


@given(
    st.fractions(min_value=0, max_value=50, max_denominator=60),
    st.fractions(min_value=0, max_value=1, max_denominator=60),
    st.booleans(),
    st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_simplest_ratio_has_the_smallest_denominator(low, width, low_open, high_open):
    high = low + width
    got = simplest_ratio(low, high, low_open=low_open, high_open=high_open)
    # slow obvious reference: for d = 1, 2, ... the smallest positive numerator n with n/d inside;
    # the bounds have denominators <= 3600, so an answer exists by then unless the interval is empty
    expected = None
    a, b = low.numerator, low.denominator
    for d in range(1, 3601):
        n = max(-(-a * d // b), 1)  # ceil(low * d), integer arithmetic
        if low_open and n * b == a * d:
            n += 1
        f = Fraction(n, d)
        if f < high or (f == high and not high_open):
            expected = f
            break
    assert got == expected


def test_simplest_ratio_edge_cases():
    assert simplest_ratio(Fraction(1), Fraction(1)) == 1
    assert simplest_ratio(Fraction(1), Fraction(1), low_open=True) is None
    assert simplest_ratio(Fraction(3, 2), Fraction(3, 2)) == Fraction(3, 2)
    assert simplest_ratio(Fraction(0), Fraction(1, 1000)) == Fraction(1, 1000)
    assert simplest_ratio(Fraction(5, 2), None, low_open=True) == 3
    assert simplest_ratio(Fraction(2), Fraction(1)) is None


@given(st.floats(-5000, 5000), st.floats(0.01, 50), st.integers(1, 6))
@settings(max_examples=200, deadline=None)
def test_nearest_ratios_properties(cents, tolerance, k):
    matches = nearest_ratios(
        cents,
        tolerance_cents=tolerance,
        max_results=k,
        max_tenney_height=None,
        improving_only=False,
    )
    # uncapped, infinitely many fractions lie within a positive tolerance
    assert len(matches) == k
    assert all(abs(m.error_cents) <= tolerance for m in matches)
    keys = [m.ratio.numerator * m.ratio.denominator for m in matches]
    assert keys == sorted(keys)
    assert len({m.ratio for m in matches}) == len(matches)


def test_best_approximations_by_hand():
    assert [m.ratio for m in nearest_ratios(386.314)] == [Fraction(5, 4)]
    assert [m.ratio for m in nearest_ratios(701.955)] == [Fraction(3, 2)]
    everything = nearest_ratios(386.314, improving_only=False)
    assert [m.ratio for m in everything] == [Fraction(5, 4), Fraction(29, 23), Fraction(31, 25)]


@given(st.floats(-2500, 2500), st.floats(0.5, 30))
@settings(max_examples=100, deadline=None)
def test_each_best_approximation_is_closer_than_the_last(cents, tolerance):
    matches = nearest_ratios(cents, tolerance_cents=tolerance, max_results=6)
    errors = [abs(m.error_cents) for m in matches]
    assert errors == sorted(errors, reverse=True) and len(set(errors)) == len(errors)


@pytest.mark.parametrize("cents", [0.0, 2.2250738585072014e-308, 1200.0, cents_of(Fraction(3, 2))])
def test_best_approximations_end_at_an_exact_fraction(cents):
    # uncapped, the descent must stop once it hits the target exactly (a float is a fraction)
    matches = nearest_ratios(cents, max_results=50, max_tenney_height=None)
    assert 1 <= len(matches) < 50


def test_ratio_match_to_dict():
    m = RatioMatch.of(Fraction(2), 1200.0)
    assert m.to_dict() == {
        "ratio": "2/1",
        "cents": 1200.0,
        "error_cents": 0.0,
        "odd_limit": 1,
        "prime_limit": 2,
        "tenney_height": 1.0,
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"cents": math.nan}, "finite"),
        ({"cents": math.inf}, "finite"),
        ({"cents": 700.0, "tolerance_cents": -1.0}, ">= 0"),
        ({"cents": 700.0, "max_results": 0}, ">= 1"),
        ({"cents": 2e6}, "within"),
    ],
)
def test_bad_arguments(kwargs, match):
    cents = kwargs.pop("cents")
    with pytest.raises(ConfigError, match=match):
        nearest_ratios(cents, **kwargs)
