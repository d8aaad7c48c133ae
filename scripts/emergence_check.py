"""Must-show 2: does the expected interval system emerge from ``xentune generate`` alone?

Runs the whole ``generate`` pipeline (defaults apart from ``--timbre`` and ``--seed``) for each
timbre and seed, and prints per run: the period, the emergent steps with their nearest just ratio
and nearest dissonance-curve minimum, the best equal division over n = 5..31 (relative RMS error,
ties to the smallest n) and PASS/FAIL against the criteria of issue 6:

- ``harmonic``: steps within 10 cents of 6/5, 5/4, 4/3, 3/2 and 5/3; period within 5 cents of 1200.
- ``stretched:octave=2.1``: period within 10 cents of 1284.4; a step within 10 cents of 751; no
  step within 10 cents of 702.
- ``edo:n=10,partials=7,rolloff=0.88`` / ``edo:n=12,...``: best-fitting EDO 10 / 12.

Usage::

    .venv/bin/python scripts/emergence_check.py                 # 4 timbres x 3 seeds
    .venv/bin/python scripts/emergence_check.py --timbres harmonic --seeds 0 --keep runs/
    .venv/bin/python scripts/emergence_check.py --consonance composite   # the composite energy

Exit status 0 when every run passes, 1 otherwise.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from xentune.generator.energy import EnergyConfig
from xentune.generator.train import TrainConfig
from xentune.pipeline import RunConfig, RunResult, generate_run
from xentune.psychoacoustics.curve import curve_minima
from xentune.timbre import parse_timbre
from xentune.tuning.conventions import CRITERIA_EDO_RANGE
from xentune.tuning.edo import best_edos
from xentune.tuning.emergence import emergent_edos

TIMBRES = (
    "harmonic",
    "stretched:octave=2.1",
    "edo:n=10,partials=7,rolloff=0.88",
    "edo:n=12,partials=7,rolloff=0.88",
)
HARMONIC_TARGETS = (Fraction(6, 5), Fraction(5, 4), Fraction(4, 3), Fraction(3, 2), Fraction(5, 3))


def _cents(r: Fraction) -> float:
    return 1200.0 * math.log2(r)


def _near(steps: tuple[float, ...], target: float, tol: float) -> bool:
    return any(abs(s - target) <= tol for s in steps)


def check_harmonic(result: RunResult) -> list[str]:
    """Failed criteria of a harmonic run (empty: PASS)."""
    steps, fails = result.scale.steps_cents, []
    for r in HARMONIC_TARGETS:
        if not _near(steps, _cents(r), 10.0):
            fails.append(f"no step within 10 c of {r} ({_cents(r):.1f})")
    if abs(result.scale.period_cents - 1200.0) > 5.0:
        fails.append(f"period {result.scale.period_cents:.1f} not within 5 c of 1200")
    return fails


def check_stretched(result: RunResult) -> list[str]:
    """Failed criteria of a stretched:octave=2.1 run."""
    steps, fails = result.scale.steps_cents, []
    pseudo = 1200.0 * math.log2(2.1)
    if abs(result.scale.period_cents - pseudo) > 10.0:
        fails.append(f"period {result.scale.period_cents:.1f} not within 10 c of {pseudo:.1f}")
    if not _near(steps, 751.0, 10.0):
        fails.append("no stretched fifth within 10 c of 751")
    if _near(steps, 701.955, 10.0):
        fails.append("a step within 10 c of the just fifth 702")
    return fails


def check_edo(n: int) -> Callable[[RunResult], list[str]]:
    """Failed criteria of an edo:n=N run: the best EDO over 5..31 must be N."""

    def check(result: RunResult) -> list[str]:
        edos = emergent_edos(result.scale, n_range=CRITERIA_EDO_RANGE, top=1)
        if not edos:
            return ["no emergent steps"]
        best = edos[0].n
        return [] if best == n else [f"best EDO {best}, not {n}"]

    return check


CHECKS: dict[str, Callable[[RunResult], list[str]]] = {
    "harmonic": check_harmonic,
    "stretched:octave=2.1": check_stretched,
    "edo:n=10,partials=7,rolloff=0.88": check_edo(10),
    "edo:n=12,partials=7,rolloff=0.88": check_edo(12),
}


def describe(timbre: str, seed: int, result: RunResult, fails: list[str]) -> str:
    """The run's lines of the table."""
    s = result.scale
    best = result.analysis.edo.best[0] if result.analysis.edo.best else None
    edo = f"{best.n}-EDO (rel. RMS {best.relative_rms_error:.3f})" if best else "-"
    lines = [
        f"{timbre}  seed {seed}: {'PASS' if not fails else 'FAIL'}  period {s.period_cents:.1f} c "
        f"({s.period_source})  {s.n_steps} steps  best {edo}  peakedness {s.peakedness:.2f}  "
        f"{result.elapsed_s:.0f} s (train {result.timings_s.get('train', 0):.0f} s)",
        "    step c  strength  just ratio (err c)  nearest minimum c (step - min)",
    ]
    for row in result.analysis.scale_steps:
        just = row.just_ratios[0] if row.just_ratios else None
        ratio = f"{just.ratio} ({just.error_cents:+.1f})" if just is not None else "-"
        if row.nearest_minimum_cents is not None and row.minimum_offset_cents is not None:
            minimum = f"{row.nearest_minimum_cents:7.1f} ({row.minimum_offset_cents:+.1f})"
        else:
            minimum = "-"
        strength = row.strength if row.strength is not None else float("nan")
        lines.append(f"    {row.cents:6.1f}  {strength:8.2f}  {ratio:>18}  {minimum}")
    lines += [f"    FAIL: {f}" for f in fails]
    return "\n".join(lines)


