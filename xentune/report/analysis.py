"""The tuning analysis of a run, a score or a scale: every number of the report in one dataclass."""

from __future__ import annotations

import json
import math
import platform
import re
import types
import typing
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from fractions import Fraction
from importlib import metadata
from pathlib import Path
from typing import Any, Union

import numpy as np

from xentune.errors import ConfigError, ScoreError
from xentune.psychoacoustics.curve import dissonance_curve, minima_of_curve
from xentune.report.schema import validate_report
from xentune.report.use_scale import UseScale, use_scale_for_run
from xentune.safe_read import finite_number, parse_json, read_text
from xentune.score import Score, load_scores
from xentune.spectrum import Spectrum, spectrum_from_dict
from xentune.timbre import parse_timbre
from xentune.tuning.conventions import (
    EDO_RANGE,
    EDO_TOP,
    JUST_MATCHES,
    JUST_TOLERANCE_CENTS,
    curve_ratio_range,
)
from xentune.tuning.edo import fit_edo, scale_edo_fits
from xentune.tuning.emergence import emergent_scale
from xentune.tuning.ratios import nearest_ratios, odd_limit
from xentune.tuning.scale import KeyboardMapping, Scale, frequency_table
from xentune.units import DEFAULT_REFERENCE_HZ

__all__ = [
    "SCHEMA_VERSION",
    "Agreement",
    "Analysis",
    "ControlRow",
    "Controls",
    "Curve",
    "CurveMinimumEntry",
    "EdoFitEntry",
    "EdoSummary",
    "Emergence",
    "ExamplePiece",
    "JustRatio",
    "Landmark",
    "Period",
    "Piece",
    "Step",
    "Timbre",
    "Training",
    "analysis_for_run",
    "analysis_for_scale",
    "analysis_for_score",
    "analysis_from_dict",
    "load_report",
]

#: Version of the ``report.json`` layout (``xentune.report.schema.REPORT_SCHEMA`` documents it).
#: Bump it when a field changes meaning or is removed; readers refuse other versions.
SCHEMA_VERSION = 2  # 2: "use" (the run's files for musicians) and pieces' "midi_mpe"

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
#: Most points of a curve, density or training history kept in ``report.json`` (for the plots).
MAX_SERIES_POINTS = 1500


# ---------------------------------------------------------------------------------------------
# The dataclasses (report.json is ``Analysis.to_dict()``; the schema mirrors these fields)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class JustRatio:
    """A just ratio near a step: the ratio, its size, the step's error and its complexity."""

    ratio: str  # "3/2"
    cents: float  # size of the ratio, cents
    error_cents: float  # step minus ratio, cents
    odd_limit: int
    prime_limit: int
    tenney_height: float  # log2(p * q)


@dataclass(frozen=True)
class Step:
    """One degree of the scale (the last one is the period), with everything it is compared to."""

    degree: int  # 1-based; degree 0 is the unison 1/1
    cents: float  # above the tonic
    is_period: bool
    strength: float | None  # emergent peak height relative to a flat density, None for a .scl
    source_ratio: str | None  # the exact ratio of the .scl degree, when it had one
    just_ratios: tuple[JustRatio, ...]  # within JUST_TOLERANCE_CENTS, simplest first
    nearest_minimum_cents: float | None  # the timbre's nearest dissonance-curve minimum
    minimum_offset_cents: float | None  # step minus that minimum, cents
    simple_ratio: str | None  # nearest ratio of odd limit <= SIMPLE_ODD_LIMIT
    simple_ratio_error_cents: float | None  # step minus that ratio, cents
    best_edo_degree: int | None  # nearest step of the best EDO (None for the period)
    best_edo_error_cents: float | None  # step minus that EDO step, cents


@dataclass(frozen=True)
class Period:
    """The period (octave or pseudo-octave) and what kind of period it is."""

    cents: float
    ratio: float  # 2 ** (cents / 1200)
    kind: str  # "octave", "stretched octave", "compressed octave", "tritave" or "non-octave period"
    octave_offset_cents: float  # cents - 1200
    timbre_pseudo_octave_cents: float | None  # the timbre's own period, when it has one
    description: str  # one sentence for the report


@dataclass(frozen=True)
class CurveMinimumEntry:
    """A local minimum of the timbre's dyad dissonance curve and the scale degree nearest to it."""

    cents: float
    ratio: float
    value: float  # roughness at the minimum (model units)
    depth: float  # prominence of the minimum (model units)
    nearest_degree: int | None
    offset_cents: float | None  # nearest degree minus this minimum, cents


@dataclass(frozen=True)
class Curve:
    """The timbre's dissonance curve (sampled for the plot) and its minima."""

    model: str
    f0_hz: float
    cents: tuple[float, ...]  # (G,) interval above f0
    values: tuple[float, ...]  # (G,) roughness of the dyad (model units)
    minima: tuple[CurveMinimumEntry, ...]


