"""Training the generator from nothing but the energy: reverse KL to ``exp(-E / T)``, seeded and resumable."""

from __future__ import annotations

import contextlib
import io
import math
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import torch

from xentune.atomic import atomic_file
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
from xentune.errors import CheckpointError, ConfigError, XentuneError
from xentune.generator.energy import Energy, EnergyConfig
from xentune.generator.model import FlowConfig, PieceFlow
from xentune.generator.scale_model import ScaleConfig, ScalePieceModel
from xentune.progress import ProgressFactory, silent_progress
from xentune.spectrum import Spectrum, spectrum_from_dict
from xentune.timbre import parse_timbre

__all__ = [
    "CHECKPOINT_FORMAT",
    "TrainConfig",
    "TrainResult",
    "Trained",
    "check_resumable",
    "load_trained",
    "temperature_at",
    "train",
    "untrained_model",
]

#: ``format`` field of a checkpoint / model file.
CHECKPOINT_FORMAT = "xentune-model"
_CHECKPOINT_VERSION = 1
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

#: The generators `TrainConfig.generator` names: ``scale`` (`ScalePieceModel`: a scale, then a
#: piece over it) and ``flow`` (`PieceFlow`: an autoregressive spline flow over every pitch).
GENERATORS = ("scale", "flow")

#: A generator (either kind).
GeneratorModel = PieceFlow | ScalePieceModel


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
        chord). Low: a crisp interval system; high: anything goes. 0.15 by measurement (the
        ``flow`` generator, harmonic, 300 steps: at 0.1 crisp but only fifths and octaves, at
        0.2-0.25 nearly flat raw samples; the ``scale`` generator, harmonic, seed 0, 600 steps:
        at 0.15 every harmonic consonance in the raw samples, 1.05 nats).
    generator : str
        ``scale`` (default): `ScalePieceModel`, which samples a scale and then a piece over it;
        ``flow``: the `PieceFlow` of all pitches (lr 2e-3, anneal_factor 10, 300 steps were its
        defaults).
    n_classes, n_periods : int
        Pitch classes per scale (the root included) and registers of the ``scale`` generator.
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
        if isinstance(values.get("energy"), dict):
            values["energy"] = EnergyConfig(**values["energy"])
        return cls(**values)

    def scale_config(self) -> ScaleConfig:
        """The ``scale`` generator's shape: roots in the lowest part of the energy's range."""
        lo = self.energy.range_low_cents
        return ScaleConfig(
            voices=self.voices,
            steps=self.steps,
            n_classes=self.n_classes,
            n_periods=self.n_periods,
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


@dataclass
class TrainResult:
    """A trained generator, its energy, the per-step history and the wall time of the run."""

    model: GeneratorModel
    energy: Energy
    history: dict[str, list[float]]
    seconds: float


@dataclass
class Trained:
    """A generator loaded from a model file."""

    model: GeneratorModel
    energy: Energy
    config: TrainConfig
    spectrum: Spectrum
    step: int
    history: dict[str, list[float]]


@contextlib.contextmanager
def _deterministic(device: torch.device) -> Iterator[None]:
    """Run-to-run identical training, restored afterwards.

    CPU: one intra-op thread. The training tensors are small (a batch of 128 pieces), so a second
    thread buys little and costs much on a shared machine: 300 default steps took 17 s of CPU
    time with one thread and 217 s with two under load (2-core box, 2026-11-24), and with one
    thread the float reductions, hence the result, do not depend on the machine's core count.
    CUDA: deterministic kernels (the scatter-add backward passes of gather and indexing are
    atomic, hence run-to-run different, by default).
    """
    if device.type != "cuda":
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
        return
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # deterministic cuBLAS reductions
    previous = torch.are_deterministic_algorithms_enabled()
    previous_warn = torch.is_deterministic_algorithms_warn_only_enabled()
    torch.use_deterministic_algorithms(True, warn_only=True)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(previous, warn_only=previous_warn)


def temperature_at(config: TrainConfig, step: int) -> float:
    """Temperature used at optimiser step ``step`` (0-based): geometric cooling, then constant."""
    n_cool = int(round(config.anneal_fraction * config.train_steps))
    if n_cool == 0 or step >= n_cool:
        return config.temperature
    return config.temperature * config.anneal_factor ** (1.0 - step / n_cool)


def _check_model_size(config: TrainConfig) -> None:
    """Refuse a generator larger than `MAX_MODEL_NUMEL` numbers, counted without allocating (meta device)."""
    with torch.device("meta"):
        model = (
            ScalePieceModel(config.scale_config())
            if config.generator == "scale"
            else PieceFlow(config.flow_config())
        )
        numel = sum(t.numel() for t in model.state_dict().values())
    if numel > MAX_MODEL_NUMEL:
        shape = (
            f"n_classes={config.n_classes}, n_periods={config.n_periods}"
            if config.generator == "scale"
            else f"hidden={config.hidden}, n_bins={config.n_bins}, n_layers={config.n_layers}"
        )
        raise ConfigError(
            f"{config.generator} generator with {shape}, {config.voices} voices x {config.steps} "
            f"steps: it would hold {numel:,} numbers, more than {MAX_MODEL_NUMEL:,}; use a smaller "
            "generator or fewer voices or steps"
        )


def _build(
    config: TrainConfig, spectrum: Spectrum, device: torch.device
) -> tuple[GeneratorModel, Energy]:
    _check_model_size(config)
    # Initial weights from the seed alone, on the CPU, without touching the global RNG.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        model: GeneratorModel = (
            ScalePieceModel(config.scale_config())
            if config.generator == "scale"
            else PieceFlow(config.flow_config())
        )
    energy = Energy(spectrum, config.energy, reference_hz=config.reference_hz)
    return model.to(device), energy.to(device)


