"""No collapse, measured strictly: the share of distinct chords in many raw pieces of trained runs.

For each run folder (or ``model.pt``), loads the trained generator (weights only), draws
``--pieces`` raw pieces with the run's own seed (no refinement) and prints the share of distinct
chords among all of them (`xentune.generator.controls.distinct_chord_fraction`: two chords are
the same when every voice, sorted, is within ``--tolerance`` cents, 15 by default; 1 = no chord
repeats). The README's "No collapse" figures are this over a sweep's runs::

    python scripts/distinct_chords.py xentune-sweep/runs/* --pieces 64
    python scripts/distinct_chords.py xentune-sweep/runs/* --tolerance 25   # stricter

Exit status 0; a folder without a readable ``model.pt`` is one line on stderr and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from xentune.errors import XentuneError
from xentune.generator.controls import DISTINCT_CHORD_CENTS, distinct_chord_fraction
from xentune.generator.sample import sample_pieces
from xentune.generator.train import load_trained


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", nargs="+", type=Path, help="run folders or model.pt files")
    parser.add_argument("--pieces", type=int, default=64, help="raw pieces per run (64)")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=DISTINCT_CHORD_CENTS,
        help=f"cents within which two chords are the same, voice by voice ({DISTINCT_CHORD_CENTS:g})",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.pieces <= 4096:
        print(f"distinct_chords: --pieces {args.pieces}: must be 1..4096", file=sys.stderr)
        return 2
    if not 0.0 <= args.tolerance <= 1200.0:  # also refuses nan
        print(
            f"distinct_chords: --tolerance {args.tolerance}: must be 0..1200 cents (e.g. 15)",
            file=sys.stderr,
        )
        return 2
    torch.set_num_threads(1)
    for run in args.runs:
        path = run / "model.pt" if run.is_dir() else run
        try:
            trained = load_trained(path)
        except (XentuneError, OSError) as e:
            print(f"distinct_chords: {e}", file=sys.stderr)
            return 2
        x = sample_pieces(trained.model, n_pieces=args.pieces, seed=trained.config.seed)
        share = distinct_chord_fraction(x.detach().cpu().numpy(), tolerance_cents=args.tolerance)
        print(
            f"{run}\t{trained.config.timbre}\tseed {trained.config.seed}\t{share:.3f}", flush=True
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