@dataclass(frozen=True)
class EdoFitEntry:
    """How well n equal divisions of the period fit the steps (see ``xentune.tuning.edo.EdoFit``)."""

    n: int
    period_cents: float
    step_cents: float
    degree_steps: tuple[int, ...]
    degree_errors_cents: tuple[float, ...]
    rms_error_cents: float
    relative_rms_error: float  # RMS error / step size


@dataclass(frozen=True)
class EdoSummary:
    """The best EDOs and the error of every n tried (for the plot)."""

    n_min: int
    n_max: int
    best: tuple[EdoFitEntry, ...]  # sorted by relative RMS error, ties to the smallest n
    n: tuple[int, ...]
    rms_error_cents: tuple[float, ...]
    relative_rms_error: tuple[float, ...]


@dataclass(frozen=True)
class Landmark:
    """A named just interval, the degree nearest to it and the curve minimum nearest to it."""

    ratio: str
    cents: float
    nearest_degree: int | None
    nearest_degree_cents: float | None
    degree_offset_cents: float | None  # degree minus ratio, cents
    nearest_minimum_cents: float | None
    minimum_offset_cents: float | None  # minimum minus ratio, cents


@dataclass(frozen=True)
class Agreement:
    """Do the steps sit on the timbre's curve minima or on simple just ratios?"""

    n_degrees: int  # degrees compared (the period included)
    tolerance_cents: float  # "near" means within this many cents
    n_near_minimum: int  # degrees near a curve minimum
    n_near_simple_ratio: int  # degrees near a ratio of odd limit <= SIMPLE_ODD_LIMIT
    mean_abs_minimum_offset_cents: float
    max_abs_minimum_offset_cents: float
    mean_abs_simple_ratio_error_cents: float
    follows: str  # "curve minima", "just ratios", "both" or "neither"
    verdict: str


@dataclass(frozen=True)
class Emergence:
    """The pooled intervals the emergent scale was read from."""

    n_pieces: int
    n_voices: int
    n_chords: int  # chords (time steps) per piece
    n_intervals: int
    period_source: str  # "data", "timbre", "given" or "default" (see EmergentScale)
    period_similarity: float | None  # self-similarity of the density at the period (data only)
    samples: str  # which pieces were pooled: "raw", "refined" or "score" (score.json as given)
    bandwidth_cents: float  # kernel width of the density
    peakedness_nats: float  # KL divergence of the density from a flat one
    grid_cents: tuple[float, ...]  # (G,) over one period
    density: tuple[float, ...]  # (G,) circular kernel density of the pooled intervals, 1/cent


@dataclass(frozen=True)
class ControlRow:
    """One set of samples scored by the emergence metrics (see ``xentune.generator.controls``)."""

    source: str  # "trained", "untrained" (the generator's initial weights) or "random" chords
    stage: str  # "raw" (as sampled) or "refined" (after the run's refinement steps)
    period_cents: float
    period_source: str
    period_similarity: float | None
    steps_cents: tuple[float, ...]
    peakedness_nats: float  # KL divergence of the pooled interval density from flat
    near_minimum_fraction: float  # share of sounding intervals near a curve minimum
    chance_fraction: float  # the share a uniform spread of intervals reaches
    distinct_chord_fraction: float
    best_edo: int | None
    criteria_passed: bool | None  # None: the timbre has no criteria
    criteria_failures: tuple[str, ...]


@dataclass(frozen=True)
class Controls:
    """The trained generator beside its controls in the same run, and by how far it beats them."""

    pieces: int
    refine_steps: int
    near_minimum_cents: float
    rows: tuple[ControlRow, ...]
    verdict: str
    generator_period_cents: float | None  # the scale generator's own mean period (None: a flow)
    generator_classes_cents: tuple[float, ...]  # its mean pitch classes, the root (0) first
    generator_class_usage: tuple[float, ...]  # share of notes on each class


@dataclass(frozen=True)
class Training:
    """A summary of the training history and the (thinned) curves for the plot."""

    n_steps: int
    initial_energy: float
    final_energy: float
    min_energy: float
    final_entropy: float | None
    final_loss: float | None
    elapsed_s: float | None
    step: tuple[int, ...]
    energy: tuple[float, ...]
    entropy: tuple[float, ...]  # empty when the history has none
    temperature: tuple[float, ...]  # empty when the history has none (constant T)


@dataclass(frozen=True)
class Piece:
    """One generated piece and the files that hold it (paths relative to the run folder)."""

    index: int
    name: str
    audio: str | None
    midi: str | None
    midi_mts: str | None
    midi_mpe: str | None
    n_voices: int
    n_notes: int
    duration_s: float
    lowest_cents: float
    highest_cents: float