def minima_line(timbre: str) -> str:
    """The timbre's own curve minima and the EDO they fit best (what a perfect generator would give)."""
    spectrum = parse_timbre(timbre)
    period = 1200.0 * math.log2(spectrum.pseudo_octave or 2.0)
    top = max(2.3, 2.0 ** ((period + 50.0) / 1200.0))
    minima = [m.cents for m in curve_minima(spectrum, ratio_range=(1.0, top))]
    inside = [m for m in minima if 20.0 < m < period - 20.0]
    best = (
        best_edos(inside, n_range=range(5, 32), period_cents=period, top=1)[0] if inside else None
    )
    fit = f"best {best.n}-EDO (rel. RMS {best.relative_rms_error:.3f})" if best else ""
    return f"{timbre}: curve minima {', '.join(f'{m:.1f}' for m in minima)}; {fit}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timbres", nargs="+", default=list(TIMBRES), choices=list(TIMBRES))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--device", default="cpu")
    parser.add_argument(
        "--consonance",
        default=None,
        help="dissonance model of the energy's chord terms (e.g. composite); default: roughness",
    )
    parser.add_argument(
        "--temperature",
        type=float,
        default=None,
        help="training temperature (default: TrainConfig's)",
    )
    parser.add_argument(
        "--keep", type=Path, default=None, help="keep the run folders under this folder"
    )
    args = parser.parse_args(argv)

    root = (
        args.keep if args.keep is not None else Path(tempfile.mkdtemp(prefix="xentune-emergence-"))
    )
    root.mkdir(parents=True, exist_ok=True)
    energy = EnergyConfig(consonance_model=args.consonance)
    extra = {} if args.temperature is None else {"temperature": args.temperature}
    print(f"config: {TrainConfig(energy=energy, **extra)}", flush=True)
    for timbre in args.timbres:
        print(minima_line(timbre), flush=True)
    passed, total, start = 0, 0, time.perf_counter()
    for seed in args.seeds:  # every timbre once before the next seed: partial output covers all
        for timbre in args.timbres:
            name = f"{timbre.split(':')[0]}-{timbre.split('n=')[-1][:2] if 'edo' in timbre else ''}-seed{seed}"
            train = TrainConfig(timbre=timbre, seed=seed, energy=energy, **extra)
            config = RunConfig(train=train, device=args.device)
            result = generate_run(config, root / name.replace("--", "-"), force=True)
            fails = CHECKS[timbre](result)
            passed += not fails
            total += 1
            print(describe(timbre, seed, result, fails), flush=True)
    print(
        f"{passed}/{total} runs PASS in {time.perf_counter() - start:.0f} s; run folders in {root}"
    )
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