def untrained_model(
    config: TrainConfig, *, spectrum: Spectrum, device: torch.device | str = "cpu"
) -> GeneratorModel:
    """The generator of ``config`` before any training step: the initial weights of its seed.

    The control a run compares its trained generator with (same architecture, same seed).
    """
    model, _ = _build(config, spectrum, torch.device(device))
    return model.eval()


def _save(
    path: Path,
    *,
    config: TrainConfig,
    spectrum: Spectrum,
    step: int,
    model: GeneratorModel,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
    history: dict[str, list[float]],
) -> None:
    state = {
        "format": CHECKPOINT_FORMAT,
        "version": _CHECKPOINT_VERSION,
        "config": config.to_dict(),
        "spectrum": spectrum.to_dict(),
        "step": step,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "rng": generator.get_state(),
        "history": history,
    }
    buffer = io.BytesIO()  # serialised first: a full disk then fails in write_bytes, with errno
    torch.save(state, buffer)
    with atomic_file(path, force=True) as tmp:
        tmp.write_bytes(buffer.getvalue())


#: Largest model file read (bytes): weights, masks and two Adam moments at `MAX_MODEL_NUMEL`
#: are about 0.8 GB; anything far beyond that is not a xentune model.
MAX_CHECKPOINT_BYTES = 2**30
#: The per-step series a checkpoint's history holds.
_HISTORY_KEYS = ("entropy", "energy", "loss", "step", "temperature")


@dataclass(frozen=True)
class _Checkpoint:
    """A model file read back with every field checked (nothing allocated from it yet)."""

    state: dict[str, Any]
    config: TrainConfig
    spectrum: Spectrum
    step: int
    history: dict[str, list[float]]


def _damaged(path: Path, what: str) -> CheckpointError:
    return CheckpointError(f"{path}: {what}; the file is damaged or not from xentune, retrain it")