@dataclass(frozen=True)
class ExamplePiece:
    """The notes of the piece drawn in the pitch-time plot, (V, N) per field."""

    index: int
    cents: tuple[tuple[float, ...], ...]
    onset_s: tuple[tuple[float, ...], ...]
    duration_s: tuple[tuple[float, ...], ...]
    grid_offset_cents: float  # tonic of the grid that fits the piece best, in [0, period)


@dataclass(frozen=True)
class Timbre:
    """The timbre's partials."""

    name: str
    pseudo_octave: float | None
    ratios: tuple[float, ...]
    amplitudes: tuple[float, ...]


@dataclass(frozen=True)
class Analysis:
    """Every number of a tuning report; ``to_dict()`` is ``report.json`` (schema ``SCHEMA_VERSION``).

    ``kind`` says what it was made from: ``"run"`` (a ``xentune generate`` folder), ``"score"``
    (a score.json, no training or audio) or ``"scale"`` (a .scl, no run at all). What a kind lacks
    is ``None`` or empty, and ``notes`` says so in words.
    """

    schema_version: int
    kind: str
    source: str
    title: str
    xentune_version: str
    timbre: Timbre | None
    period: Period
    steps: tuple[Step, ...]
    edo: EdoSummary
    curve: Curve | None
    landmarks: tuple[Landmark, ...]
    agreement: Agreement | None
    emergence: Emergence | None
    training: Training | None
    pieces: tuple[Piece, ...]
    example_piece: ExamplePiece | None
    frequencies_hz: tuple[float | None, ...] | None  # 128 MIDI keys under the .kbm (None: unmapped)
    settings: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    use: UseScale | None = None  # the run's scale files, layout and previews; None without a run
    controls: Controls | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (tuples become lists); ``analysis_from_dict`` reads it back exactly."""
        return asdict(self)

    def to_json(self) -> str:
        """``report.json`` text (strict JSON: no NaN or infinity)."""
        return json.dumps(self.to_dict(), indent=1, allow_nan=False) + "\n"

    @property
    def scale_steps(self) -> tuple[Step, ...]:
        """The steps inside the period (without the period itself)."""
        return tuple(s for s in self.steps if not s.is_period)


# ---------------------------------------------------------------------------------------------
# Reading report.json back
# ---------------------------------------------------------------------------------------------


def _convert(hint: Any, value: Any) -> Any:  # noqa: ANN401 - generic JSON -> dataclass field
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        if value is None:
            return None
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert(inner, value)
    if origin is tuple:
        inner = typing.get_args(hint)[0]
        return tuple(_convert(inner, v) for v in value)
    if isinstance(hint, type) and is_dataclass(hint):
        return _from_dict(hint, value)
    if hint is float:
        return float(value)
    if hint is int:
        return int(value)
    return value


def _from_dict(cls: type, data: dict[str, Any]) -> Any:  # noqa: ANN401
    hints = typing.get_type_hints(cls)
    return cls(**{f.name: _convert(hints[f.name], data[f.name]) for f in fields(cls)})


def analysis_from_dict(data: object, *, source: str = "report.json") -> Analysis:
    """Rebuild an `Analysis` from its JSON form, validating it against the schema first.

    Raises
    ------
    ConfigError
        ``data`` does not follow the report schema (the message names the first bad field).
    """
    validate_report(data, source=source)
    assert isinstance(data, dict)
    return _from_dict(Analysis, data)


def load_report(path: str | Path) -> Analysis:
    """Read and validate a ``report.json``.

    Raises
    ------
    ConfigError
        Missing, unreadable, not JSON, or not a report of this schema version.
    """
    p = Path(path)
    if not p.exists():
        raise ConfigError(f"{p}: no such report; run `xentune analyze RUN_DIR` to build one")
    data = _read_json(
        p, what="report.json", fix="rebuild it with `xentune analyze RUN_DIR --force`"
    )
    return analysis_from_dict(data, source=str(p))


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


def _sg(x: float, decimals: int = 1) -> str:
    """A signed number for prose, with no "-0.0"."""
    return f"{round(x, decimals) + 0.0:+.{decimals}f}"


def _ratio_str(r: Fraction) -> str:
    return f"{r.numerator}/{r.denominator}"


def _cents(r: Fraction | float) -> float:
    return 1200.0 * math.log2(float(r))


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
            f"{offset:.1f} cents wider than 2/1 (ratio {2 ** (period_cents / 1200):.4f})."
        )
    elif 900.0 <= period_cents < 1200.0:
        kind = "compressed octave"
        text = (
            f"The period is a compressed octave: {period_cents:.1f} cents, "
            f"{-offset:.1f} cents narrower than 2/1 (ratio {2 ** (period_cents / 1200):.4f})."
        )
    else:
        kind = "non-octave period"
        text = f"The period is {period_cents:.1f} cents (ratio {2 ** (period_cents / 1200):.4f}), not an octave."
    if pseudo is not None:
        text += (
            f" The timbre's own period is {pseudo:.1f} cents (ratio {spectrum.pseudo_octave:g}); "  # type: ignore[union-attr]
            f"the scale's period is {_sg(period_cents - pseudo)} cents from it."
        )
    return Period(
        cents=float(period_cents),
        ratio=float(2.0 ** (period_cents / 1200.0)),
        kind=kind,
        octave_offset_cents=float(offset),
        timbre_pseudo_octave_cents=pseudo,
        description=text,
    )


def _simple_ratios(max_cents: float, *, odd_limit_max: int = SIMPLE_ODD_LIMIT) -> list[Fraction]:
    """All ratios above 1/1 and up to ``max_cents`` whose odd limit is at most ``odd_limit_max``."""
    top = 2.0 ** (max_cents / 1200.0)
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
        best=tuple(_edo_entry(f) for f in best),
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


def _edo_entry(f: Any) -> EdoFitEntry:  # noqa: ANN401 - an xentune.tuning.edo.EdoFit
    return EdoFitEntry(
        n=int(f.n),
        period_cents=float(f.period_cents),
        step_cents=float(f.step_cents),
        degree_steps=tuple(int(s) for s in f.degree_steps),
        degree_errors_cents=tuple(float(e) for e in f.degree_errors_cents),
        rms_error_cents=float(f.rms_error_cents),
        relative_rms_error=float(f.relative_rms_error),
    )


def _agreement(steps: list[Step]) -> Agreement | None:
    """Count the degrees (the period included) near a curve minimum and near a simple just ratio."""
    inner = [
        s
        for s in steps
        if s.minimum_offset_cents is not None and s.simple_ratio_error_cents is not None
    ]
    if not inner:
        return None
    mins = np.array([abs(s.minimum_offset_cents) for s in inner])  # type: ignore[arg-type]
    just = np.array([abs(s.simple_ratio_error_cents) for s in inner])  # type: ignore[arg-type]
    tol = AGREEMENT_TOLERANCE_CENTS
    n, n_min, n_just = len(inner), int((mins <= tol).sum()), int((just <= tol).sum())
    m_mean, j_mean = float(mins.mean()), float(just.mean())
    counts = (
        f"{n_min} of {n} degrees lie within {tol:g} cents of the timbre's dissonance-curve minima "
        f"(mean |offset| {m_mean:.1f} cents), {n_just} of {n} within {tol:g} cents of a simple just "
        f"ratio (odd limit <= {SIMPLE_ODD_LIMIT}; mean |error| {j_mean:.1f} cents)"
    )
    near_min, near_just = mins <= tol, just <= tol
    if near_min.any() and (near_min == near_just).all():  # the same degrees are near both
        rest = n - n_min
        follows = "both"
        verdict = f"{counts}: for this timbre the curve minima are the just ratios" + (
            f" ({rest} of {n} degrees are near neither)." if rest else "."
        )
    elif n_min > n_just:
        follows, verdict = (
            "curve minima",
            f"{counts}: the degrees follow the curve minima, not just intonation.",
        )
    elif n_just > n_min:
        follows, verdict = (
            "just ratios",
            f"{counts}: the degrees follow just ratios more than the curve minima.",
        )
    else:
        follows, verdict = "neither", f"{counts}: neither explains the degrees better."
    return Agreement(
        n_degrees=n,
        tolerance_cents=tol,
        n_near_minimum=n_min,
        n_near_simple_ratio=n_just,
        mean_abs_minimum_offset_cents=m_mean,
        max_abs_minimum_offset_cents=float(mins.max()),
        mean_abs_simple_ratio_error_cents=j_mean,
        follows=follows,
        verdict=verdict,
    )


def _with_findings(a: Analysis) -> Analysis:
    """The report's headline sentences, every number taken from ``a``."""
    out = [a.period.description]
    if a.emergence is not None and a.emergence.period_source != "data":
        out.append(
            "The pieces show no period of their own (no lag of 1000-1450 cents makes the interval "
            f"density match itself), so the period above is the {a.emergence.period_source}'s, "
            "not the data's."
        )
    parts = []
    for s in a.scale_steps:
        if s.just_ratios:
            j = s.just_ratios[0]
            parts.append(f"{s.cents:.1f} c ≈ {j.ratio} ({_sg(j.error_cents)} c)")
        else:
            parts.append(f"{s.cents:.1f} c (no just ratio within {JUST_TOLERANCE_CENTS:g} c)")
    noun = "emergent steps" if a.kind in ("run", "score") else "degrees below the period"
    if parts:
        out.append(f"{len(a.scale_steps)} {noun}: " + "; ".join(parts) + ".")
    elif a.kind in ("run", "score"):
        out.append(
            "No emergent steps: the interval density has no peak above its noise floor "
            "(the pieces use intervals evenly, as at a high temperature)."
        )
    else:
        out.append("The scale has no degree below its period.")
    if a.edo.best and parts:
        best = ", ".join(
            f"{e.n}-EDO ({e.rms_error_cents:.1f} c RMS, {100 * e.relative_rms_error:.1f}% of a step)"
            for e in a.edo.best
        )
        out.append(
            f"Best equal divisions of the period (n = {a.edo.n_min}..{a.edo.n_max}): {best}."
        )
    if a.controls is not None:
        out.append(a.controls.verdict)
    if a.agreement is not None:
        out.append(a.agreement.verdict)
    fifth = next((lm for lm in a.landmarks if lm.ratio == "3/2"), None)
    if fifth is not None and fifth.degree_offset_cents is not None and a.scale_steps:
        hit = abs(fifth.degree_offset_cents) <= LANDMARK_HIT_CENTS
        text = (
            f"3/2 ({fifth.cents:.1f} c): the nearest degree is {fifth.nearest_degree_cents:.1f} c "
            f"({_sg(fifth.degree_offset_cents)} c), "
            + (
                "a just fifth."
                if hit
                else f"so no degree lies within {LANDMARK_HIT_CENTS:g} c of 3/2."
            )
        )
        if fifth.nearest_minimum_cents is not None:
            text += (
                f" The timbre's curve minimum nearest 3/2 is at {fifth.nearest_minimum_cents:.1f} c "
                f"({_sg(fifth.minimum_offset_cents)} c from 3/2)."
            )
        out.append(text)
    return Analysis(**{**{f.name: getattr(a, f.name) for f in fields(a)}, "findings": tuple(out)})


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


