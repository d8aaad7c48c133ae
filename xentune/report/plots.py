"""The report's figures (matplotlib, no pyplot state): each one drawn from an `Analysis` alone."""

from __future__ import annotations

import io
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from xentune.atomic import write_bytes_atomic
from xentune.report.model import Analysis
from xentune.report.music_plots import ioi_figure

__all__ = [
    "PLOTS",
    "curve_figure",
    "density_figure",
    "edo_figure",
    "figure_png",
    "partials_figure",
    "piece_figure",
    "training_figure",
    "write_plots",
]

_DPI = 110
_STEP_COLOR = "#d95f02"  # emergent steps / scale degrees
_MIN_COLOR = "#1b9e77"  # curve minima
_JUST_COLOR = "#555555"  # just-ratio reference lines
_EDO_COLOR = "#7570b3"  # EDO steps


def _figure(width: float = 9.0, height: float = 4.2) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(width, height), dpi=_DPI, layout="constrained")
    return fig, fig.add_subplot()


def _degree_word(a: Analysis) -> str:
    return "emergent step" if a.kind in ("run", "score") else "scale degree"


def _top_ratio_axis(ax: Axes, a: Analysis, *, x_max: float) -> None:
    """Label the classic just ratios on a top axis, so a reader sees where 3/2 is."""
    top = ax.secondary_xaxis("top")
    ticks = [(lm.cents, lm.ratio) for lm in a.landmarks if lm.cents <= x_max]
    top.set_xticks([c for c, _ in ticks], labels=[r for _, r in ticks], fontsize=8)
    top.set_xlabel("just ratios", fontsize=8, color=_JUST_COLOR)
    for c, _ in ticks:
        ax.axvline(c, color=_JUST_COLOR, lw=0.6, ls=":", zorder=0)