def _load(path: Path) -> _Checkpoint:
    """Read a model file with ``weights_only`` unpickling (never runs code) and check every field."""
    if not path.is_file():
        raise CheckpointError(
            f"{path}: no checkpoint there; train first (xentune train --out {path})"
        )
    size = path.stat().st_size
    if size > MAX_CHECKPOINT_BYTES:
        raise CheckpointError(
            f"{path}: {size:,} bytes, more than a model file may have ({MAX_CHECKPOINT_BYTES:,}); "
            "give the model.pt written by xentune train"
        )
    try:
        # weights_only: tensors, dicts, lists and numbers only; a pickle that would run code
        # (os.system, eval, ...) is refused by the unpickler before anything of it runs.
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a corrupt, foreign or unsafe file
        raise CheckpointError(
            f"{path}: not a readable xentune model file ({type(e).__name__}; only plain weights "
            "are loaded, never code); retrain it"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path}: not a xentune model file (no format {CHECKPOINT_FORMAT!r})")
    if state.get("version") != _CHECKPOINT_VERSION:
        raise CheckpointError(
            f"{path}: model file version {state.get('version')!r}; this xentune reads version {_CHECKPOINT_VERSION}"
        )
    missing = [
        k
        for k in ("config", "spectrum", "step", "model", "optimizer", "rng", "history")
        if k not in state
    ]
    if missing:
        raise CheckpointError(
            f"{path}: model file lacks {', '.join(missing)}; it is damaged, retrain it"
        )
    if not isinstance(state["config"], dict):
        raise _damaged(path, f"config is a {type(state['config']).__name__}, not a table")
    try:
        config = TrainConfig.from_dict(state["config"])
        spectrum = spectrum_from_dict(state["spectrum"], where=f"{path} spectrum")
    except (XentuneError, TypeError, ValueError) as e:
        raise CheckpointError(
            f"{path}: its training configuration cannot be read ({e}); retrain it"
        ) from None
    step = state["step"]
    if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step <= config.train_steps:
        raise _damaged(path, f"step {step!r} is not an integer in 0..{config.train_steps}")
    history = state["history"]
    if not isinstance(history, dict) or sorted(history) != sorted(_HISTORY_KEYS):
        raise _damaged(path, f"history must be a table of the series {', '.join(_HISTORY_KEYS)}")
    for key, series in history.items():
        if not isinstance(series, list) or len(series) != step:
            raise _damaged(path, f"history {key} must be a list of {step} numbers (one per step)")
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in series):
            raise _damaged(path, f"history {key} holds something other than numbers")
    if not isinstance(state["model"], dict):
        raise _damaged(path, "its weights are not a table of tensors")
    return _Checkpoint(state, config, spectrum, step, {k: list(v) for k, v in history.items()})


def _restore_weights(path: Path, saved: object, model: PieceFlow) -> None:
    """Copy checked weights into ``model``: the same names, shapes and dtypes, finite values."""
    wanted = model.state_dict()
    if not isinstance(saved, dict) or sorted(saved) != sorted(wanted):
        raise _damaged(path, "the weights do not match the configuration")
    for name, tensor in wanted.items():
        value = saved[name]
        if (
            not isinstance(value, torch.Tensor)
            or value.shape != tensor.shape
            or value.dtype != tensor.dtype
        ):
            raise _damaged(
                path,
                f"weight {name} should be a {tensor.dtype} tensor of shape {tuple(tensor.shape)}",
            )
        if value.is_floating_point() and not bool(torch.isfinite(value).all()):
            raise _damaged(path, f"weight {name} holds NaN or infinite values")
    model.load_state_dict(saved)


def _restore_optimizer(path: Path, saved: object, optimizer: torch.optim.Optimizer) -> None:
    """Load checked Adam state: its settings equal a fresh optimizer's, its moments fit the weights."""
    fresh = optimizer.state_dict()
    params = [p for group in optimizer.param_groups for p in group["params"]]
    if not isinstance(saved, dict) or sorted(saved) != ["param_groups", "state"]:
        raise _damaged(path, "the optimizer state is not a table of state and param_groups")
    groups, state = saved["param_groups"], saved["state"]
    if groups != fresh["param_groups"]:
        raise _damaged(path, "the optimizer settings differ from the training configuration")
    if not isinstance(state, dict) or not all(
        isinstance(k, int) and not isinstance(k, bool) and 0 <= k < len(params) for k in state
    ):
        raise _damaged(path, "the optimizer state does not match the weights")
    for k, entry in state.items():
        shape = params[k].shape
        if not isinstance(entry, dict) or sorted(entry) != ["exp_avg", "exp_avg_sq", "step"]:
            raise _damaged(path, f"optimizer state {k} is not Adam's (step, exp_avg, exp_avg_sq)")
        for name, want in (("step", torch.Size([])), ("exp_avg", shape), ("exp_avg_sq", shape)):
            value = entry[name]
            if (
                not isinstance(value, torch.Tensor)
                or value.shape != want
                or not value.is_floating_point()
                or not bool(torch.isfinite(value).all())
            ):
                raise _damaged(
                    path, f"optimizer {name} of weight {k} should be finite, of shape {tuple(want)}"
                )
    optimizer.load_state_dict(saved)


