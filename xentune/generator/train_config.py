"""The settings of training: one frozen, validated `TrainConfig`."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from xentune.defaults import (
    DEFAULT_REFERENCE_HZ,
    DEFAULT_STEPS,
    DEFAULT_TEMPERATURE,
    DEFAULT_TRAIN_STEPS,
    DEFAULT_VOICES,
    MAX_SEED,
    MAX_TEMPERATURE,
    MAX_TRAIN_STEPS,
)
from xentune.errors import ConfigError
from xentune.generator.energy import EnergyConfig
from xentune.generator.model import FlowConfig, PieceFlow
from xentune.generator.scale_model import ScaleConfig, ScalePieceModel

#: A generator (either kind).
GeneratorModel = PieceFlow | ScalePieceModel

__all__ = [
    "DEFAULT_MAX_JITTER_CENTS",
    "GeneratorModel",
    "GENERATORS",
    "MAX_BATCH_SIZE",
    "MAX_JITTER_CENTS",
    "MAX_MODEL_NUMEL",
    "MAX_N_BINS",
    "MAX_N_LAYERS",
    "MAX_PITCHES",
    "TrainConfig",
]


#: Most pitches a piece may have (voices * steps): the flow's conditioner grows with its square.
MAX_PITCHES = 512


#: Most numbers (weights and masks) a generator may hold, counted on the meta device before any
#: allocation: 39.1 M at the largest piece (16 voices x 32 steps) with the default flow size; a
#: crafted ``hidden`` of 200000 would ask for 1.6e11 (650 GB).
MAX_MODEL_NUMEL = 64_000_000


#: Largest Monte-Carlo batch of pieces per training step.
MAX_BATCH_SIZE = 4096


#: Most layers and spline bins of the flow.
MAX_N_LAYERS = 16


MAX_N_BINS = 256


#: Bound of a ``scale`` generator's note jitter around its degree, cents (the default of
#: `TrainConfig.max_jitter_cents`; why 3: `ScaleConfig.max_jitter_cents`).
DEFAULT_MAX_JITTER_CENTS = 3.0

#: Largest bound accepted, cents: wider, a degree is no longer one pitch.
MAX_JITTER_CENTS = 50.0


#: The generators `TrainConfig.generator` names: ``scale`` (`ScalePieceModel`: a scale, then a
#: piece over it) and ``flow`` (`PieceFlow`: an autoregressive spline flow over every pitch).
GENERATORS = ("scale", "flow")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (and so its result, given the device).

    Parameters
    ----------
    timbre : str
        Timbre SPEC (see `xentune.timbre.parse_timbre`).
    voices, steps : int
        Voices per chord and chords per piece.
    train_steps : int
        Optimiser steps.
    temperature : float
        Final temperature ``T`` of the target ``p(x) ~ exp(-E(x) / T)`` (energy units: ``R0`` per
        chord). Low: a crisp interval system; high: anything goes. 0.175 by measurement (the
        ``scale`` generator, 600 steps, tuning seeds 0-9, 16 raw pieces each, the energy's range
        up to 2700 cents; emergence criteria met / mean share of intervals near the curve
        minima): harmonic 7/10, 71.7% at 0.15; 8/10, 68.7% at 0.175; 6/10, 63.1% at 0.2;
        stretched 2.1 10/10 at all three, 73.8% / 68.1% / 60.5%. At 0.175 every one of those
        runs kept at least 82% distinct chords over 64 pieces; at 0.15, 3 of 10 held-out
        harmonic runs reached 80%. Those figures predate the energy's repetition term and the
        3-cent jitter bound. With the repetition term (jitter still at 6 cents), T = 0.15 gave
        harmonic 8/10, 64.1% against 10/10, 63.2% at 0.175, so 0.175 stayed; T was not tuned
        again after the 3-cent bound. The ``flow`` generator was tuned at 0.15 (harmonic, 300
        steps: at 0.1 crisp but only fifths and octaves, at 0.2-0.25 nearly flat raw
        samples); pass ``temperature=0.15`` with it.
    generator : str
        ``scale`` (default): `ScalePieceModel`, which samples a scale and then a piece over it;
        ``flow``: the `PieceFlow` of all pitches (lr 2e-3, anneal_factor 10, 300 steps were its
        defaults, and an energy without the repetition term: ``repetition_weight=0``).
    n_classes, n_periods : int
        Pitch classes per scale (the root included) and registers of the ``scale`` generator.
    max_jitter_cents : float
        Largest standard deviation of a ``scale`` generator's note around its degree, in cents
        (`ScaleConfig.max_jitter_cents`; training starts at two thirds of it).
    batch_size : int
        Pieces sampled per step (the Monte-Carlo batch of ``E_q[E] / T - H(q)``).
    lr : float
        Adam learning rate.
    seed : int
        Seeds the initial weights and the training noise.
    checkpoint_every : int
        Steps between checkpoints (when a checkpoint path is given).
    reference_hz : float
        Frequency of 0 cents.
    energy : EnergyConfig
        Weights and ranges of the objective.
    anneal_factor : float
        Training starts at ``anneal_factor * temperature`` and cools geometrically to
        ``temperature`` over the first ``anneal_fraction`` of the steps. Reverse KL seeks modes:
        starting hot keeps the flow spread over every basin while they form, so that cooling
        sharpens all of them instead of collapsing onto the single deepest one.
    anneal_fraction : float
        Fraction of ``train_steps`` spent cooling (0: no annealing).
    grad_clip : float
        Maximum gradient norm.
    n_bins, hidden, n_layers : int
        Flow size (see `FlowConfig`).
    gap_max_cents : float
        Largest interval between adjacent voices the flow can make.
    """

    timbre: str = "harmonic"
    voices: int = DEFAULT_VOICES
    steps: int = DEFAULT_STEPS
    train_steps: int = DEFAULT_TRAIN_STEPS
    temperature: float = DEFAULT_TEMPERATURE
    batch_size: int = 128
    lr: float = 0.05
    seed: int = 0
    checkpoint_every: int = 50
    reference_hz: float = DEFAULT_REFERENCE_HZ
    energy: EnergyConfig = field(default_factory=EnergyConfig)
    anneal_factor: float = 1.0
    anneal_fraction: float = 0.5
    grad_clip: float = 1.0
    n_bins: int = 24
    hidden: int = 256
    n_layers: int = 2
    gap_max_cents: float = 1500.0
    generator: str = "scale"
    n_classes: int = 7
    n_periods: int = 3
    max_jitter_cents: float = DEFAULT_MAX_JITTER_CENTS

    def __post_init__(self) -> None:
        if not isinstance(self.timbre, str) or not self.timbre:
            raise ConfigError(
                f"timbre={self.timbre!r}: give a timbre SPEC such as harmonic or stretched:octave=2.1"
            )
        for name, lo in (
            ("voices", 1),
            ("steps", 1),
            ("train_steps", 1),
            ("batch_size", 2),
            ("seed", 0),
            ("checkpoint_every", 1),
            ("n_bins", 2),
            ("hidden", 2),
            ("n_layers", 1),
            ("n_classes", 2),
            ("n_periods", 1),
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < lo:
                raise ConfigError(f"{name}={value!r}: must be an integer >= {lo}")
        for name, hi in (
            ("train_steps", MAX_TRAIN_STEPS),
            ("batch_size", MAX_BATCH_SIZE),
            ("n_layers", MAX_N_LAYERS),
            ("n_bins", MAX_N_BINS),
            ("seed", MAX_SEED),
        ):
            if getattr(self, name) > hi:
                raise ConfigError(f"{name}={getattr(self, name)}: must be at most {hi}")
        if self.voices * self.steps > MAX_PITCHES:
            raise ConfigError(
                f"voices * steps = {self.voices * self.steps}: at most {MAX_PITCHES} pitches per piece; "
                "use fewer voices or steps"
            )
        for name in (
            "temperature",
            "lr",
            "reference_hz",
            "anneal_factor",
            "grad_clip",
            "gap_max_cents",
            "max_jitter_cents",
        ):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int | float)
                or not math.isfinite(value)
                or value <= 0
            ):
                raise ConfigError(f"{name}={value!r}: must be a finite number > 0")
        if self.temperature > MAX_TEMPERATURE:
            raise ConfigError(
                f"temperature={self.temperature}: must be at most {MAX_TEMPERATURE:g} (e.g. 0.15)"
            )
        if not 1.0 <= self.reference_hz <= 20_000.0:
            raise ConfigError(
                f"reference_hz={self.reference_hz}: must be a frequency in 1..20000 Hz (e.g. 261.63)"
            )
        if self.anneal_factor < 1:
            raise ConfigError(
                f"anneal_factor={self.anneal_factor}: must be >= 1 (1 = no annealing)"
            )
        if not 0 <= self.anneal_fraction <= 1:
            raise ConfigError(f"anneal_fraction={self.anneal_fraction}: must be in [0, 1]")
        if self.max_jitter_cents > MAX_JITTER_CENTS:
            raise ConfigError(
                f"max_jitter_cents={self.max_jitter_cents}: must be at most {MAX_JITTER_CENTS:g} "
                f"cents (e.g. {DEFAULT_MAX_JITTER_CENTS:g})"
            )
        if self.generator not in GENERATORS:
            raise ConfigError(
                f"generator={self.generator!r}: must be one of {', '.join(GENERATORS)} (e.g. scale)"
            )
        if not isinstance(self.energy, EnergyConfig):
            raise ConfigError(f"energy={self.energy!r}: must be an EnergyConfig")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``energy`` nested); `from_dict` reads it back."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Inverse of `to_dict`; unknown keys raise `ConfigError`."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ConfigError(
                f"unknown training settings {sorted(unknown)}; known: {sorted(known)}"
            )
        values = dict(data)
        values.setdefault("generator", "flow")  # files written before the scale generator
        values.setdefault("max_jitter_cents", 6.0)  # files written before the bound was a setting
        if isinstance(values.get("energy"), dict):
            # Files written before the repetition term were trained without it.
            values["energy"] = EnergyConfig(**{"repetition_weight": 0.0, **values["energy"]})
        return cls(**values)

    def scale_config(self) -> ScaleConfig:
        """The ``scale`` generator's shape: roots in the lowest part of the energy's range."""
        lo = self.energy.range_low_cents
        return ScaleConfig(
            voices=self.voices,
            steps=self.steps,
            n_classes=self.n_classes,
            n_periods=self.n_periods,
            jitter_cents=self.max_jitter_cents * 2.0 / 3.0,
            max_jitter_cents=self.max_jitter_cents,
            root_low_cents=lo,
            root_high_cents=lo + 600.0,
        )

    def flow_config(self) -> FlowConfig:
        """The generator's shape: the bass spans the range less an octave, gaps 0..gap_max_cents."""
        lo, hi = self.energy.range_low_cents, self.energy.range_high_cents
        return FlowConfig(
            voices=self.voices,
            steps=self.steps,
            bass_low_cents=lo,
            bass_high_cents=max(lo + 100.0, hi - 1200.0),
            gap_max_cents=self.gap_max_cents,
            n_bins=self.n_bins,
            hidden=self.hidden,
            n_layers=self.n_layers,
        )