def _pieces_array(scores: list[Score], where: str) -> tuple[np.ndarray, list[str]]:
    """Stack the pieces' pitches as chords ``(S, V, T)``; unequal lengths are cut to the shortest."""
    notes: list[str] = []
    shapes = {s.cents.shape for s in scores}
    voices = {shape[0] for shape in shapes}
    if len(voices) != 1:
        raise ScoreError(
            f"{where}: pieces have different numbers of voices {sorted(voices)}; "
            "analyse pieces with the same voices together"
        )
    t = min(shape[1] for shape in shapes)
    if len(shapes) > 1:
        notes.append(
            f"Pieces have different lengths; the interval analysis uses their first {t} chords."
        )
    return np.stack([np.asarray(s.cents, dtype=float)[:, :t] for s in scores]), notes


def _piece_entries(scores: list[Score], run_dir: Path | None) -> tuple[Piece, ...]:
    out = []
    for i, s in enumerate(scores, start=1):
        name = f"piece-{i:02d}"

        def present(fname: str) -> str | None:
            return fname if run_dir is not None and (run_dir / fname).is_file() else None

        audio = present(f"{name}.wav") or present(f"{name}.flac")
        end = np.asarray(s.onset_s) + np.asarray(s.duration_s)
        out.append(
            Piece(
                index=i,
                name=name,
                audio=audio,
                midi=present(f"{name}.mid"),
                midi_mts=present(f"{name}-mts.mid"),
                midi_mpe=present(f"{name}-mpe.mid"),
                n_voices=int(s.cents.shape[0]),
                n_notes=int(s.cents.size),
                duration_s=float(end.max()) if end.size else 0.0,
                lowest_cents=float(np.min(s.cents)),
                highest_cents=float(np.max(s.cents)),
            )
        )
    return tuple(out)