def curve_figure(a: Analysis) -> Figure | None:
    """The timbre's dyad dissonance curve, its minima (dots) and the scale's degrees (dashed)."""
    if a.curve is None:
        return None
    c = a.curve
    fig, ax = _figure()
    x = np.asarray(c.cents)
    ax.plot(
        x,
        c.values,
        color="black",
        lw=1.3,
        label=f"dissonance curve ({c.model}, f0 {c.f0_hz:.1f} Hz)",
    )
    if c.minima:
        ax.plot(
            [m.cents for m in c.minima],
            [m.value for m in c.minima],
            "o",
            color=_MIN_COLOR,
            ms=6,
            label="curve minima",
            zorder=3,
        )
        for m in c.minima:
            ax.annotate(
                f"{m.cents:.0f}",
                (m.cents, m.value),
                textcoords="offset points",
                xytext=(0, -13),
                ha="center",
                fontsize=7,
                color=_MIN_COLOR,
            )
    for i, s in enumerate(a.steps):
        ax.axvline(
            s.cents,
            color=_STEP_COLOR,
            lw=1.1,
            ls="-" if s.is_period else "--",
            label=("period" if s.is_period else f"{_degree_word(a)}s" if i == 0 else None),
        )
    _top_ratio_axis(ax, a, x_max=float(x.max()))
    ax.set_xlim(float(x.min()), float(x.max()))
    top = float(np.max(c.values))
    ax.set_ylim(-0.08 * top, 1.05 * top)  # room below the minima for their labels
    ax.set_xlabel("interval above the lower note (cents)")
    ax.set_ylabel("roughness of the dyad (model units)")
    ax.set_title(f"Dissonance curve of {a.timbre.name if a.timbre else 'the timbre'}", fontsize=11)
    fig.legend(loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    ax.grid(alpha=0.2)
    return fig


def density_figure(a: Analysis) -> Figure:
    """Pooled-interval density over one period with just ratios and the best EDO as references.

    For a scale file (no pieces) the degrees are drawn as stems instead of a density.
    """
    fig, ax = _figure()
    period = a.period.cents
    best = a.edo.best[0] if a.edo.best else None
    if a.emergence is not None:
        g = np.asarray(a.emergence.grid_cents)
        d = np.asarray(a.emergence.density)
        ax.fill_between(g, d, color="#a6cee3", alpha=0.6, lw=0)
        ax.plot(
            g,
            d,
            color="#1f78b4",
            lw=1.2,
            label=f"interval density ({a.emergence.n_intervals} intervals)",
        )
        heights = np.interp([s.cents for s in a.scale_steps], g, d, period=period)
        ax.plot(
            [s.cents for s in a.scale_steps],
            heights,
            "v",
            color=_STEP_COLOR,
            ms=8,
            label="emergent steps (density peaks)",
            zorder=3,
        )
        for s, h in zip(a.scale_steps, heights, strict=True):
            ax.annotate(
                f"{s.cents:.0f}",
                (s.cents, h),
                textcoords="offset points",
                xytext=(0, 8),
                ha="center",
                fontsize=8,
                color=_STEP_COLOR,
            )
        ax.set_ylabel("density (1/cent)")
        ax.set_ylim(0, float(d.max()) * 1.15)
        ax.set_title(
            f"Intervals of the pieces, folded into one period ({period:.1f} cents)", fontsize=11
        )
    else:
        xs = [s.cents for s in a.scale_steps]
        ax.vlines(xs, 0, 1, color=_STEP_COLOR, lw=2.0, label="scale degrees")
        for s in a.scale_steps:
            name = s.source_ratio or f"{s.cents:.1f}"
            ax.annotate(
                name,
                (s.cents, 1),
                textcoords="offset points",
                xytext=(0, 4),
                ha="center",
                fontsize=8,
            )
        ax.set_ylim(0, 1.15)
        ax.set_yticks([])
        ax.set_ylabel("degree (no pieces: no density)")
        ax.set_title(f"Degrees of the scale within one period ({period:.1f} cents)", fontsize=11)
    if best is not None:
        edo_x = np.arange(1, best.n) * best.step_cents
        ax.vlines(
            edo_x,
            0,
            0.06,
            transform=ax.get_xaxis_transform(),
            color=_EDO_COLOR,
            lw=1.5,
            label=f"best EDO: {best.n} steps of {best.step_cents:.1f} c",
        )
    _top_ratio_axis(ax, a, x_max=period)
    ax.plot([], [], color=_JUST_COLOR, lw=0.8, ls=":", label="just ratios")
    ax.set_xlim(0, period)
    ax.set_xlabel("interval modulo the period (cents)")
    fig.legend(loc="outside lower center", ncol=4, fontsize=8, frameon=False)
    ax.grid(alpha=0.2, axis="x")
    return fig


def edo_figure(a: Analysis) -> Figure | None:
    """RMS error of n equal divisions of the period, relative to the step size, against n."""
    if not a.edo.n:
        return None
    fig, ax = _figure(9.0, 3.8)
    n = np.asarray(a.edo.n)
    rel = np.asarray(a.edo.relative_rms_error)
    ax.plot(n, rel, "-o", color="#444444", ms=3, lw=1, label="relative RMS error")
    ax.axhline(1 / math.sqrt(12), color="#bbbbbb", ls="--", lw=1, label="random degrees (1/√12)")
    for rank, e in enumerate(a.edo.best):
        ax.plot(
            [e.n], [e.relative_rms_error], "o", color=_EDO_COLOR, ms=8 if rank == 0 else 6, zorder=3
        )
        ax.annotate(
            f"{e.n}",
            (e.n, e.relative_rms_error),
            textcoords="offset points",
            xytext=(0, -14),
            ha="center",
            fontsize=9 if rank == 0 else 8,
            color=_EDO_COLOR,
            weight="bold" if rank == 0 else "normal",
        )
    ax.plot([], [], "o", color=_EDO_COLOR, label=f"best {len(a.edo.best)}")
    ax.set_xlabel(f"n (equal divisions of the {a.period.cents:.1f}-cent period)")
    ax.set_ylabel("relative error (RMS error / step size)")
    ax.set_ylim(bottom=-0.04, top=max(0.55, float(rel.max()) * 1.05) if rel.size else 0.55)
    ax.set_xlim(a.edo.n_min - 1, a.edo.n_max + 1)
    ax.set_title("How well equal divisions fit the degrees (lower is better)", fontsize=11)
    ax.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.2)
    return fig


def training_figure(a: Analysis) -> Figure | None:
    """Mean energy and entropy of the generator's samples during training (and T when it varies)."""
    t = a.training
    if t is None:
        return None
    panels = [
        ("energy", t.energy, "energy (dimensionless)", "mean energy of the samples", "#d95f02")
    ]
    if len(t.entropy) == len(t.step) and t.entropy:
        panels.append(("entropy", t.entropy, "entropy (nats)", "entropy estimate", "#1b9e77"))
    if (
        len(t.temperature) == len(t.step)
        and t.temperature
        and max(t.temperature) > min(t.temperature)
    ):
        panels.append(
            ("temperature", t.temperature, "temperature T (energy units)", "temperature", "#7570b3")
        )
    fig = Figure(figsize=(9.0, 1.2 + 1.8 * len(panels)), dpi=_DPI, layout="constrained")
    axes = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (_, values, ylabel, label, color) in zip(axes, panels, strict=True):
        ax.plot(t.step, values, color=color, lw=1.2, label=label)
        ax.set_ylabel(ylabel)
        ax.legend(loc="upper right", fontsize=8)
        ax.grid(alpha=0.2)
    axes[0].set_title("Training: mean energy and entropy of the generator's samples", fontsize=11)
    axes[-1].set_xlabel("training step (optimizer updates)")
    return fig


