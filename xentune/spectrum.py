"""`Spectrum`: a timbre as partial ratios and amplitudes, and its JSON/TOML document form."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import torch

from xentune.errors import SpecError
from xentune.safe_read import finite_number
from xentune.units import ratio_to_cents

__all__ = [
    "MAX_AMPLITUDE",
    "MAX_PARTIALS",
    "MAX_RATIO",
    "Spectrum",
    "spectrum_from_dict",
]


#: Largest number of partials a timbre may have, preset or file (a sanity bound, not a physical
#: one): roughness pairs every partial of every voice, so its cost grows with the square.
MAX_PARTIALS = 256
#: Largest partial ratio and amplitude a timbre file may give. Ratios beyond 10^4 lie above
#: hearing for any fundamental over 2 Hz; amplitudes are relative, and products of two must
#: stay far from float overflow (roughness multiplies them).
MAX_RATIO = 1e4
MAX_AMPLITUDE = 1e6


@dataclass(frozen=True)
class Spectrum:
    """A timbre as a line spectrum: partial frequency ratios (to the fundamental) and amplitudes.

    Parameters
    ----------
    ratios : tuple of float, length P
        Frequency of each partial divided by the note's nominal frequency, > 0, ascending.
    amplitudes : tuple of float, length P
        Linear amplitude of each partial, > 0.
    name : str
        The spec that made it (``"harmonic:partials=6,rolloff=0.88"``), for reports and configs.
    decay_s : tuple of float or None, length P
        Per-partial exponential decay time constant in seconds (amplitude falls by 1/e), for
        struck timbres (bells, bars); ``None`` for sustained tones.
    pseudo_octave : float or None
        The timbre's period ratio when it has one by construction (2 for harmonic tones, A for
        ``stretched:octave=A``); ``None`` when only the data can tell (bells, bars).
    """

    ratios: tuple[float, ...]
    amplitudes: tuple[float, ...]
    name: str = "custom"
    decay_s: tuple[float, ...] | None = None
    pseudo_octave: float | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _check_partials(self.ratios, self.amplitudes, where=self.name)
        if self.decay_s is not None and len(self.decay_s) != len(self.ratios):
            raise SpecError(
                f"{self.name}: {len(self.decay_s)} decay times for {len(self.ratios)} partials"
            )

    @property
    def n_partials(self) -> int:
        """Number of partials P."""
        return len(self.ratios)

    def tensors(
        self, *, dtype: torch.dtype = torch.float32, device: torch.device | str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The partials as tensors.

        Returns
        -------
        ratios : Tensor, shape (P,)
        amplitudes : Tensor, shape (P,)
        """
        r = torch.tensor(self.ratios, dtype=dtype, device=device)
        a = torch.tensor(self.amplitudes, dtype=dtype, device=device)
        return r, a

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description; `spectrum_from_dict` reads it back exactly."""
        partials: list[dict[str, float]] = []
        for k, (r, a) in enumerate(zip(self.ratios, self.amplitudes, strict=True)):
            entry = {"ratio": r, "amplitude": a}
            if self.decay_s is not None:
                entry["decay_s"] = self.decay_s[k]
            partials.append(entry)
        return {
            "format": "xentune-timbre",
            "version": 1,
            "name": self.name,
            "pseudo_octave": self.pseudo_octave,
            "partials": partials,
        }

    def table(self) -> str:
        """A plain-text table of the partials (ratio, cents above the first partial, amplitude)."""
        lines = [
            f"timbre {self.name}: {self.n_partials} partials",
            "  k      ratio      cents  amplitude",
        ]
        for k, (r, a) in enumerate(zip(self.ratios, self.amplitudes, strict=True), start=1):
            lines.append(f"{k:3d} {r:10.5f} {ratio_to_cents(r):10.2f} {a:10.5f}")
        return "\n".join(lines)


def _check_partials(ratios: tuple[float, ...], amps: tuple[float, ...], *, where: str) -> None:
    if len(ratios) == 0:
        raise SpecError(
            f"{where}: the timbre has no partials; give at least one (ratio, amplitude)"
        )
    if len(ratios) > MAX_PARTIALS:
        raise SpecError(
            f"{where}: {len(ratios)} partials; a timbre may have at most {MAX_PARTIALS} "
            "(keep the strongest ones)"
        )
    if len(ratios) != len(amps):
        raise SpecError(
            f"{where}: {len(ratios)} ratios but {len(amps)} amplitudes; give one amplitude per ratio"
        )
    for k, (r, a) in enumerate(zip(ratios, amps, strict=True), start=1):
        if not (isinstance(r, float) and math.isfinite(r) and 0 < r <= MAX_RATIO):
            raise SpecError(
                f"{where}: partial {k} has ratio {r!r}; ratios must be finite numbers > 0 "
                f"and at most {MAX_RATIO:g}"
            )
        if not (isinstance(a, float) and math.isfinite(a) and 0 < a <= MAX_AMPLITUDE):
            raise SpecError(
                f"{where}: partial {k} has amplitude {a!r}; amplitudes must be finite numbers > 0 "
                f"and at most {MAX_AMPLITUDE:g}"
            )
    if any(b < a for a, b in zip(ratios, ratios[1:], strict=False)):
        raise SpecError(f"{where}: partial ratios must be in ascending order")


def _as_float(value: object, *, where: str, what: str) -> float:
    return finite_number(value, field=f"{where}: {what}", error=SpecError)


def spectrum_from_dict(data: object, *, where: str = "timbre") -> Spectrum:
    """Build a `Spectrum` from a parsed JSON/TOML document.

    Accepted forms: ``{"partials": [{"ratio": r, "amplitude": a}, ...]}``,
    ``{"partials": [[r, a], ...]}`` or ``{"ratios": [...], "amplitudes": [...]}``; optional
    ``name``, ``pseudo_octave`` and per-partial ``decay_s``. Partials are sorted by ratio.

    Raises
    ------
    SpecError
        Anything missing, non-numeric, non-positive or NaN (the message names ``where``).
    """
    if not isinstance(data, dict):
        raise SpecError(
            f"{where}: expected a table/object with 'partials', got {type(data).__name__}"
        )
    decays: list[float] | None = None
    if "partials" in data:
        items = data["partials"]
        if not isinstance(items, list):
            raise SpecError(f"{where}: 'partials' must be a list of {{ratio, amplitude}} entries")
        ratios, amps, decay_list = [], [], []
        for k, item in enumerate(items, start=1):
            if isinstance(item, dict):
                if "ratio" not in item:
                    raise SpecError(f"{where}: partial {k} has no 'ratio'")
                ratios.append(_as_float(item["ratio"], where=where, what=f"partial {k} ratio"))
                amps.append(
                    _as_float(
                        item.get("amplitude", 1.0), where=where, what=f"partial {k} amplitude"
                    )
                )
                if "decay_s" in item:
                    decay_list.append(
                        _as_float(item["decay_s"], where=where, what=f"partial {k} decay_s")
                    )
            elif isinstance(item, list) and len(item) == 2:
                ratios.append(_as_float(item[0], where=where, what=f"partial {k} ratio"))
                amps.append(_as_float(item[1], where=where, what=f"partial {k} amplitude"))
            else:
                raise SpecError(
                    f"{where}: partial {k} must be {{ratio, amplitude}} or [ratio, amplitude]"
                )
        if decay_list:
            if len(decay_list) != len(ratios):
                raise SpecError(f"{where}: give decay_s for every partial or for none")
            decays = decay_list
    elif "ratios" in data:
        raw_r, raw_a = data["ratios"], data.get("amplitudes")
        if not isinstance(raw_r, list):
            raise SpecError(f"{where}: 'ratios' must be a list of numbers")
        if raw_a is None:
            raw_a = [1.0] * len(raw_r)
        if not isinstance(raw_a, list):
            raise SpecError(f"{where}: 'amplitudes' must be a list of numbers")
        ratios = [_as_float(x, where=where, what=f"ratio {k}") for k, x in enumerate(raw_r, 1)]
        amps = [_as_float(x, where=where, what=f"amplitude {k}") for k, x in enumerate(raw_a, 1)]
    else:
        raise SpecError(
            f"{where}: no 'partials' (or 'ratios') found; see `xentune timbre show harmonic`"
        )
    order = sorted(range(len(ratios)), key=lambda k: ratios[k])
    pseudo = data.get("pseudo_octave")
    if pseudo is not None:
        pseudo = _as_float(pseudo, where=where, what="pseudo_octave")
        if not (math.isfinite(pseudo) and pseudo > 1):
            raise SpecError(f"{where}: pseudo_octave {pseudo} must be > 1")
    name = data.get("name", where)
    if decays is not None and any(not (math.isfinite(d) and d > 0) for d in decays):
        raise SpecError(f"{where}: decay_s values must be finite and > 0")
    return Spectrum(
        tuple(ratios[k] for k in order),
        tuple(amps[k] for k in order),
        name=str(name),
        decay_s=None if decays is None else tuple(decays[k] for k in order),
        pseudo_octave=pseudo,
    )
