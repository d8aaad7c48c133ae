"""The analysis of one scale (degrees, period, timbre): just ratios, EDO fits, curve minima -> `Analysis`."""

from __future__ import annotations

import math
import platform
from fractions import Fraction
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from xentune.errors import ConfigError
from xentune.psychoacoustics.curve import dissonance_curve, minima_of_curve
from xentune.report.findings import _agreement, _sg, _with_findings
from xentune.report.model import (
    SCHEMA_VERSION,
    Analysis,
    Controls,
    Curve,
    CurveMinimumEntry,
    EdoSummary,
    Emergence,
    ExamplePiece,
    JustRatio,
    Landmark,
    Period,
    Piece,
    Step,
    Timbre,
    Training,
)
from xentune.spectrum import Spectrum
from xentune.tuning.conventions import (
    EDO_RANGE,
    EDO_TOP,
    JUST_MATCHES,
    JUST_TOLERANCE_CENTS,
    LANDMARK_RATIOS,
    SIMPLE_ODD_LIMIT,
    curve_ratio_range,
)
from xentune.tuning.edo import fit_edo, scale_edo_fits
from xentune.tuning.frequencies import frequency_table
from xentune.tuning.ratios import nearest_ratios, odd_limit
from xentune.tuning.scale import KeyboardMapping, Scale
from xentune.units import DEFAULT_REFERENCE_HZ, cents_to_ratio, ratio_to_cents

__all__ = [
    "analysis_for_scale",
]


#: Most points of a curve, density or training history kept in ``report.json`` (for the plots).
MAX_SERIES_POINTS = 1500


# ---------------------------------------------------------------------------------------------
# The dataclasses (report.json is ``Analysis.to_dict()``; the schema mirrors these fields)
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Reading report.json back
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Small pure helpers
# ---------------------------------------------------------------------------------------------


def _finite(x: float) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _thin(n: int, max_points: int = MAX_SERIES_POINTS) -> np.ndarray:
    """Indices keeping at most ``max_points`` of ``n`` evenly, always with the first and last."""
    if n <= max_points:
        return np.arange(n)
    return np.unique(np.linspace(0, n - 1, max_points).round().astype(int))


def _ratio_str(r: Fraction) -> str:
    return f"{r.numerator}/{r.denominator}"


