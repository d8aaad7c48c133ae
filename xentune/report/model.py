"""The report's record: every number of report.json in one frozen `Analysis`, and reading it back."""

from __future__ import annotations

import json
import types
import typing
from dataclasses import asdict, dataclass, field, fields, is_dataclass
from pathlib import Path
from typing import Any, Literal, Union

from xentune.errors import ConfigError
from xentune.report.music import Music
from xentune.report.schema import dataclass_json_schema, validate_json
from xentune.report.use_scale import UseScale
from xentune.safe_read import parse_json, read_text
from xentune.tuning.edo import EdoFit

__all__ = [
    "REPORT_SCHEMA",
    "Agreement",
    "Analysis",
    "ControlRow",
    "Controls",
    "Curve",
    "CurveMinimumEntry",
    "EdoSummary",
    "Emergence",
    "ExamplePiece",
    "JustRatio",
    "Landmark",
    "Period",
    "Piece",
    "SCHEMA_VERSION",
    "Step",
    "Timbre",
    "Training",
    "analysis_from_dict",
    "load_report",
    "validate_report",
]


#: Version of the ``report.json`` layout (`REPORT_SCHEMA` is derived from the dataclasses).
#: Bump it when a field changes meaning or is removed; readers refuse other versions.
SCHEMA_VERSION = 4  # 2: "use" and pieces' "midi_mpe"; 3: "music"; 4: distinct chords at 15 cents


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
    kind: Literal["octave", "stretched octave", "compressed octave", "tritave", "non-octave period"]
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
class EdoSummary:
    """The best EDOs and the error of every n tried (for the plot)."""

    n_min: int
    n_max: int
    best: tuple[EdoFit, ...]  # sorted by relative RMS error, ties to the smallest n
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
    samples: Literal["raw", "refined", "score"]  # pooled pieces (score: score.json as given)
    bandwidth_cents: float  # kernel width of the density
    peakedness_nats: float  # KL divergence of the density from a flat one
    grid_cents: tuple[float, ...]  # (G,) over one period
    density: tuple[float, ...]  # (G,) circular kernel density of the pooled intervals, 1/cent


@dataclass(frozen=True)
class ControlRow:
    """One set of samples scored by the emergence metrics (see ``xentune.generator.controls``)."""

    source: Literal["trained", "untrained", "random"]  # untrained: initial weights; random chords
    stage: Literal["raw", "refined"]  # as sampled, or after the run's refinement steps
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
    distinct_chord_cents: float  # two chords are one when every voice is within this
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
    kind: Literal["run", "score", "scale"]
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
    music: Music | None = None  # the composed pieces as music (None: block chords only)

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


#: The JSON Schema of ``report.json``, derived from `Analysis` (its fields are the format).
REPORT_SCHEMA = dataclass_json_schema(
    Analysis,
    title="xentune tuning report",
    schema_id="https://xentune.invalid/report.schema.json",
    consts={"schema_version": SCHEMA_VERSION},
)


def validate_report(data: object, *, source: str = "report.json") -> None:
    """Check ``data`` against `REPORT_SCHEMA` (a version other than `SCHEMA_VERSION` is named).

    Raises
    ------
    ConfigError
        Another schema version, or the first schema violation with its JSON path.
    """
    if isinstance(data, dict) and data.get("schema_version", SCHEMA_VERSION) != SCHEMA_VERSION:
        raise ConfigError(
            f"{source}: report schema version {data['schema_version']!r} is not supported (this "
            f"xentune reads {SCHEMA_VERSION}); rebuild the report with `xentune analyze --force`"
        )
    validate_json(
        data,
        REPORT_SCHEMA,
        source=source,
        what="xentune report",
        fix="rebuild it with `xentune analyze RUN_DIR --force`",
    )


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