def grid_offset(
    cents: np.ndarray, degrees_cents: np.ndarray, *, period_cents: float, width_cents: float = 10.0
) -> float:
    """The tonic in ``[0, period)`` (1-cent resolution) putting a piece's pitches nearest a scale grid.

    Generated pieces have no tonic of their own, so the pitch-time plot draws the grid where it
    fits best: the offset maximising ``sum exp(-d**2 / (2 w**2))`` over all notes, with ``d`` the
    circular distance of a note to its nearest grid line.

    Parameters
    ----------
    cents : np.ndarray, shape (N,)
        The piece's pitches in cents.
    degrees_cents : np.ndarray, shape (D,)
        The grid inside one period (0 included).
    period_cents : float
        The period.
    width_cents : float
        Tolerance ``w`` of the fit, in cents.
    """
    offsets = np.arange(0.0, period_cents, 1.0)  # (O,)
    rel = (
        cents[None, :, None] - offsets[:, None, None] - degrees_cents[None, None, :]
    ) % period_cents
    d = np.minimum(rel, period_cents - rel).min(axis=2)  # (O, N) cents to the nearest grid line
    score = np.exp(-0.5 * (d / width_cents) ** 2).sum(axis=1)  # (O,)
    return float(offsets[int(np.argmax(score))])


