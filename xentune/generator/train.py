"""Training the generator from nothing but the energy: reverse KL to ``exp(-E / T)``, seeded and resumable."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from xentune.errors import CheckpointError, ConfigError
from xentune.generator.checkpoint import (
    _config_differences,
    _load,
    _restore_optimizer,
    _restore_rng,
    _restore_weights,
    _save,
)
from xentune.generator.energy import Energy
from xentune.generator.model import PieceFlow
from xentune.generator.scale_model import ScalePieceModel
from xentune.generator.train_config import MAX_MODEL_NUMEL, GeneratorModel, TrainConfig
from xentune.progress import ProgressFactory, silent_progress
from xentune.spectrum import Spectrum
from xentune.timbre import parse_timbre

__all__ = [
    "TrainConfig",
    "TrainResult",
    "Trained",
    "check_resumable",
    "load_trained",
    "temperature_at",
    "train",
    "untrained_model",
]


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
            "resume with the same settings, or start afresh (drop --resume; add --force to replace the file)"
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
