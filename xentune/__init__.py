"""xentune: tunings that emerge from timbre, with psychoacoustic models in PyTorch."""

from __future__ import annotations

from xentune.errors import XentuneError
from xentune.timbre import Spectrum, parse_timbre

__all__ = ["Spectrum", "XentuneError", "parse_timbre"]
__version__ = "0.1.0"
