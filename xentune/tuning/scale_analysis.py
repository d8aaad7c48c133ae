"""Per-degree analysis of a scale: cents, nearest just ratios, best EDOs, the 128-key table."""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from xentune.errors import ConfigError, ScalaError
from xentune.tuning.conventions import EDO_RANGE, EDO_TOP, JUST_MATCHES, JUST_TOLERANCE_CENTS
from xentune.tuning.edo import EdoFit, fit_edo, scale_edo_fits
from xentune.tuning.frequencies import frequency_table
from xentune.tuning.ratios import RatioMatch, nearest_ratios, odd_limit, prime_limit, tenney_height
from xentune.tuning.scale import KeyboardMapping, Scale
from xentune.units import hz_to_cents, midi_to_hz, ratio_to_cents

__all__ = [
    "ANALYSIS_FORMAT",
    "ANALYSIS_VERSION",
    "DegreeAnalysis",
    "EdoStep",
    "ScaleAnalysis",
    "analyze_scale",
]

#: ``format`` and ``version`` fields of ``analysis.json``.
ANALYSIS_FORMAT = "xentune-scale-analysis"
ANALYSIS_VERSION = 1


def _ratio_str(r: Fraction) -> str:
    return f"{r.numerator}/{r.denominator}"


def _finite_or_none(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


@dataclass(frozen=True)
class EdoStep:
    """The nearest step of one equal division to one degree.

    Attributes
    ----------
    n : int
        Number of divisions of the period.
    name : str
        ``"12-EDO"``, or ``"13-ED1901.955c"`` for another period.
    step : int
        Nearest step number (``n`` for the period itself).
    error_cents : float
        Degree minus the step's pitch, in cents.
    """

    n: int
    name: str
    step: int
    error_cents: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"n": self.n, "name": self.name, "step": self.step, "error_cents": self.error_cents}


