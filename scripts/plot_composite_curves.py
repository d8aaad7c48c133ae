"""Must-show 2 of issue 18: dyad curves of the default model for harmonic, stretched and compressed tones.

Tones of 10 partials rolling off at 3 dB per octave (amplitude ``10^(-3 log2(k) / 20)``, as the
stimuli of Marjieh et al. 2024), partial k at ``k^log2(A)`` for pseudo-octaves A = 2 (harmonic),
2.1 (stretched) and 1.9 (compressed); lower note 261.63 Hz; intervals 0-1500 cents. Prints the
deepest minima of each curve and writes the plot.

Usage::

    python scripts/plot_composite_curves.py docs/composite-curves.png [--model composite]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402

from xentune.atomic import atomic_file  # noqa: E402
from xentune.commands.curve import DEFAULT_CURVE_MODEL  # noqa: E402
from xentune.psychoacoustics.curve import dissonance_curve, minima_of_curve  # noqa: E402
from xentune.timbre import Spectrum  # noqa: E402

PSEUDO_OCTAVES = {"harmonic (A = 2)": 2.0, "stretched (A = 2.1)": 2.1, "compressed (A = 1.9)": 1.9}
N_PARTIALS = 10
ROLLOFF_DB_PER_OCTAVE = 3.0
TOP_CENTS = 1500.0
#: Minima listed per timbre (the deepest, by prominence).
N_LISTED = 5


def tone(octave: float, label: str) -> Spectrum:
    """10 partials at ``k^log2(octave)``, amplitudes falling 3 dB per octave of partial number."""
    ks = range(1, N_PARTIALS + 1)
    return Spectrum(
        tuple(k ** math.log2(octave) for k in ks),
        tuple(10.0 ** (-ROLLOFF_DB_PER_OCTAVE * math.log2(k) / 20.0) for k in ks),
        name=label,
        pseudo_octave=octave,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--model", default=DEFAULT_CURVE_MODEL)
    args = parser.parse_args(argv)

    fig = Figure(figsize=(10, 5.2), dpi=100, layout="constrained")
    ax = fig.add_subplot()
    colours = ("#1f4e79", "#c0392b", "#2e8b57")
    for (label, octave), colour in zip(PSEUDO_OCTAVES.items(), colours, strict=True):
        spectrum = tone(octave, label)
        curve = dissonance_curve(
            spectrum, ratio_range=(1.0, 2.0 ** (TOP_CENTS / 1200)), model=args.model
        )
        minima = minima_of_curve(curve, spectrum)
        lo, span = float(curve.values.min()), float(curve.values.max() - curve.values.min())
        values = (curve.values - lo) / span  # 0..1 per timbre
        deepest = sorted(minima, key=lambda m: -m.depth)[:N_LISTED]
        pseudo = 1200 * math.log2(octave)
        away = curve.cents >= 50.0  # leave out the unison, where identical tones fuse
        lowest = curve.cents[away][curve.values[away].argmin()]
        print(
            f"{label}: pseudo-octave {pseudo:.1f} c; lowest point above 50 c: "
            f"{lowest:.1f} c; deepest minima (depth / span) "
            + ", ".join(f"{m.cents:.1f} ({m.depth / span:.2f})" for m in deepest)
        )
        ax.plot(curve.cents, values, color=colour, lw=1.3, label=label)
        ax.plot(
            [m.cents for m in deepest],
            [(m.value - lo) / span for m in deepest],
            "o",
            color=colour,
            ms=5,
        )
        ax.axvline(pseudo, color=colour, ls=":", lw=1.0)
    ax.set_xlim(0, TOP_CENTS)
    ax.set_xticks(range(0, int(TOP_CENTS) + 1, 100))
    ax.set_xlabel("interval (cents)")
    ax.set_ylabel(f"{args.model} dissonance, 0-1 per timbre")
    ax.set_title(
        f"Dyad curves ({args.model}; lower = more consonant) of 10-partial tones, 3 dB/octave\n"
        f"dots: the {N_LISTED} deepest minima; dotted lines: each timbre's pseudo-octave",
        fontsize=10,
    )
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", fontsize=9)
    with atomic_file(args.out, force=True) as tmp:
        fig.savefig(tmp, format="png")
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