def _restore_rng(path: Path, saved: object, generator: torch.Generator) -> None:
    """Set the training noise generator to a checked state (a byte tensor of the right length)."""
    fresh = generator.get_state()
    if (
        not isinstance(saved, torch.Tensor)
        or saved.dtype != torch.uint8
        or saved.shape != fresh.shape
    ):
        raise CheckpointError(
            f"{path}: its random-number state is not that of a {generator.device.type} generator "
            f"({fresh.numel()} bytes); resume on the device it was trained on, or retrain it"
        )
    try:
        generator.set_state(saved)
    except (RuntimeError, ValueError):
        raise _damaged(path, "its random-number state is invalid") from None


def _config_differences(saved: dict[str, Any], wanted: dict[str, Any]) -> list[str]:
    diffs = []
    for key in sorted(set(saved) | set(wanted)):
        if saved.get(key) != wanted.get(key):
            diffs.append(f"{key} {saved.get(key)!r} (checkpoint) vs {wanted.get(key)!r}")
    return diffs


def load_trained(path: str | os.PathLike[str], *, device: torch.device | str = "cpu") -> Trained:
    """Load a model file written by `train` (final or a checkpoint) onto ``device``.

    Raises
    ------
    CheckpointError
        Missing, foreign, damaged or inconsistent file.
    """
    p = Path(path)
    ckpt = _load(p)
    device = torch.device(device)
    model, energy = _build(ckpt.config, ckpt.spectrum, device)
    _restore_weights(p, ckpt.state["model"], model)
    return Trained(model.eval(), energy, ckpt.config, ckpt.spectrum, ckpt.step, ckpt.history)


def _resume(
    path: Path,
    config: TrainConfig,
    spectrum: Spectrum,
    model: PieceFlow,
    optimizer: torch.optim.Optimizer,
    generator: torch.Generator,
) -> tuple[dict[str, list[float]], int]:
    """Restore a checked checkpoint of the same configuration; returns (history, step)."""
    saved = _load(path)
    diffs = _config_differences(saved.state["config"], config.to_dict())
    if saved.state["spectrum"] != spectrum.to_dict():
        diffs.append("spectrum (the timbre's partials differ)")
    if diffs:
        raise CheckpointError(
            f"{path}: checkpoint from another configuration ({'; '.join(diffs)}); "
            "resume with the same settings, or start afresh with --force"
        )
    _restore_weights(path, saved.state["model"], model)
    _restore_optimizer(path, saved.state["optimizer"], optimizer)
    _restore_rng(path, saved.state["rng"], generator)
    return saved.history, saved.step


