"""What a sweep runs: one task per (timbre, temperature, seed), each a ``generate`` run folder."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from xentune.errors import ConfigError

__all__ = ["MAX_TASKS", "SweepPlan", "SweepTask", "parse_seeds", "plan_sweep"]

#: Most runs one sweep may plan (timbres x temperatures x seeds); a bigger study is several sweeps.
MAX_TASKS = 100_000

#: Largest seed (torch seeds are 64-bit).
MAX_SEED = 2**63 - 1

_SEED_RANGE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def parse_seeds(text: str) -> tuple[int, ...]:
    """Seeds from ``"0-99"`` (inclusive), ``"3"`` or a comma-separated mix ``"0-4,10,12-13"``.

    Raises
    ------
    ConfigError
        An empty, reversed, negative, non-integer or too-large range, or a repeated seed.
    """
    seeds: list[int] = []
    for part in str(text).split(","):
        match = _SEED_RANGE.match(part)
        if match:
            lo, hi = int(match.group(1)), int(match.group(2))
            if lo > hi:
                raise ConfigError(
                    f"--seeds {text}: range {lo}-{hi} runs backwards; write it low-high (e.g. {hi}-{lo})"
                )
        elif part.strip().isdigit():
            lo = hi = int(part.strip())
        else:
            raise ConfigError(
                f"--seeds {text}: {part.strip()!r} is not a seed or a range; use e.g. 0-99 or 0,3,7"
            )
        if hi > MAX_SEED:
            raise ConfigError(f"--seeds {text}: seeds must be at most 2^63 - 1")
        if hi - lo + 1 > MAX_TASKS:
            raise ConfigError(f"--seeds {text}: at most {MAX_TASKS} seeds in one sweep")
        seeds.extend(range(lo, hi + 1))
    if len(set(seeds)) != len(seeds):
        raise ConfigError(f"--seeds {text}: a seed is listed twice; list each seed once")
    return tuple(seeds)


def _slug(timbre: str) -> str:
    """A file-name-safe, readable and unique name for a timbre SPEC."""
    safe = re.sub(r"[^A-Za-z0-9.=]+", "_", timbre).strip("_")[:48] or "timbre"
    if safe == timbre:
        return safe
    return f"{safe}-{hashlib.sha256(timbre.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class SweepTask:
    """One run of a sweep: the ``generate`` pipeline with these settings, into ``runs/NAME``.

    Parameters
    ----------
    timbre : str
        Timbre SPEC.
    seed : int
        Seed of training and sampling.
    temperature : float or None
        Training temperature (None: the training default).
    settings : dict
        The other ``generate`` settings shared by every task (voices, steps, pieces, ...).
    """

    timbre: str
    seed: int
    temperature: float | None
    settings: dict[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The run folder's name: ``SLUG-Tdefault-seed7`` or ``SLUG-T0.15-seed7``."""
        t = "default" if self.temperature is None else f"{self.temperature:g}"
        return f"{_slug(self.timbre)}-T{t}-seed{self.seed}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class SweepPlan:
    """Every task of a sweep, in a fixed order (timbre, then temperature, then seed)."""

    timbres: tuple[str, ...]
    seeds: tuple[int, ...]
    temperatures: tuple[float | None, ...]
    settings: dict[str, Any]
    tasks: tuple[SweepTask, ...]

    def to_dict(self) -> dict[str, Any]:
        """The plan as saved in ``sweep-plan.json`` (what a resumed sweep must match)."""
        return {
            "timbres": list(self.timbres),
            "seeds": list(self.seeds),
            "temperatures": list(self.temperatures),
            "settings": dict(self.settings),
        }


def plan_sweep(
    timbres: Sequence[str],
    seeds: Sequence[int],
    *,
    temperatures: Sequence[float] = (),
    settings: dict[str, Any] | None = None,
) -> SweepPlan:
    """The tasks of a sweep over ``timbres x temperatures x seeds``.

    Parameters
    ----------
    timbres : sequence of str
        Timbre SPECs (validated by the caller with `xentune.timbre.parse_timbre`).
    seeds : sequence of int
        Seeds (see `parse_seeds`).
    temperatures : sequence of float
        Training temperatures to sweep; empty: the training default only.
    settings : dict, optional
        Other ``generate`` settings, the same for every task.

    Raises
    ------
    ConfigError
        No timbre, a repeated timbre or temperature, a temperature that is not finite and > 0,
        or more than `MAX_TASKS` tasks.
    """
    if not timbres:
        raise ConfigError("give at least one --timbre (e.g. --timbre harmonic)")
    if len(set(timbres)) != len(timbres):
        raise ConfigError("a --timbre is given twice; give each timbre once")
    for t in temperatures:
        if not (isinstance(t, int | float) and math.isfinite(t) and 0 < t <= 1e6):
            raise ConfigError(f"--temperature {t}: must be a finite number in (0, 1e6] (e.g. 0.15)")
    if len(set(temperatures)) != len(temperatures):
        raise ConfigError("a --temperature is given twice; give each temperature once")
    temps: tuple[float | None, ...] = tuple(float(t) for t in temperatures) or (None,)
    n = len(timbres) * len(temps) * len(seeds)
    if n > MAX_TASKS:
        raise ConfigError(f"the sweep has {n} runs; at most {MAX_TASKS} in one sweep")
    shared = dict(settings or {})
    tasks = tuple(
        SweepTask(timbre=timbre, seed=seed, temperature=temp, settings=shared)
        for timbre in timbres
        for temp in temps
        for seed in seeds
    )
    return SweepPlan(tuple(timbres), tuple(seeds), temps, shared, tasks)