@dataclass(frozen=True)
class DegreeAnalysis:
    """What one scale degree is, in just and equal-tempered terms.

    Attributes
    ----------
    degree : int
        1..N (degree 0, 1/1, is implicit); N is the period.
    cents : float
        Pitch above 1/1 in cents.
    ratio : Fraction or None
        The exact ratio the file gave, ``None`` when it gave cents.
    is_period : bool
        Whether this is the last degree (the period, or formal octave).
    just_ratios : tuple[RatioMatch, ...]
        The simplest just ratios within the tolerance, simplest (lowest Tenney height) first.
    edo_steps : tuple[EdoStep, ...]
        Nearest step in each of the best-fitting equal divisions, best division first.
    """

    degree: int
    cents: float
    ratio: Fraction | None
    is_period: bool
    just_ratios: tuple[RatioMatch, ...]
    edo_steps: tuple[EdoStep, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form; an exact ratio comes with its odd and prime limit and Tenney height."""
        exact: dict[str, Any] | None = None
        if self.ratio is not None:
            try:
                plimit: int | None = prime_limit(self.ratio)
            except ConfigError:  # a term too hard to factor: say "unknown", not fail
                plimit = None
            exact = {
                "ratio": _ratio_str(self.ratio),
                "odd_limit": odd_limit(self.ratio),
                "prime_limit": plimit,
                "tenney_height": tenney_height(self.ratio),
            }
        return {
            "degree": self.degree,
            "cents": self.cents,
            "is_period": self.is_period,
            "exact_ratio": exact,
            "just_ratios": [m.to_dict() for m in self.just_ratios],
            "edo_steps": [s.to_dict() for s in self.edo_steps],
        }


@dataclass(frozen=True, eq=False)
class ScaleAnalysis:
    """Everything `analyze_scale` found: per degree, best EDOs, and the 128-key frequency table.

    Attributes
    ----------
    scale : Scale
    mapping : KeyboardMapping
        The mapping used for the table (the standard one when none was given).
    source : str
        Where the scale came from (a path), for the record.
    degrees : tuple[DegreeAnalysis, ...], length N
    best_edos : tuple[EdoFit, ...]
        Best equal divisions of ``edo_period_cents`` for the degrees inside the period, by RMS
        error relative to the step (ties to the smaller n).
    edo_period_cents : float
        The divided period: the scale's period, or 1200 when that is <= 0 (chimes.scl).
    edo_targets_cents : tuple[float, ...]
        The intervals the EDOs were fitted to.
    frequencies_hz : np.ndarray, shape (128,)
        Hz of MIDI keys 0..127 (`frequency_table`; unmapped keys interpolated as Surge XT does).
    key_degrees : np.ndarray of int64, shape (128,)
        Scale degree each key plays (octave-extended; meaningless where not mapped).
    mapped : np.ndarray of bool, shape (128,)
        Whether each key plays a scale degree (``x`` in the .kbm: not mapped).
    tolerance_cents : float
        Largest error of a listed just ratio.
    edo_range : range
        The numbers of divisions tried.
    """

    scale: Scale
    mapping: KeyboardMapping
    source: str
    degrees: tuple[DegreeAnalysis, ...]
    best_edos: tuple[EdoFit, ...]
    edo_period_cents: float
    edo_targets_cents: tuple[float, ...]
    frequencies_hz: np.ndarray
    key_degrees: np.ndarray
    mapped: np.ndarray
    tolerance_cents: float
    edo_range: range

    # ----------------------------------------------------------------------------- key table
    def cents_from_reference(self) -> np.ndarray:
        """Cents of each key above the mapping's reference frequency, shape (128,)."""
        with np.errstate(divide="ignore"):
            return hz_to_cents(self.frequencies_hz, self.mapping.reference_hz)

    def cents_from_12edo(self) -> np.ndarray:
        """Cents of each key above the same key in 12-EDO at A4 = 440 Hz, shape (128,).

        The retuning a synth applies to each key (tuning-library's
        ``retuningFromEqualInCentsForMidiNote``).
        """
        edo12 = midi_to_hz(np.arange(128.0))  # (128,) Hz
        with np.errstate(divide="ignore"):
            return ratio_to_cents(self.frequencies_hz / edo12)

    def frequencies_csv(self) -> str:
        """The 128-key table as CSV text.

        Columns: ``note`` (MIDI key 0..127), ``frequency_hz``, ``cents_from_reference`` (above
        the mapping's reference frequency), ``cents_from_12edo`` (above the same key in 12-EDO at
        A4 = 440 Hz), ``degree`` (the scale degree the key plays, empty when unmapped) and
        ``mapped`` (1, or 0 for an ``x`` key, whose frequency is interpolated as Surge XT plays it).
        Values that overflow float64 (extreme mappings) are left empty.
        """
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(
            ["note", "frequency_hz", "cents_from_reference", "cents_from_12edo", "degree", "mapped"]
        )
        ref, edo = self.cents_from_reference(), self.cents_from_12edo()
        for k in range(128):
            hz = float(self.frequencies_hz[k])
            ok = math.isfinite(hz) and hz > 0
            w.writerow(
                [
                    k,
                    repr(hz) if ok else "",
                    repr(float(ref[k])) if ok else "",
                    repr(float(edo[k])) if ok else "",
                    int(self.key_degrees[k]) if self.mapped[k] else "",
                    int(bool(self.mapped[k])),
                ]
            )
        return buf.getvalue()

    # ----------------------------------------------------------------------------- JSON
    def to_dict(self) -> dict[str, Any]:
        """Every number, JSON-ready (``analysis.json``)."""
        m = self.mapping
        return {
            "format": ANALYSIS_FORMAT,
            "version": ANALYSIS_VERSION,
            "source": self.source,
            "description": self.scale.description,
            "n_notes": self.scale.n_notes,
            "period_cents": self.scale.period_cents,
            "period_ratio": None
            if self.scale.period_ratio is None
            else _ratio_str(self.scale.period_ratio),
            "mapping": {
                "map_size": m.map_size,
                "first_note": m.first_note,
                "last_note": m.last_note,
                "middle_note": m.middle_note,
                "reference_note": m.reference_note,
                "reference_hz": m.reference_hz,
                "octave_degree": m.octave_degree,
                "entries": list(m.entries),
            },
            "settings": {
                "just_tolerance_cents": self.tolerance_cents,
                "edo_n_min": min(self.edo_range),
                "edo_n_max": max(self.edo_range),
                "edo_period_cents": self.edo_period_cents,
                "edo_targets_cents": list(self.edo_targets_cents),
                "edo_ranking": "RMS error relative to the step size, ties to the smaller n",
            },
            "degrees": [d.to_dict() for d in self.degrees],
            "best_edos": [f.to_dict() for f in self.best_edos],
            "keys": {
                "frequency_hz": [_finite_or_none(x) for x in self.frequencies_hz],
                "cents_from_12edo": [_finite_or_none(x) for x in self.cents_from_12edo()],
                "mapped": [bool(x) for x in self.mapped],
            },
        }

    # ----------------------------------------------------------------------------- text
    def table(self) -> str:
        """A plain-text report for the terminal: header, best EDOs, one line per degree."""
        s = self.scale
        period = f"{s.period_cents:.3f} cents"
        if s.period_ratio is not None:
            period += f" ({_ratio_str(s.period_ratio)})"
        lines = [
            f"{self.source or 'scale'}: {s.description or '(no description)'}",
            f"{s.n_notes} notes, period {period}",
            "best equal divisions (RMS error of the degrees inside the period, relative to the step):",
        ]
        for f in self.best_edos:
            lines.append(
                f"  {f.name:>16}  step {f.step_cents:8.3f} c  RMS {f.rms_error_cents:7.3f} c  "
                f"relative {f.relative_rms_error:.4f}"
            )
        lines.append(
            f"degree     cents  ratio          just ratios within {self.tolerance_cents:g} c "
            "(error c, odd/prime limit)  |  nearest EDO steps (error c)"
        )
        for d in self.degrees:
            ratio = _ratio_str(d.ratio) if d.ratio is not None else ""
            just = ", ".join(
                f"{_ratio_str(m.ratio)} ({m.error_cents:+.3f}, {m.odd_limit}/{m.prime_limit})"
                for m in d.just_ratios
            )
            edo = ", ".join(f"{e.step}\\{e.n} ({e.error_cents:+.3f})" for e in d.edo_steps)
            mark = "*" if d.is_period else " "
            lines.append(
                f"{d.degree:>5}{mark} {d.cents:9.3f}  {ratio:<13}  {just or '-'}  |  {edo}"
            )
        mapped = int(self.mapped.sum())
        m = self.mapping
        lines.append(
            f"keyboard: reference key {m.reference_note} = {m.reference_hz:.4f} Hz, middle key "
            f"{m.middle_note}, {mapped}/128 keys mapped; key 60 = {self.frequencies_hz[60]:.4f} Hz, "
            f"key 69 = {self.frequencies_hz[69]:.4f} Hz"
        )
        return "\n".join(lines)


def analyze_scale(
    scale: Scale,
    mapping: KeyboardMapping | None = None,
    *,
    source: str = "",
    tolerance_cents: float = JUST_TOLERANCE_CENTS,
    max_ratios: int = JUST_MATCHES,
    edo_range: range = EDO_RANGE,
    top_edos: int = EDO_TOP,
) -> ScaleAnalysis:
    """Analyse a scale degree by degree, and tabulate it on the 128 MIDI keys.

    Each degree gets the simplest just ratios within ``tolerance_cents`` (`nearest_ratios`, by
    Tenney height) and its nearest step in each of the ``top_edos`` best equal divisions of the
    scale's period (`xentune.tuning.edo.scale_edo_fits`, the ranking every analysis of a scale
    uses: RMS error relative to the step over the degrees inside the period; a period <= 0
    cents, as in chimes.scl, cannot be divided, so then 1200 cents is divided and every degree
    is fitted; a scale of one degree has nothing to rank). Defaults come from
    `xentune.tuning.conventions`.

    Parameters
    ----------
    scale : Scale
        At least one degree.
    mapping : KeyboardMapping or None
        Keyboard mapping for the frequency table; None = `KeyboardMapping.standard()`.
    source : str
        Where the scale came from (shown and recorded).
    tolerance_cents : float
        Largest error of a listed just ratio, >= 0.
    max_ratios : int
        Just ratios listed per degree, >= 1.
    edo_range : range
        Numbers of divisions to try (non-empty, each >= 1).
    top_edos : int
        Equal divisions kept, >= 1.

    Returns
    -------
    ScaleAnalysis

    Raises
    ------
    ScalaError
        A scale with no degrees.
    ConfigError
        Bad settings.
    """
    if scale.n_notes == 0:
        raise ScalaError(
            f"{source or 'scale'}: the scale has 0 notes (only the implicit 1/1); there is nothing "
            "to analyse: add its degrees and period"
        )
    mapping = KeyboardMapping.standard() if mapping is None else mapping
    degrees = scale.degrees_cents
    edo = scale_edo_fits(degrees, n_range=edo_range, top=top_edos)
    period, targets, fits = edo.period_cents, edo.targets_cents, edo.best
    per_degree_fits = [fit_edo(degrees, f.n, period_cents=period) for f in fits]  # all degrees
    out = []
    for i, c in enumerate(degrees):
        out.append(
            DegreeAnalysis(
                degree=i + 1,
                cents=c,
                ratio=scale.ratios[i],
                is_period=i == scale.n_notes - 1,
                just_ratios=tuple(
                    nearest_ratios(c, tolerance_cents=tolerance_cents, max_results=max_ratios)
                ),
                edo_steps=tuple(
                    EdoStep(f.n, f.name, f.degree_steps[i], f.degree_errors_cents[i])
                    for f in per_degree_fits
                ),
            )
        )
    key_degrees, mapped = mapping.key_degrees(np.arange(128), scale.n_notes)
    return ScaleAnalysis(
        scale=scale,
        mapping=mapping,
        source=source,
        degrees=tuple(out),
        best_edos=tuple(fits),
        edo_period_cents=period,
        edo_targets_cents=tuple(targets),
        frequencies_hz=frequency_table(scale, mapping),
        key_degrees=key_degrees,
        mapped=mapped,
        tolerance_cents=tolerance_cents,
        edo_range=edo_range,
    )