def check_resumable(
    path: str | os.PathLike[str],
    config: TrainConfig,
    *,
    spectrum: Spectrum,
    device: torch.device | str = "cpu",
) -> None:
    """Fail now, before any work, where `train` could not resume from ``path``.

    Every field is checked as resuming would (weights, optimizer, random state, history).

    Raises
    ------
    CheckpointError
        Missing, foreign, damaged or unsafe file, or one of another configuration.
    """
    device = torch.device(device)
    model, _ = _build(config, spectrum, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    _resume(Path(path), config, spectrum, model, optimizer, torch.Generator(device=device))


def train(
    config: TrainConfig,
    *,
    device: torch.device | str = "cpu",
    checkpoint_path: str | os.PathLike[str] | None = None,
    resume: bool = False,
    quiet: bool = False,
    spectrum: Spectrum | None = None,
    progress: ProgressFactory | None = None,
) -> TrainResult:
    """Train a generator by minimising ``E_q[E(x)] / T - H(q)`` (reverse KL to ``exp(-E / T)``).

    Parameters
    ----------
    config : TrainConfig
    device : torch.device or str
        Where to train. Same config and device: the same result, bit for bit.
    checkpoint_path : path-like, optional
        Write model + optimizer + step + config + RNG + history here (atomically) every
        ``config.checkpoint_every`` steps and at the end; the final file is the model file.
    resume : bool
        Continue from ``checkpoint_path``: the result equals that of an uninterrupted run.
    quiet : bool
        No progress bar, even when ``progress`` is given.
    spectrum : Spectrum, optional
        The parsed timbre (parsed from ``config.timbre`` when omitted).
    progress : ProgressFactory, optional
        Opens the training progress bar (the commands pass rich bars); default: none shown.

    Returns
    -------
    TrainResult

    Raises
    ------
    CheckpointError
        ``resume`` without a checkpoint, or a checkpoint from another configuration.
    """
    start_time = time.perf_counter()
    device = torch.device(device)
    if spectrum is None:
        spectrum = parse_timbre(config.timbre)
    ckpt = Path(checkpoint_path) if checkpoint_path is not None else None
    if resume and ckpt is None:
        raise CheckpointError(
            "resume needs a checkpoint path (the model file of the interrupted run)"
        )

    model, energy = _build(config, spectrum, device)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator(device=device)
    generator.manual_seed(config.seed)
    history: dict[str, list[float]] = {
        "step": [],
        "energy": [],
        "entropy": [],
        "loss": [],
        "temperature": [],
    }
    first_step = 0

    if resume:
        assert ckpt is not None
        history, first_step = _resume(ckpt, config, spectrum, model, optimizer, generator)

    def save(step: int) -> None:
        if ckpt is not None:
            _save(
                ckpt,
                config=config,
                spectrum=spectrum,
                step=step,
                model=model,
                optimizer=optimizer,
                generator=generator,
                history=history,
            )

    model.train()
    bars = silent_progress if quiet or progress is None else progress
    with _deterministic(device), bars(config.train_steps, "training") as bar:
        bar.advance(first_step)
        for step in range(first_step, config.train_steps):
            temperature = temperature_at(config, step)
            if isinstance(model, ScalePieceModel):
                cents, log_q, log_p = model.sample_with_score(
                    config.batch_size, generator=generator
                )
            else:
                cents, log_q = model.sample(
                    config.batch_size, generator=generator
                )  # (B, V, T), (B,)
                log_p = None
            e = energy(cents)  # (B,)
            mean_energy = e.mean()
            entropy = -log_q.mean()  # nats, pitches in cents
            loss = mean_energy / temperature - entropy
            if log_p is not None:
                # Score-function gradient of the discrete choices, with a leave-one-out baseline.
                f = (e / temperature + log_q).detach()  # (B,)
                baseline = (f.sum() - f) / (f.numel() - 1)
                surrogate = ((f - baseline) * log_p).mean()
                loss_for_grad = loss + surrogate
            else:
                loss_for_grad = loss
            optimizer.zero_grad(set_to_none=True)
            loss_for_grad.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
            optimizer.step()

            history["step"].append(step + 1)
            history["energy"].append(float(mean_energy.detach()))
            history["entropy"].append(float(entropy.detach()))
            history["loss"].append(float(loss.detach()))
            history["temperature"].append(temperature)
            bar.advance(
                1,
                info=f"E={history['energy'][-1]:.3f} H={history['entropy'][-1]:.1f} T={temperature:.3g}",
            )
            if (step + 1) % config.checkpoint_every == 0 and step + 1 < config.train_steps:
                save(step + 1)
    save(config.train_steps)
    model.eval()
    return TrainResult(model, energy, history, time.perf_counter() - start_time)