def _example(scores: list[Score], *, steps_cents: list[float], period_cents: float) -> ExamplePiece:
    s = scores[0]

    def rows(x: np.ndarray) -> tuple[tuple[float, ...], ...]:
        return tuple(tuple(float(v) for v in row) for row in np.asarray(x, dtype=float))

    offset = grid_offset(
        np.asarray(s.cents, dtype=float).ravel(),
        np.array([0.0, *steps_cents]),
        period_cents=period_cents,
    )
    return ExamplePiece(
        index=1,
        cents=rows(s.cents),
        onset_s=rows(s.onset_s),
        duration_s=rows(s.duration_s),
        grid_offset_cents=offset,
    )


def _score_spectrum(score: Score, where: str) -> Spectrum:
    if score.spectrum is not None:
        return spectrum_from_dict(score.spectrum, where=f"{where}: spectrum")
    return parse_timbre(score.timbre)


def _from_scores(
    scores: list[Score],
    *,
    kind: str,
    source: str,
    title: str,
    spectrum: Spectrum,
    run_dir: Path | None,
    training: Training | None,
    settings: dict[str, Any],
    versions: dict[str, str] | None,
    notes: list[str],
    samples: str = "score",
    analysed: list[Score] | None = None,
    controls: Controls | None = None,
) -> Analysis:
    pieces_cents, cut_notes = _pieces_array(analysed if analysed is not None else scores, source)
    notes = [*notes, *cut_notes]
    em = emergent_scale(pieces_cents, spectrum=spectrum)
    grid = np.asarray(em.grid_cents, dtype=float)
    dens = np.asarray(em.density, dtype=float)
    keep = _thin(grid.size)
    emergence = Emergence(
        n_pieces=int(pieces_cents.shape[0]),
        n_voices=int(pieces_cents.shape[1]),
        n_chords=int(pieces_cents.shape[2]),
        n_intervals=int(em.n_intervals),
        period_source=str(em.period_source),
        period_similarity=None if em.period_similarity is None else float(em.period_similarity),
        samples=samples,
        bandwidth_cents=float(em.bandwidth_cents),
        peakedness_nats=float(em.peakedness),
        grid_cents=tuple(float(x) for x in grid[keep]),
        density=tuple(float(x) for x in dens[keep]),
    )
    return _analyse(
        kind=kind,
        source=source,
        title=title,
        period_cents=float(em.period_cents),
        steps_cents=[float(c) for c in em.steps_cents],
        strengths=[float(x) for x in em.strengths],
        source_ratios=None,
        spectrum=spectrum,
        f0_hz=float(scores[0].reference_hz),
        emergence=emergence,
        training=training,
        pieces=_piece_entries(scores, run_dir),
        example_piece=_example(
            scores, steps_cents=list(em.steps_cents), period_cents=float(em.period_cents)
        ),
        settings=settings,
        versions=versions,
        notes=notes,
        controls=controls,
    )


def analysis_for_score(score_json_path: str | Path) -> Analysis:
    """Analyse the pieces of a ``score.json`` (no run: no training summary, no audio).

    Raises
    ------
    ScoreError
        The file is missing, corrupted or holds no pieces.
    """
    p = Path(score_json_path)
    scores = load_scores(p)
    if not scores:
        raise ScoreError(
            f"{p}: holds no pieces; analyse a score.json written by `xentune generate`"
        )
    spectrum = _score_spectrum(scores[0], str(p))
    return _from_scores(
        scores,
        kind="score",
        source=str(p),
        title=f"Score {p.name} ({spectrum.name})",
        spectrum=spectrum,
        run_dir=None,
        training=None,
        settings={
            "timbre": scores[0].timbre,
            "reference_hz": scores[0].reference_hz,
            "pieces": len(scores),
        },
        versions=None,
        notes=["No run: a score.json on its own has no training history and no audio."],
    )


def _read_json(
    path: Path, *, what: str, fix: str = "regenerate the run with `xentune generate`"
) -> Any:  # noqa: ANN401 - parsed JSON
    """A run's JSON file through the safe reader (regular file, size and depth limits)."""
    text = read_text(path, what=what, error=ConfigError)
    try:
        return parse_json(text, where=str(path), error=ConfigError)
    except ConfigError as e:
        cause = e.__cause__
        detail = (
            f"line {cause.lineno}: {cause.msg}"
            if isinstance(cause, json.JSONDecodeError)
            else str(e).removeprefix(f"{path}: ")
        )
        raise ConfigError(f"{path}: corrupted {what} ({detail}); {fix}") from None


