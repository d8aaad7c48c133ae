"""Training checkpoints: model + optimizer + step + config + RNG + history, saved atomically, read back safely."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from xentune.atomic import atomic_file
from xentune.errors import CheckpointError, XentuneError
from xentune.generator.model import PieceFlow
from xentune.generator.train_config import GeneratorModel, TrainConfig
from xentune.spectrum import Spectrum, spectrum_from_dict

__all__ = ["CHECKPOINT_FORMAT", "MAX_CHECKPOINT_BYTES", "read_weights_file"]


#: ``format`` field of a checkpoint / model file.
CHECKPOINT_FORMAT = "xentune-model"


_CHECKPOINT_VERSION = 1


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


def read_weights_file(
    path: Path, *, what: str, max_bytes: int, format_name: str, version: int, remedy: str
) -> dict[str, Any]:
    """Unpickle a xentune weights file safely and check its size, format tag and version.

    ``torch.load(weights_only=True)`` admits tensors, dicts, lists and numbers only: a pickle
    that would run code (os.system, eval, ...) is refused by the unpickler before anything of it
    runs. The caller checks the fields.

    Parameters
    ----------
    path : Path
        An existing file.
    what : str
        What the file is, for messages ("model file", "time model").
    max_bytes : int
        Largest file accepted (read nothing larger).
    format_name : str
        The ``format`` tag the file must carry.
    version : int
        The ``version`` this xentune reads.
    remedy : str
        What the user should do about a bad file (ends every message).

    Raises
    ------
    CheckpointError
        Too large, unreadable, unsafe, of another format or version.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise CheckpointError(
            f"{path}: {size:,} bytes, more than a {what} may have ({max_bytes:,}); {remedy}"
        )
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises many types for a corrupt, foreign or unsafe file
        raise CheckpointError(
            f"{path}: not a readable xentune {what} ({type(e).__name__}; only plain weights "
            f"are loaded, never code); {remedy}"
        ) from None
    if not isinstance(state, dict) or state.get("format") != format_name:
        raise CheckpointError(f"{path}: not a xentune {what} (no format {format_name!r}); {remedy}")
    if state.get("version") != version:
        raise CheckpointError(
            f"{path}: {what} version {state.get('version')!r}; this xentune reads version "
            f"{version}; {remedy}"
        )
    return state


def _load(path: Path) -> _Checkpoint:
    """Read a model file with ``weights_only`` unpickling (never runs code) and check every field."""
    if not path.is_file():
        raise CheckpointError(
            f"{path}: no checkpoint there; train first (xentune train --out {path})"
        )
    state = read_weights_file(
        path,
        what="model file",
        max_bytes=MAX_CHECKPOINT_BYTES,
        format_name=CHECKPOINT_FORMAT,
        version=_CHECKPOINT_VERSION,
        remedy="retrain it (xentune train)",
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
