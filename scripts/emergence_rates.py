"""Emergence rates over many seeds per timbre, the trained generator beside its controls.

For each timbre and seed, runs the whole ``xentune generate`` pipeline (defaults apart from
``--timbre``, ``--seed`` and the options below) and reads the run's controls table: the trained
generator, the untrained generator and uniform random chords, each raw and refined, scored
alike (`xentune.generator.controls`). Prints one line per run and, per timbre, the rates:

- criteria met (`xentune.tuning.criteria`: harmonic 6/5 5/4 4/3 3/2 5/3 within 10 c and period
  1200 +- 5; stretched 2.1 period 1284 +- 10, 751 present, 702 absent; edo:n=N best EDO N);
- mean peakedness of the pooled interval density (nats) and the share of sounding intervals
  within 15 c of a curve minimum, against the random-chords-plus-refinement control;
- distinct chords, over the run's analysis draws (``--analysis-pieces``, 64 by default: the
  must-show's 64 pieces).

Seeds 0-9 are for tuning; report rates on seeds 10-19 (the default), which tuning never saw.

``--set NAME=VALUE`` changes one training setting from its default: a field of `TrainConfig`
(``--set temperature=0.15``) or of its `EnergyConfig` (``--set energy.repetition_weight=1``);
the README's tuning figures are this on seeds 0-9.

Usage::

    python scripts/emergence_rates.py                          # 4 timbres x seeds 10-19
    python scripts/emergence_rates.py --timbres harmonic --seeds 0 1 2 --keep runs/
    python scripts/emergence_rates.py --timbres harmonic --seeds 0 1 2 3 4 5 6 7 8 9 \
        --set energy.repetition_weight=1 --set max_jitter_cents=6

Exit status 0 when the trained generator's raw samples meet the criteria on every run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from xentune.errors import XentuneError
from xentune.generator.controls import SampleScore
from xentune.generator.energy import EnergyConfig
from xentune.generator.train import TrainConfig
from xentune.pipeline import RunConfig, generate_run

TIMBRES = (
    "harmonic",
    "stretched:octave=2.1",
    "edo:n=10,partials=7,rolloff=0.88",
    "edo:n=12,partials=7,rolloff=0.88",
)


def _row(rows: tuple[SampleScore, ...], source: str, stage: str) -> SampleScore | None:
    return next((r for r in rows if r.source == source and r.stage == stage), None)


def _line(timbre: str, seed: int, rows: tuple[SampleScore, ...], seconds: float) -> str:
    parts = [f"{timbre} seed {seed} ({seconds:.0f} s):"]
    for source in ("trained", "untrained", "random"):
        for stage in ("raw", "refined"):
            r = _row(rows, source, stage)
            if r is None:
                continue
            ok = "-" if r.passed is None else ("PASS" if r.passed else "fail")
            parts.append(
                f"{source}/{stage} {ok} {r.peakedness_nats:.2f}n {100 * r.near_minimum_fraction:.0f}%"
                f" P{r.period_cents:.0f}{'' if r.period_source == 'data' else '(' + r.period_source + ')'}"
            )
    trained = _row(rows, "trained", "raw")
    if trained is not None:
        parts.append(
            f"steps {[round(s) for s in trained.steps_cents]} distinct {trained.distinct_chord_fraction:.2f}"
        )
        if trained.criteria is not None and trained.criteria.failures:
            parts.append("fails: " + "; ".join(trained.criteria.failures))
    return "  ".join(parts)


def train_config(timbre: str, seed: int, sets: list[str]) -> TrainConfig:
    """The default `TrainConfig` of ``timbre`` and ``seed`` with each ``NAME=VALUE`` of ``sets``.

    A value is read as JSON (``1``, ``0.15``, ``true``), else kept as text.
    """
    top: dict[str, object] = {}
    energy: dict[str, object] = {}
    for item in sets:
        name, sep, text = item.partition("=")
        if not sep or not name:
            raise XentuneError(f"--set {item!r}: write NAME=VALUE (e.g. temperature=0.15)")
        try:
            value = json.loads(text)
        except json.JSONDecodeError:
            value = text
        if name.startswith("energy."):
            energy[name.removeprefix("energy.")] = value
        else:
            top[name] = value
    known = {f.name for f in dataclasses.fields(TrainConfig)} - {"timbre", "seed", "energy"}
    known_energy = {f.name for f in dataclasses.fields(EnergyConfig)}
    for name, names, prefix in ((top, known, ""), (energy, known_energy, "energy.")):
        for key in name:
            if key not in names:
                raise XentuneError(
                    f"--set {prefix}{key}: unknown setting; known: "
                    + ", ".join(prefix + k for k in sorted(names))
                )
    return TrainConfig(timbre=timbre, seed=seed, energy=EnergyConfig(**energy), **top)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timbres", nargs="+", default=list(TIMBRES))
    parser.add_argument("--seeds", nargs="+", type=int, default=list(range(10, 20)))
    parser.add_argument("--pieces", type=int, default=16)
    parser.add_argument("--analysis-pieces", type=int, default=None)
    parser.add_argument("--refine-steps", type=int, default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--keep", type=Path, default=None, help="keep the run folders here")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a training setting other than its default (energy.NAME for the energy's); repeatable",
    )
    args = parser.parse_args(argv)
    try:
        for timbre in args.timbres:
            train_config(timbre, args.seeds[0], args.set)
    except (XentuneError, TypeError) as e:
        print(f"emergence_rates: {e}", file=sys.stderr)
        return 2

    root = args.keep or Path(tempfile.mkdtemp(prefix="xentune-rates-"))
    root.mkdir(parents=True, exist_ok=True)
    print(f"settings: {train_config(args.timbres[0], args.seeds[0], args.set)}", flush=True)
    results: dict[str, list[tuple[tuple[SampleScore, ...], float]]] = {t: [] for t in args.timbres}
    start = time.perf_counter()
    for seed in args.seeds:  # every timbre once before the next seed: partial output covers all
        for timbre in args.timbres:
            extra = {} if args.refine_steps is None else {"refine_steps": args.refine_steps}
            if args.analysis_pieces is not None:
                extra["analysis_pieces"] = args.analysis_pieces
            config = RunConfig(
                train=train_config(timbre, seed, args.set),
                pieces=args.pieces,
                device=args.device,
                **extra,  # type: ignore[arg-type]
            )
            name = f"{timbre.replace(':', '-').replace(',', '-').replace('=', '')}-seed{seed}"
            result = generate_run(config, root / name, force=True)
            results[timbre].append((result.controls, result.elapsed_s))
            print(_line(timbre, seed, result.controls, result.elapsed_s), flush=True)

    print(f"\nrates over seeds {args.seeds} (draws per run: see each run's controls.json):")
    header = "  timbre / samples            criteria  peakedness  near minima  distinct  run s"
    print(header)
    all_pass = True
    for timbre, runs in results.items():
        for source in ("trained", "untrained", "random"):
            for stage in ("raw", "refined"):
                rows = [_row(controls, source, stage) for controls, _ in runs]
                rows_ok = [r for r in rows if r is not None]
                if not rows_ok:
                    continue
                passed = sum(bool(r.passed) for r in rows_ok)
                if (source, stage) == ("trained", "raw"):
                    all_pass &= passed == len(rows_ok)
                peak = statistics.mean(r.peakedness_nats for r in rows_ok)
                near = statistics.mean(r.near_minimum_fraction for r in rows_ok)
                distinct = statistics.mean(r.distinct_chord_fraction for r in rows_ok)
                secs = statistics.mean(s for _, s in runs)
                print(
                    f"  {timbre[:18]:18s} {source:9s} {stage:7s} {passed:3d}/{len(rows_ok):<3d} "
                    f"{peak:9.2f} n {100 * near:10.1f}% {distinct:9.2f} {secs:6.1f}"
                )
        chance = _row(runs[0][0], "trained", "raw")
        if chance is not None:
            print(
                f"  {timbre[:18]:18s} chance level near minima {100 * chance.chance_fraction:.1f}%"
            )
    print(f"{time.perf_counter() - start:.0f} s in all; run folders in {root}")
    return 0 if all_pass else 1


if __name__ == "__main__":
    sys.exit(main())
