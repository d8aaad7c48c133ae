"""Choosing the torch device from ``--device auto|cpu|cuda``."""

from __future__ import annotations

import torch

from xentune.errors import ConfigError

__all__ = ["resolve_device"]


def resolve_device(name: str = "auto") -> torch.device:
    """The device for ``name``: ``auto`` picks CUDA when present, else the CPU.

    Raises
    ------
    ConfigError
        ``cuda`` was asked for and none is available, or the name is unknown.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cpu":
        return torch.device("cpu")
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ConfigError(
                f"--device {name}: no CUDA device is available here; use --device cpu or auto"
            )
        return torch.device(name)
    raise ConfigError(f"--device {name}: unknown device; use auto, cpu or cuda")