def _numbers(
    data: dict[str, Any], key: str, path: Path, *, default: list[int] | None = None
) -> np.ndarray:
    """``data[key]`` as a float64 array, each entry a finite number (`finite_number`)."""
    values = data.get(key) or (default if default is not None else [])
    if not isinstance(values, list):
        raise ConfigError(f"{path}: '{key}' must be a list of numbers; regenerate the run")
    return np.asarray(
        [finite_number(v, field=f"{path}: {key}[{k}]") for k, v in enumerate(values)],
        dtype=float,
    )


def _training(path: Path, elapsed_s: float | None) -> Training:
    data = _read_json(path, what="training.json")
    if not isinstance(data, dict) or not isinstance(data.get("energy"), list) or not data["energy"]:
        raise ConfigError(f"{path}: needs a non-empty 'energy' list (the training history)")
    energy = _numbers(data, "energy", path)
    steps = _numbers(data, "step", path, default=list(range(1, energy.size + 1)))
    entropy = _numbers(data, "entropy", path)
    loss = _numbers(data, "loss", path)
    temperature = _numbers(data, "temperature", path)
    if (
        steps.size != energy.size
        or entropy.size not in (0, energy.size)
        or temperature.size not in (0, energy.size)
    ):
        raise ConfigError(
            f"{path}: 'step' ({steps.size}), 'energy' ({energy.size}) and 'entropy' ({entropy.size}) "
            "must have the same length"
        )
    if not all(np.isfinite(x).all() for x in (energy, entropy, steps, temperature)):
        raise ConfigError(
            f"{path}: the training history holds NaN or infinite values (a diverged run?)"
        )
    keep = _thin(energy.size)
    return Training(
        n_steps=int(steps[-1]),
        initial_energy=float(energy[0]),
        final_energy=float(energy[-1]),
        min_energy=float(energy.min()),
        final_entropy=float(entropy[-1]) if entropy.size else None,
        final_loss=_finite(loss[-1]) if loss.size else None,
        elapsed_s=None if elapsed_s is None else float(elapsed_s),
        step=tuple(int(s) for s in steps[keep]),
        energy=tuple(float(e) for e in energy[keep]),
        entropy=tuple(float(e) for e in entropy[keep]) if entropy.size else (),
        temperature=tuple(float(t) for t in temperature[keep]) if temperature.size else (),
    )


def _flat_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The run's settings as flat ``key -> scalar`` pairs (nested dicts joined with dots)."""
    out: dict[str, Any] = {}
    skip = {"format", "version", "spectrum", "versions"}

    def walk(prefix: str, d: dict[str, Any]) -> None:
        for k, v in d.items():
            if not prefix and k in skip:
                continue
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(key + ".", v)
            elif isinstance(v, (str, int, float, bool)) or v is None:
                out[key] = v if not (isinstance(v, float) and not math.isfinite(v)) else None
            else:
                out[key] = json.dumps(v)

    walk("", config)
    return out


#: The temp folder name `xentune.atomic.atomic_dir` builds a run under: a dot, the final name,
#: a random suffix from `tempfile.mkdtemp`, then ``.tmp`` (e.g. ``.xentune-run.1173loak.tmp``).
_ATOMIC_TMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp$")


def _final_path(d: Path) -> Path:
    """The run folder's final path: ``xentune generate`` reports a run before renaming it into place."""
    d = d.resolve()
    m = _ATOMIC_TMP.match(d.name)
    return d.with_name(m.group("name")) if m else d


def _pct(x: float) -> str:
    return f"{100.0 * x:.0f}%"


def _controls_verdict(rows: tuple[ControlRow, ...]) -> str:
    """How far the trained generator's samples are beyond its controls, raw and refined, in words."""
    by = {(r.source, r.stage): r for r in rows}
    parts = []
    for stage in ("raw", "refined"):
        t = by.get(("trained", stage))
        if t is None:
            continue
        u, rnd = by.get(("untrained", stage)), by.get(("random", stage))
        others = [
            (name, c) for name, c in (("untrained generator", u), ("random chords", rnd)) if c
        ]
        peak = ", ".join(f"{name} {c.peakedness_nats:.2f}" for name, c in others)
        near = ", ".join(f"{name} {_pct(c.near_minimum_fraction)}" for name, c in others)

        def passed(c: ControlRow) -> str:
            return "-" if c.criteria_passed is None else ("pass" if c.criteria_passed else "fail")

        crit = ", ".join(f"{name} {passed(c)}" for name, c in others)
        margin = t.near_minimum_fraction - max(
            (c.near_minimum_fraction for _, c in others), default=0.0
        )
        parts.append(
            f"{stage.capitalize()} samples of the trained generator: peakedness "
            f"{t.peakedness_nats:.2f} nats ({peak}); {_pct(t.near_minimum_fraction)} of sounding "
            f"intervals near a curve minimum ({near}; chance {_pct(t.chance_fraction)}), "
            f"{100.0 * margin:+.0f} points over the best control; criteria {passed(t)} ({crit})."
        )
    return " ".join(parts)


