"""The scale files a run writes for musicians: .scl, .kbm, .ascl, .tun and audio previews."""

from __future__ import annotations

import math
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import torch

from xentune.errors import ConfigError
from xentune.generator.previews import write_previews
from xentune.spectrum import Spectrum
from xentune.tuning.ascl import write_ascl
from xentune.tuning.just import (
    DEFAULT_RATIO_TOLERANCE_CENTS,
    MAX_RATIO_TOLERANCE_CENTS,
    just_scale,
    parse_period_ratio,
)
from xentune.tuning.kbm import write_kbm
from xentune.tuning.keyboard import KEYBOARD_LAYOUTS, keyboard_mapping
from xentune.tuning.midi import DEFAULT_MPE_BEND_RANGE, MAX_MPE_BEND_RANGE
from xentune.tuning.scala import write_scl
from xentune.tuning.scale import Scale
from xentune.tuning.tun import write_tun

__all__ = ["SCALE_FILE_NAMES", "ExportConfig", "write_scale_files"]

#: The scale files every run writes, beside ``previews/``.
SCALE_FILE_NAMES = ("scale.scl", "scale.kbm", "scale.ascl", "scale.tun")


@dataclass(frozen=True)
class ExportConfig:
    """How the scale and the MIDI files are written for musicians.

    Parameters
    ----------
    ratios : bool
        Write each degree (and the period) that lies within ``ratio_tolerance_cents`` of a simple
        just ratio (odd limit <= 15) as that exact ratio (``xentune.tuning.just.just_scale``).
    ratio_tolerance_cents : float
        0..25 cents.
    period_ratio : str or None
        Write the period as this exact ratio (``"2/1"``) whatever the data says.
    keyboard : str
        ``consecutive``, ``white-keys`` or ``12-key`` (``xentune.tuning.keyboard``): the .kbm
        and .tun layout. The .ascl is always consecutive (Live maps every key to the next degree).
    mpe_bend_range : int
        Pitch-bend range of the MPE files' member channels, 1..96 semitones.
    """

    ratios: bool = False
    ratio_tolerance_cents: float = DEFAULT_RATIO_TOLERANCE_CENTS
    period_ratio: str | None = None
    keyboard: str = "consecutive"
    mpe_bend_range: int = DEFAULT_MPE_BEND_RANGE

    def __post_init__(self) -> None:
        tol = self.ratio_tolerance_cents
        if (
            isinstance(tol, bool)
            or not isinstance(tol, int | float)
            or not (math.isfinite(tol) and 0 <= tol <= MAX_RATIO_TOLERANCE_CENTS)
        ):
            raise ConfigError(
                f"--ratio-tolerance {tol}: must be 0..{MAX_RATIO_TOLERANCE_CENTS:g} cents "
                f"(e.g. {DEFAULT_RATIO_TOLERANCE_CENTS:g})"
            )
        if self.period_ratio is not None:
            parse_period_ratio(self.period_ratio)
        if self.keyboard not in KEYBOARD_LAYOUTS:
            raise ConfigError(
                f"--keyboard {self.keyboard!r}: unknown keyboard layout; choose one of "
                f"{', '.join(KEYBOARD_LAYOUTS)}"
            )
        r = self.mpe_bend_range
        if isinstance(r, bool) or not isinstance(r, int) or not 1 <= r <= MAX_MPE_BEND_RANGE:
            raise ConfigError(
                f"--mpe-bend-range {r}: must be a whole number of semitones "
                f"1..{MAX_MPE_BEND_RANGE} (MPE default {DEFAULT_MPE_BEND_RANGE})"
            )

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``config.json`` key ``exports``)."""
        return {
            "ratios": self.ratios,
            "ratio_tolerance_cents": float(self.ratio_tolerance_cents),
            "period_ratio": self.period_ratio,
            "keyboard": self.keyboard,
            "mpe_bend_range": self.mpe_bend_range,
        }

    def scale_for_files(self, scale: Scale) -> Scale:
        """The scale as written: exact ratios where asked for (see `ratios`, `period_ratio`)."""
        period = None if self.period_ratio is None else parse_period_ratio(self.period_ratio)
        if self.ratios:
            return just_scale(
                scale, tolerance_cents=self.ratio_tolerance_cents, period_ratio=period
            )
        if period is not None:  # only the period exact: a tolerance of 0 changes no degree
            return just_scale(scale, tolerance_cents=0.0, period_ratio=period)
        return scale


def _xentune_version() -> str:
    try:
        return metadata.version("xentune")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"


def write_scale_files(
    folder: str | Path,
    scale: Scale,
    spectrum: Spectrum,
    exports: ExportConfig,
    *,
    timbre: str,
    reference_hz: float,
    sample_rate: int,
    device: torch.device | str | None = None,
    seed: int = 0,
) -> list[Path]:
    """Write ``scale`` for musicians into ``folder``: the four scale files and the previews.

    ``scale.scl`` (the scale as ``exports`` asks: exact ratios or cents), ``scale.kbm`` (the
    keyboard layout, degree 0 on key 60 at ``reference_hz``), ``scale.ascl`` (the same scale
    for Ableton Live 12, degree 0 at ``reference_hz`` in Live's octave 3), ``scale.tun`` (all
    128 keys of .scl + .kbm) and ``previews/`` (each degree alone and over 1/1, rendered with
    ``spectrum``).

    Returns
    -------
    list of Path
        The scale files written (the previews not listed).

    Raises
    ------
    ConfigError
        A keyboard layout that cannot hold the scale (white-keys needs 7 notes, 12-key <= 12).
    OutputExistsError
        A file already exists.
    """
    d = Path(folder)
    written = exports.scale_for_files(scale)
    mapping = keyboard_mapping(exports.keyboard, written.n_notes, reference_hz=reference_hz)
    out = [write_scl(d / "scale.scl", written), write_kbm(d / "scale.kbm", mapping)]
    out.append(
        write_ascl(
            d / "scale.ascl",
            written,
            reference_hz=reference_hz,
            source=f"xentune {_xentune_version()}, generated with timbre {timbre}",
        )
    )
    out.append(write_tun(d / "scale.tun", written, mapping))
    write_previews(
        d,
        written,
        spectrum,
        timbre=timbre,
        reference_hz=reference_hz,
        sample_rate=sample_rate,
        device=device,
        seed=seed,
    )
    return out
