"""xentune: tunings that emerge from timbre, with psychoacoustic models in PyTorch."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from xentune.errors import XentuneError

if TYPE_CHECKING:
    from xentune.spectrum import Spectrum
    from xentune.timbre import parse_timbre

__all__ = ["Spectrum", "XentuneError", "parse_timbre"]
__version__ = "0.1.0"

#: Names loaded on first use: they import torch, which ``xentune --help`` must not.
_LAZY = {"Spectrum": "xentune.spectrum", "parse_timbre": "xentune.timbre"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'xentune' has no attribute {name!r}")