def _cents(r: Fraction | float) -> float:
    return ratio_to_cents(float(r))


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in ("xentune", "torch", "numpy", "scipy", "matplotlib"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "unknown"
    return out


def _xentune_version() -> str:
    try:
        return metadata.version("xentune")
    except metadata.PackageNotFoundError:
        return "unknown"


def _period_info(period_cents: float, spectrum: Spectrum | None) -> Period:
    offset = period_cents - 1200.0
    pseudo = None
    if spectrum is not None and spectrum.pseudo_octave is not None:
        pseudo = _cents(spectrum.pseudo_octave)
    tritave = _cents(3)
    if abs(offset) <= 5.0:
        kind = "octave"
        text = f"The period is an octave: {period_cents:.1f} cents ({_sg(offset)} cents from 2/1)."
    elif abs(period_cents - tritave) <= 10.0:
        kind = "tritave"
        text = f"The period is a tritave: {period_cents:.1f} cents ({_sg(period_cents - tritave)} from 3/1)."
    elif 1200.0 < period_cents <= 1500.0:
        kind = "stretched octave"
        text = (
            f"The period is a stretched octave: {period_cents:.1f} cents, "
            f"{offset:.1f} cents wider than 2/1 (ratio {cents_to_ratio(period_cents):.4f})."
        )
    elif 900.0 <= period_cents < 1200.0:
        kind = "compressed octave"
        text = (
            f"The period is a compressed octave: {period_cents:.1f} cents, "
            f"{-offset:.1f} cents narrower than 2/1 (ratio {cents_to_ratio(period_cents):.4f})."
        )
    else:
        kind = "non-octave period"
        text = f"The period is {period_cents:.1f} cents (ratio {cents_to_ratio(period_cents):.4f}), not an octave."
    if pseudo is not None:
        text += (
            f" The timbre's own period is {pseudo:.1f} cents (ratio {spectrum.pseudo_octave:g}); "  # type: ignore[union-attr]
            f"the scale's period is {_sg(period_cents - pseudo)} cents from it."
        )
    return Period(
        cents=float(period_cents),
        ratio=float(cents_to_ratio(period_cents)),
        kind=kind,
        octave_offset_cents=float(offset),
        timbre_pseudo_octave_cents=pseudo,
        description=text,
    )


def _simple_ratios(max_cents: float, *, odd_limit_max: int = SIMPLE_ODD_LIMIT) -> list[Fraction]:
    """All ratios above 1/1 and up to ``max_cents`` whose odd limit is at most ``odd_limit_max``."""
    top = cents_to_ratio(max_cents)
    found: set[Fraction] = set()
    for q in range(1, 4 * odd_limit_max + 1):
        for p in range(q + 1, int(top * q) + 1):
            r = Fraction(p, q)
            if 1 < r <= top and odd_limit(r) <= odd_limit_max:
                found.add(r)
    return sorted(found)


def _nearest(values: np.ndarray, x: float) -> int | None:
    if values.size == 0:
        return None
    return int(np.argmin(np.abs(values - x)))


# ---------------------------------------------------------------------------------------------
# The analysis proper
# ---------------------------------------------------------------------------------------------


def _curve(spectrum: Spectrum, *, period_cents: float, f0_hz: float) -> tuple[Any, list[Any]]:
    curve = dissonance_curve(spectrum, f0_hz=f0_hz, ratio_range=curve_ratio_range(period_cents))
    return curve, minima_of_curve(curve, spectrum)


def _analyse(
    *,
    kind: str,
    source: str,
    title: str,
    period_cents: float,
    steps_cents: list[float],
    strengths: list[float] | None,
    source_ratios: list[Fraction | None] | None,
    spectrum: Spectrum | None,
    f0_hz: float,
    emergence: Emergence | None = None,
    training: Training | None = None,
    pieces: tuple[Piece, ...] = (),
    example_piece: ExamplePiece | None = None,
    frequencies_hz: tuple[float | None, ...] | None = None,
    settings: dict[str, Any] | None = None,
    versions: dict[str, str] | None = None,
    notes: list[str] | None = None,
    controls: Controls | None = None,
) -> Analysis:
    notes = list(notes or [])
    inner = [float(c) for c in steps_cents]
    degrees = np.array([*inner, float(period_cents)])  # (D,) every degree, the period last
    period = _period_info(float(period_cents), spectrum)

    # EDO fits as every analysis of a scale ranks them (`scale_edo_fits`): the steps inside the
    # period; with none there is nothing to rank; a period <= 0 is not divided (1200 is).
    fitted = scale_edo_fits(degrees.tolist(), n_range=EDO_RANGE, top=EDO_TOP)
    best = list(fitted.best)
    targets = list(fitted.targets_cents)
    all_fits = (
        [fit_edo(targets, n, period_cents=fitted.period_cents) for n in EDO_RANGE] if best else []
    )
    edo = EdoSummary(
        n_min=EDO_RANGE.start,
        n_max=EDO_RANGE.stop - 1,
        best=tuple(best),
        n=tuple(f.n for f in all_fits),
        rms_error_cents=tuple(float(f.rms_error_cents) for f in all_fits),
        relative_rms_error=tuple(float(f.relative_rms_error) for f in all_fits),
    )
    top_fit = best[0] if best else None

    # The timbre's dissonance curve and its minima.
    curve: Curve | None = None
    minima_cents = np.zeros(0)
    if spectrum is not None:
        dc, mins = _curve(spectrum, period_cents=period_cents, f0_hz=f0_hz)
        minima_cents = np.array([m.cents for m in mins], dtype=float)
        keep = _thin(len(dc.cents))
        entries = []
        for m in mins:
            j = _nearest(degrees, m.cents)
            entries.append(
                CurveMinimumEntry(
                    cents=float(m.cents),
                    ratio=float(m.ratio),
                    value=float(m.value),
                    depth=float(m.depth),
                    nearest_degree=None if j is None else j + 1,
                    offset_cents=None if j is None else float(degrees[j] - m.cents),
                )
            )
        curve = Curve(
            model=str(dc.model),
            f0_hz=float(dc.f0_hz),
            cents=tuple(float(x) for x in np.asarray(dc.cents)[keep]),
            values=tuple(float(x) for x in np.asarray(dc.values)[keep]),
            minima=tuple(entries),
        )
    else:
        notes.append("No timbre: no dissonance curve, so steps are not compared with curve minima.")

    simple = _simple_ratios(max(period_cents, 1200.0) + 50.0)
    simple_cents = np.array([_cents(r) for r in simple])

    steps: list[Step] = []
    for i, c in enumerate(degrees):
        is_period = i == len(degrees) - 1
        matches = nearest_ratios(
            float(c), tolerance_cents=JUST_TOLERANCE_CENTS, max_results=JUST_MATCHES
        )
        jm = _nearest(minima_cents, c)
        js = _nearest(simple_cents, c)
        src = None if source_ratios is None else source_ratios[i]
        steps.append(
            Step(
                degree=i + 1,
                cents=float(c),
                is_period=is_period,
                strength=None if (strengths is None or is_period) else float(strengths[i]),
                source_ratio=None if src is None else _ratio_str(src),
                just_ratios=tuple(
                    JustRatio(
                        ratio=_ratio_str(m.ratio),
                        cents=float(m.cents),
                        error_cents=float(m.error_cents),
                        odd_limit=int(m.odd_limit),
                        prime_limit=int(m.prime_limit),
                        tenney_height=float(m.tenney_height),
                    )
                    for m in matches
                ),
                nearest_minimum_cents=None if jm is None else float(minima_cents[jm]),
                minimum_offset_cents=None if jm is None else float(c - minima_cents[jm]),
                simple_ratio=None if js is None else _ratio_str(simple[js]),
                simple_ratio_error_cents=None if js is None else float(c - simple_cents[js]),
                best_edo_degree=None
                if (is_period or top_fit is None or not inner)
                else int(top_fit.degree_steps[i]),
                best_edo_error_cents=None
                if (is_period or top_fit is None or not inner)
                else float(top_fit.degree_errors_cents[i]),
            )
        )

    landmarks = []
    for r in LANDMARK_RATIOS:
        rc = _cents(r)
        j = _nearest(degrees, rc)
        jm = _nearest(minima_cents, rc)
        landmarks.append(
            Landmark(
                ratio=_ratio_str(r),
                cents=rc,
                nearest_degree=None if j is None else j + 1,
                nearest_degree_cents=None if j is None else float(degrees[j]),
                degree_offset_cents=None if j is None else float(degrees[j] - rc),
                nearest_minimum_cents=None if jm is None else float(minima_cents[jm]),
                minimum_offset_cents=None if jm is None else float(minima_cents[jm] - rc),
            )
        )

    agreement = _agreement(steps) if inner and curve is not None and curve.minima else None
    analysis = Analysis(
        schema_version=SCHEMA_VERSION,
        kind=kind,
        source=source,
        title=title,
        xentune_version=_xentune_version(),
        timbre=None
        if spectrum is None
        else Timbre(
            name=spectrum.name,
            pseudo_octave=spectrum.pseudo_octave,
            ratios=tuple(float(r) for r in spectrum.ratios),
            amplitudes=tuple(float(a) for a in spectrum.amplitudes),
        ),
        period=period,
        steps=tuple(steps),
        edo=edo,
        curve=curve,
        landmarks=tuple(landmarks),
        agreement=agreement,
        emergence=emergence,
        training=training,
        pieces=pieces,
        example_piece=example_piece,
        frequencies_hz=frequencies_hz,
        settings=dict(settings or {}),
        versions=dict(versions or _versions()),
        notes=tuple(notes),
        controls=controls,
    )
    return _with_findings(analysis)


# ---------------------------------------------------------------------------------------------
# Entry points: a scale, a score, a run folder
# ---------------------------------------------------------------------------------------------


def analysis_for_scale(
    scale: Scale,
    mapping: KeyboardMapping | None = None,
    *,
    source: str = "",
    spectrum: Spectrum | None = None,
) -> Analysis:
    """Analyse a scale on its own (a .scl): no run, so no training, pieces or audio.

    Parameters
    ----------
    scale : Scale
        Degrees in cents after 1/1; the last is the period.
    mapping : KeyboardMapping, optional
        Keyboard mapping for the 128-key frequency table (standard mapping when ``None``).
    source : str
        Where the scale came from (file path), for the report's title.
    spectrum : Spectrum, optional
        A timbre to compare the degrees with (its dissonance-curve minima); none by default.
    """
    degrees = [float(c) for c in scale.degrees_cents]
    if not degrees:
        raise ConfigError(f"{source or 'scale'}: a scale needs at least one degree (its period)")
    period = degrees[-1]
    if not math.isfinite(period):
        raise ConfigError(
            f"{source or 'scale'}: period {period} cents must be finite; the last degree is the period"
        )
    table = np.asarray(frequency_table(scale, mapping, unmapped="nan"), dtype=float)
    notes = [
        "No run: this report analyses a scale file only, so it has no training curve, no pieces, "
        "no audio and no pooled-interval density."
    ]
    name = Path(source).name if source else "scale"
    desc = getattr(scale, "description", "") or ""
    return _analyse(
        kind="scale",
        source=source,
        title=f"Scale {name}" + (f": {desc}" if desc else ""),
        period_cents=period,
        steps_cents=degrees[:-1],
        strengths=None,
        source_ratios=list(scale.ratios),
        spectrum=spectrum,
        f0_hz=DEFAULT_REFERENCE_HZ,
        frequencies_hz=tuple(_finite(x) for x in table),
        settings={"n_notes": len(degrees), "description": desc},
        notes=notes,
    )