def _controls(path: Path) -> Controls | None:
    """The controls table a run wrote (``controls.json``), or ``None`` for a run without one."""
    if not path.is_file():
        return None
    data = _read_json(path, what="controls.json")
    try:
        rows = tuple(_from_dict(ControlRow, row) for row in data["rows"])
        gen = data.get("generator_scale")
        return Controls(
            pieces=int(data["pieces"]),
            refine_steps=int(data["refine_steps"]),
            near_minimum_cents=float(data["near_minimum_cents"]),
            rows=rows,
            verdict=_controls_verdict(rows),
            generator_period_cents=None if gen is None else float(gen["period_cents"]),
            generator_classes_cents=() if gen is None else tuple(map(float, gen["classes_cents"])),
            generator_class_usage=() if gen is None else tuple(map(float, gen["usage"])),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(
            f"{path}: corrupted controls.json ({type(e).__name__}: {e}); regenerate the run"
        ) from None


def analysis_for_run(run_dir: str | Path) -> Analysis:
    """Analyse a run folder written by ``xentune generate`` (config.json, training.json, score.json).

    Raises
    ------
    ConfigError
        ``run_dir`` is not a run folder, or its config.json / training.json is corrupted.
    ScoreError
        Its score.json is missing or corrupted.
    """
    d = Path(run_dir)
    if not d.is_dir():
        raise ConfigError(
            f"{d}: not a folder; pass a run folder written by `xentune generate`, a score.json or a .scl"
        )
    cfg_path = d / "config.json"
    if not cfg_path.is_file():
        raise ConfigError(
            f"{d}: not a xentune run folder (no config.json); pass a folder written by "
            "`xentune generate`, a score.json or a .scl"
        )
    config = _read_json(cfg_path, what="config.json")
    if not isinstance(config, dict) or config.get("format") != "xentune-run":
        raise ConfigError(f"{cfg_path}: not a xentune run config (format must be 'xentune-run')")
    if config.get("version") != 1:
        raise ConfigError(
            f"{cfg_path}: run config version {config.get('version')!r} is not supported (need 1)"
        )
    try:
        if isinstance(config.get("spectrum"), dict):
            spectrum = spectrum_from_dict(config["spectrum"], where=f"{cfg_path}: spectrum")
        else:
            spectrum = parse_timbre(str(config["timbre"]))
    except KeyError:
        raise ConfigError(
            f"{cfg_path}: has neither 'spectrum' nor 'timbre'; regenerate the run"
        ) from None
    score_path = d / "score.json"
    if not score_path.is_file():
        raise ScoreError(
            f"{d}: run folder has no score.json; regenerate the run with `xentune generate`"
        )
    scores = load_scores(score_path)
    if not scores:
        raise ScoreError(f"{score_path}: holds no pieces; regenerate the run")
    notes: list[str] = []
    # The scale is read from the samples the run exported it from: the generator's raw samples
    # (score-raw.json, written when the played pieces were refined) unless it said otherwise.
    raw_path = d / "score-raw.json"
    scale_from = config.get("scale_from", "refined" if config.get("refine_steps") else "raw")
    analysed, samples = scores, "raw" if not config.get("refine_steps") else "refined"
    if scale_from == "raw" and raw_path.is_file():
        analysed, samples = load_scores(raw_path), "raw"
        notes.append(
            f"The scale and the interval density are read from the generator's raw samples "
            f"(score-raw.json); the pieces played (score.json) were refined by "
            f"{config.get('refine_steps')} gradient steps on the energy."
        )
    training = None
    elapsed = config.get("elapsed_s")
    elapsed = (
        finite_number(elapsed, field=f"{cfg_path}: elapsed_s", lo=0)
        if elapsed is not None
        else None
    )
    if (d / "training.json").is_file():
        training = _training(d / "training.json", elapsed)
    else:
        notes.append("This run folder has no training.json, so the report has no training curve.")
    versions = config.get("versions")
    versions = {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else None
    final = _final_path(d)
    analysis = _from_scores(
        scores,
        kind="run",
        source=str(final),
        title=f"Run {final.name}: {spectrum.name}",
        spectrum=spectrum,
        run_dir=d,
        training=training,
        settings=_flat_settings(config),
        versions=versions,
        notes=notes,
        samples=samples,
        analysed=analysed,
        controls=_controls(d / "controls.json"),
    )
    return replace(analysis, use=use_scale_for_run(d, config))
