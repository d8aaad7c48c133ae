"""The ranges and tolerances every analysis of a scale uses: one set, named once.

`xentune analyze SCALE.scl`, `xentune analyze RUN`, the run's own report and the terminal summary of
`xentune generate` all read these, so the same scale gets the same best equal divisions and the
same nearest just ratios wherever it is analysed.
"""

from __future__ import annotations

from fractions import Fraction

from xentune.units import cents_to_ratio

__all__ = [
    "AGREEMENT_TOLERANCE_CENTS",
    "LANDMARK_HIT_CENTS",
    "LANDMARK_RATIOS",
    "SIMPLE_ODD_LIMIT",
    "CRITERIA_EDO_RANGE",
    "CURVE_MAX_RATIO",
    "EDO_RANGE",
    "EDO_TOP",
    "JUST_MATCHES",
    "JUST_TOLERANCE_CENTS",
    "UNDIVIDABLE_PERIOD_CENTS",
    "curve_ratio_range",
]

#: Numbers of equal divisions tried when ranking EDO fits of a scale: 5..53, so that the classic
#: large divisions (31, 41, 53) are found for a .scl and an emergent scale alike.
EDO_RANGE = range(5, 54)
#: How many best-fitting equal divisions an analysis keeps, best first.
EDO_TOP = 5
#: Largest error of a just ratio listed beside a scale step, in cents (about a 1/7 semitone:
#: the widest mistuning at which an interval is still heard as that ratio by most listeners).
JUST_TOLERANCE_CENTS = 15.0
#: How many just ratios are listed per step, simplest (lowest Tenney height) first.
JUST_MATCHES = 3
#: The divided period when a scale's period is <= 0 cents (e.g. chimes.scl): the octave.
UNDIVIDABLE_PERIOD_CENTS = 1200.0
#: Upper frequency ratio of a timbre's dissonance curve: past a stretched 2.1 pseudo-octave.
CURVE_MAX_RATIO = 2.3
#: Divisions tried by the emergence criterion ``edo:n=N`` (the held-out rates in the README were
#: measured with it; it is a success criterion of a run, not an analysis of a scale).
CRITERIA_EDO_RANGE = range(5, 32)

#: The "simple" just ratios a step is compared with when asking "minima or just intonation?".
SIMPLE_ODD_LIMIT = 9
#: The just intervals every report checks by name (the harmonic curve's classic minima).
LANDMARK_RATIOS = (
    Fraction(6, 5),
    Fraction(5, 4),
    Fraction(4, 3),
    Fraction(3, 2),
    Fraction(5, 3),
    Fraction(2, 1),
)
#: A step within this many cents of a landmark ratio "is" that ratio in the findings.
LANDMARK_HIT_CENTS = 10.0
#: A degree within this many cents of a curve minimum (or a simple ratio) is "near" it.
AGREEMENT_TOLERANCE_CENTS = 10.0


def curve_ratio_range(period_cents: float) -> tuple[float, float]:
    """The frequency-ratio range of the dissonance curve a scale with this period is compared with.

    Up to `CURVE_MAX_RATIO` or 50 cents past the period, whichever is higher, so the curve's
    minimum at the period itself is always inside it.

    Examples
    --------
    >>> curve_ratio_range(1200.0)
    (1.0, 2.3)
    """
    return 1.0, max(CURVE_MAX_RATIO, cents_to_ratio(period_cents + 50.0))
