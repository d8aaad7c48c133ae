"""``time-model.pt``: the time model's weights and settings, saved atomically and read back safely."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from xentune.atomic import atomic_file
from xentune.errors import CheckpointError
from xentune.generator.checkpoint import read_weights_file

__all__ = ["TIME_MODEL_FORMAT", "SavedTimeModel", "load_time_model", "save_time_model"]

#: ``format`` field of a time-model file.
TIME_MODEL_FORMAT = "xentune-time-model"
_VERSION = 1
#: Largest time-model file read, bytes (the model has a few tens of thousands of weights).
MAX_TIME_MODEL_BYTES = 64 * 2**20


@dataclass(frozen=True)
class SavedTimeModel:
    """A time-model file read back: its settings (a plain table) and its weights."""

    config: dict[str, Any]
    weights: dict[str, torch.Tensor]
    period_cents: float


def save_time_model(
    path: str | Path,
    *,
    config: dict[str, Any],
    weights: dict[str, torch.Tensor],
    period_cents: float,
    force: bool = False,
) -> Path:
    """Write ``path`` (temp file + rename): format, version, config, weights, the period used.

    The file holds only plain tables, numbers and tensors, so `load_time_model` reads it with
    ``weights_only`` unpickling.
    """
    state = {
        "format": TIME_MODEL_FORMAT,
        "version": _VERSION,
        "config": dict(config),
        "period_cents": float(period_cents),
        "weights": {k: v.detach().cpu().clone() for k, v in weights.items()},
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    p = Path(path)
    with atomic_file(p, force=force) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return p


def load_time_model(path: str | Path) -> SavedTimeModel:
    """Read a ``time-model.pt`` without running any code from it (``torch.load(weights_only=True)``).

    Raises
    ------
    CheckpointError
        Missing, too large, unreadable, unsafe, or not a xentune time model.
    """
    p = Path(path)
    if not p.is_file():
        raise CheckpointError(
            f"{p}: no time model there; give a run folder's model.pt with its time-model.pt beside it "
            "(xentune generate writes both)"
        )
    state = read_weights_file(
        p,
        what="time model",
        max_bytes=MAX_TIME_MODEL_BYTES,
        format_name=TIME_MODEL_FORMAT,
        version=_VERSION,
        remedy="regenerate the run",
    )
    config, weights, period = state.get("config"), state.get("weights"), state.get("period_cents")
    if not isinstance(config, dict) or not isinstance(weights, dict):
        raise CheckpointError(f"{p}: time model lacks its config or weights; regenerate the run")
    if not all(isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in weights.items()):
        raise CheckpointError(f"{p}: time model weights are not a table of tensors; regenerate")
    if not isinstance(period, float) or not 100.0 <= period <= 10_000.0:
        raise CheckpointError(f"{p}: time model period {period!r} is not in 100..10000 cents")
    return SavedTimeModel(config=config, weights=weights, period_cents=period)