def piece_figure(a: Analysis) -> Figure | None:
    """One piece on a cents axis, each voice a colour, the scale's degrees as a horizontal grid.

    The grid's tonic is the one that fits the piece best (``ExamplePiece.grid_offset_cents``):
    generated pieces have no tonic of their own.
    """
    p = a.example_piece
    if p is None:
        return None
    fig, ax = _figure(9.0, 4.8)
    cents = np.asarray(p.cents)
    onset = np.asarray(p.onset_s)
    dur = np.asarray(p.duration_s)
    lo, hi = float(cents.min()) - 60, float(cents.max()) + 60
    period = a.period.cents
    degrees = [0.0, *[s.cents for s in a.scale_steps]]
    tonic = p.grid_offset_cents
    for k in range(math.floor((lo - tonic) / period) - 1, math.ceil((hi - tonic) / period) + 2):
        for j, d in enumerate(degrees):
            y = tonic + k * period + d
            if lo <= y <= hi:
                is_tonic = j == 0
                ax.axhline(
                    y,
                    color=_STEP_COLOR if is_tonic else "#bbbbbb",
                    lw=1.0 if is_tonic else 0.7,
                    zorder=0,
                )
    ax.plot([], [], color="#bbbbbb", lw=0.8, label=f"{_degree_word(a)}s")
    ax.plot([], [], color=_STEP_COLOR, lw=1.0, label=f"tonic {tonic:.0f} c + k × {period:.1f} c")
    for v in range(cents.shape[0]):
        ax.hlines(
            cents[v],
            onset[v],
            onset[v] + 0.92 * dur[v],
            color=f"C{v % 10}",
            lw=3,
            label=f"voice {v + 1}",
        )
    ax.set_ylim(lo, hi)
    ax.set_xlim(0, float((onset + dur).max()))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("pitch (cents above the reference)")
    ax.set_title(
        f"Piece {p.index}: pitches against the scale grid (grid placed where it fits best)",
        fontsize=11,
    )
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


def partials_figure(a: Analysis) -> Figure | None:
    """The timbre's partials: amplitude against frequency ratio, harmonics as faint references."""
    if a.timbre is None:
        return None
    t = a.timbre
    fig, ax = _figure(9.0, 3.4)
    r = np.asarray(t.ratios)
    amp = np.asarray(t.amplitudes)
    for k in range(1, int(math.ceil(r.max())) + 1):
        ax.axvline(k, color="#dddddd", lw=0.8, zorder=0)
    ax.plot([], [], color="#dddddd", lw=0.8, label="harmonic positions 1, 2, 3, ...")
    ax.vlines(r, 0, amp, color="#1f78b4", lw=2.5, label="partials")
    ax.plot(r, amp, "o", color="#1f78b4", ms=5)
    for x, y in zip(r, amp, strict=True):
        ax.annotate(
            f"{x:.3g}", (x, y), textcoords="offset points", xytext=(0, 5), ha="center", fontsize=8
        )
    ax.set_xlim(0, float(r.max()) + 0.7)
    ax.set_ylim(0, float(amp.max()) * 1.25)
    ax.set_xlabel("partial frequency (ratio to the fundamental)")
    ax.set_ylabel("amplitude (linear)")
    ax.set_title(f"Partials of {t.name}", fontsize=11)
    ax.legend(loc="upper right", fontsize=8)
    return fig


#: Plot file stem -> (caption, figure function); the figure function returns None when the analysis
#: lacks its data (no timbre, no training, no pieces).
PLOTS: dict[str, tuple[str, Callable[[Analysis], Figure | None]]] = {
    "curve": ("Dissonance curve with its minima and the scale's degrees", curve_figure),
    "density": ("Pooled-interval density over one period", density_figure),
    "edo": ("EDO fit error against n", edo_figure),
    "training": ("Training curve", training_figure),
    "piece": ("One piece on a cents axis with the scale as a grid", piece_figure),
    "partials": ("The timbre's partials", partials_figure),
    "ioi": ("Inter-onset-interval ratios beside shuffled onsets", ioi_figure),
}


def figure_png(fig: Figure) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI)
    return buf.getvalue()


def write_plots(a: Analysis, plots_dir: Path, *, force: bool = False) -> dict[str, Path]:
    """Draw every figure the analysis has data for into ``plots_dir/<name>.png``.

    Returns
    -------
    dict
        Plot stem -> written path, in `PLOTS` order (missing figures left out).
    """
    plots_dir.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    for name, (_, make) in PLOTS.items():
        fig = make(a)
        if fig is None:
            continue
        out[name] = write_bytes_atomic(plots_dir / f"{name}.png", figure_png(fig), force=force)
    return out
