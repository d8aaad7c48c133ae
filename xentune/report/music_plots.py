"""The music figures: inter-onset ratio density beside its control, and a piano roll per piece."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure

from xentune.report.model import Analysis
from xentune.score import Score

__all__ = ["ioi_figure", "roll_figure", "roll_pngs"]

_DPI = 110
_VOICE_COLORS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02", "#a6761d")


def ioi_figure(a: Analysis) -> Figure | None:
    """Density of the pooled ratios ``I1 / (I1 + I2)`` beside shuffled onsets, small-integer ratios marked."""
    m = a.music
    if m is None:
        return None
    fig = Figure(figsize=(9.0, 3.8))
    ax = fig.subplots()
    ax.plot(m.ratio_grid, m.ratio_density, color="#d95f02", lw=1.4,
            label=f"pieces ({m.ratio_peakedness_nats:.2f} nats)")  # fmt: skip
    ax.plot(m.ratio_grid, m.control_density, color="#777777", lw=1.0, ls="--",
            label=f"shuffled onsets ({m.control_peakedness_nats:.2f} nats)")  # fmt: skip
    for r in m.small_integer_ratios:
        ax.axvline(r, color="#1b9e77", lw=0.6, alpha=0.6)
        ax.text(r, 1.0, f"{r:.2f}", transform=ax.get_xaxis_transform(), ha="center",
                va="bottom", fontsize=7, color="#1b9e77")  # fmt: skip
    ax.set_xlim(0, 1)
    ax.set_title(
        f"Rhythm: {m.n_ratios} successive inter-onset ratios, {100 * m.near_integer_fraction:.0f}% "
        f"within {m.ratio_tolerance} of a small-integer ratio (shuffled onsets "
        f"{100 * m.control_near_integer_fraction:.0f}%)",
        fontsize=9,
    )
    ax.set_xlabel("I1 / (I1 + I2) of successive inter-onset intervals (0.5 = 1:1, 0.33 = 1:2)")
    ax.set_ylabel("density (flat = 1)")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    return fig


def roll_figure(score: Score, *, title: str, period_cents: float | None = None) -> Figure:
    """A piano roll: time across, continuous pitch (cents) up, a bar per note, loudness as opacity.

    Each voice has its colour; a note's bar is as opaque as its amplitude is loud (silent
    padding notes are left out). Faint horizontal lines mark the periods above the reference.
    """
    fig = Figure(figsize=(10.0, 3.6))
    ax = fig.subplots()
    keep = (score.amplitude > 0) & (score.duration_s > 0)
    lo, hi = np.inf, -np.inf
    for v in range(score.n_voices):
        k = keep[v]
        on, dur, c, amp = (score.onset_s[v][k], score.duration_s[v][k], score.cents[v][k],
                           score.amplitude[v][k])  # fmt: skip
        if not on.size:
            continue
        segs = np.stack([np.stack([on, c], 1), np.stack([on + dur, c], 1)], 1)  # (n, 2, 2)
        rgba = np.zeros((on.size, 4))
        col = _VOICE_COLORS[v % len(_VOICE_COLORS)]
        rgba[:, :3] = [int(col[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        rgba[:, 3] = np.clip(0.15 + 0.85 * amp / max(float(amp.max()), 1e-9), 0, 1)
        ax.add_collection(LineCollection(segs, colors=rgba, linewidths=4.0, capstyle="butt"))
        lo, hi = min(lo, float(c.min())), max(hi, float(c.max()))
    if np.isfinite(lo):
        ax.set_ylim(lo - 100, hi + 100)
        if period_cents:
            for k in range(int(np.floor(lo / period_cents)), int(np.ceil(hi / period_cents)) + 1):
                ax.axhline(k * period_cents, color="#bbbbbb", lw=0.5, zorder=0)
    ax.set_xlim(0, max(score.end_s, 1e-3))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("pitch (cents above the reference)")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def roll_pngs(scores: list[Score], *, period_cents: float | None = None) -> dict[str, bytes]:
    """``piece-XX-roll`` -> PNG bytes for every piece."""
    out = {}
    for i, s in enumerate(scores, start=1):
        fig = roll_figure(
            s,
            title=f"piece {i:02d}: {s.n_voices} voices, {s.end_s:.1f} s; opacity = loudness",
            period_cents=period_cents,
        )
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=_DPI)
        out[f"piece-{i:02d}-roll"] = buf.getvalue()
    return out
