"""The emergence criteria of the preset timbres: what interval system a run must show to pass."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from xentune.units import ratio_to_cents

if TYPE_CHECKING:
    from xentune.tuning.edo import EdoFit
    from xentune.tuning.emergence import EmergentScale

__all__ = ["HARMONIC_TARGETS", "CriteriaResult", "check_criteria", "criteria_name"]

#: The just intervals a harmonic timbre's scale must hold (the classic minima of its curve).
HARMONIC_TARGETS = (Fraction(6, 5), Fraction(5, 4), Fraction(4, 3), Fraction(3, 2), Fraction(5, 3))
#: A step "is" a target within this many cents.
STEP_TOLERANCE_CENTS = 10.0
#: Tolerance on the period of a harmonic run (cents from 1200).
OCTAVE_TOLERANCE_CENTS = 5.0
#: Tolerance on the period of a stretched run (cents from its pseudo-octave).
PSEUDO_OCTAVE_TOLERANCE_CENTS = 10.0
_FIFTH_CENTS = ratio_to_cents(1.5)


@dataclass(frozen=True)
class CriteriaResult:
    """Whether an emergent scale meets its timbre's criteria, and which ones it failed.

    Parameters
    ----------
    name : str
        Which criteria: ``harmonic``, ``stretched`` or ``edo``.
    description : str
        The criteria in one line.
    passed : bool
    failures : tuple of str
        One line per failed criterion (empty when ``passed``).
    """

    name: str
    description: str
    passed: bool
    failures: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "description": self.description,
            "passed": self.passed,
            "failures": list(self.failures),
        }


def _spec_params(timbre: str) -> tuple[str, dict[str, str]]:
    name, _, rest = timbre.partition(":")
    params = {}
    for item in rest.split(","):
        key, sep, value = item.partition("=")
        if sep:
            params[key.strip()] = value.strip()
    return name.strip(), params


def criteria_name(timbre: str) -> str | None:
    """``harmonic``, ``stretched`` or ``edo`` for a timbre SPEC with criteria; ``None`` otherwise."""
    name, _ = _spec_params(timbre)
    return name if name in ("harmonic", "stretched", "edo") else None


def _near(steps: tuple[float, ...], target: float, tol: float) -> bool:
    return any(abs(s - target) <= tol for s in steps)


def check_criteria(timbre: str, scale: EmergentScale, edos: list[EdoFit]) -> CriteriaResult | None:
    """Judge an emergent scale against the criteria of its timbre (issue 13).

    - ``harmonic``: steps within 10 cents of 6/5, 5/4, 4/3, 3/2 and 5/3; period 1200 +- 5 cents.
    - ``stretched:octave=A``: period within 10 cents of ``1200 log2 A``; a step within 10 cents
      of the stretched fifth ``702 log2 A`` (751 for A = 2.1); no step within 10 cents of the just
      fifth 702 (when the two are more than 20 cents apart).
    - ``edo:n=N``: the best-fitting equal division of the period over 5..31 is N.

    Parameters
    ----------
    timbre : str
        The timbre SPEC of the run.
    scale : EmergentScale
    edos : list of EdoFit
        Best equal divisions of the period, best first (`xentune.tuning.emergence.emergent_edos`).

    Returns
    -------
    CriteriaResult or None
        ``None`` for a timbre without criteria (bell, a file, audio, ...).
    """
    name, params = _spec_params(timbre)
    steps, fails = scale.steps_cents, []
    if name == "harmonic":
        description = "steps within 10 c of 6/5 5/4 4/3 3/2 5/3; period 1200 +- 5 c"
        for r in HARMONIC_TARGETS:
            c = ratio_to_cents(r)
            if not _near(steps, c, STEP_TOLERANCE_CENTS):
                fails.append(f"no step within 10 c of {r} ({c:.1f})")
        if abs(scale.period_cents - 1200.0) > OCTAVE_TOLERANCE_CENTS:
            fails.append(f"period {scale.period_cents:.1f} not within 5 c of 1200")
    elif name == "stretched":
        octave = float(params.get("octave", 2.1))
        pseudo = ratio_to_cents(octave)
        fifth = _FIFTH_CENTS * math.log2(octave)
        description = (
            f"period {pseudo:.1f} +- 10 c; a step within 10 c of {fifth:.0f}; "
            f"none within 10 c of 702"
        )
        if abs(scale.period_cents - pseudo) > PSEUDO_OCTAVE_TOLERANCE_CENTS:
            fails.append(f"period {scale.period_cents:.1f} not within 10 c of {pseudo:.1f}")
        if not _near(steps, fifth, STEP_TOLERANCE_CENTS):
            fails.append(f"no stretched fifth within 10 c of {fifth:.1f}")
        if abs(fifth - _FIFTH_CENTS) > 2 * STEP_TOLERANCE_CENTS and _near(
            steps, _FIFTH_CENTS, STEP_TOLERANCE_CENTS
        ):
            fails.append("a step within 10 c of the just fifth 702")
    elif name == "edo":
        n = int(params.get("n", 12))
        description = f"best equal division of the period (5..31) is {n}"
        if not edos:
            fails.append("no emergent steps")
        elif edos[0].n != n:
            fails.append(f"best EDO {edos[0].n}, not {n}")
    else:
        return None
    return CriteriaResult(name, description, not fails, tuple(fails))
