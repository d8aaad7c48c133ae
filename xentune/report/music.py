"""The report on the pieces as music: rhythm (inter-onset ratios beside a control), dynamics, the scale used."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from xentune.score import Score
from xentune.tuning.emergence import peakedness
from xentune.tuning.scale import Scale

__all__ = [
    "DEGREE_TOLERANCE_CENTS",
    "Music",
    "MusicPiece",
    "RATIO_TOLERANCE",
    "analyse_music",
    "ioi_ratios",
    "ratio_density",
    "small_integer_ratios",
]

#: A note is "on the scale" within this many cents of a degree.
DEGREE_TOLERANCE_CENTS = 5.0
#: A rhythm ratio ``I1 / (I1 + I2)`` is "near" a small-integer ratio within this distance.
RATIO_TOLERANCE = 0.02
#: Kernel width of the ratio density (ratio units) and its grid over (0, 1).
RATIO_BANDWIDTH = 0.01
_GRID = np.linspace(0.0, 1.0, 501)[1:-1]  # (G,) open interval (0, 1)


def small_integer_ratios(max_term: int = 3) -> tuple[float, ...]:
    """``a / (a + b)`` for coprime ``a, b <= max_term``: 1:1 -> 0.5, 1:2 -> 0.333, 2:1 -> 0.667 ...

    The rhythm ratios of Jacoby & McDermott (2017), as positions in their two-interval simplex.
    """
    out = {
        Fraction(a, a + b)
        for a in range(1, max_term + 1)
        for b in range(1, max_term + 1)
        if np.gcd(a, b) == 1
    }
    return tuple(float(f) for f in sorted(out))


def ioi_ratios(score: Score) -> np.ndarray:
    """``I1 / (I1 + I2)`` of every two successive inter-onset intervals within each voice, pooled.

    Silent padding notes are left out. Returns shape (R,), values in (0, 1).
    """
    out = []
    for v in range(score.n_voices):
        on = np.sort(score.onset_s[v][score.amplitude[v] > 0])  # (n,) s
        ioi = np.diff(on)
        ioi = ioi[ioi > 0]
        if ioi.size >= 2:
            out.append(ioi[:-1] / (ioi[:-1] + ioi[1:]))
    return np.concatenate(out) if out else np.zeros(0)


def _shuffled(score: Score, rng: np.random.Generator) -> np.ndarray:
    """The control: each voice's onsets placed uniformly at random over its span, then the ratios."""
    out = []
    for v in range(score.n_voices):
        on = score.onset_s[v][score.amplitude[v] > 0]
        if on.size < 3:
            continue
        fake = np.sort(rng.uniform(on.min(), on.max(), size=on.size))
        ioi = np.diff(fake)
        ioi = ioi[ioi > 0]
        out.append(ioi[:-1] / (ioi[:-1] + ioi[1:]))
    return np.concatenate(out) if out else np.zeros(0)


def ratio_density(ratios: np.ndarray) -> np.ndarray:
    """Gaussian kernel density of ratios on the (0, 1) grid, normalised to a mean of 1 (flat = 1)."""
    if ratios.size == 0:
        return np.ones_like(_GRID)
    z = (_GRID[:, None] - ratios[None, :]) / RATIO_BANDWIDTH  # (G, R)
    d = np.exp(-0.5 * z**2).sum(1)
    return d / d.mean()


def _near_fraction(ratios: np.ndarray) -> float:
    if ratios.size == 0:
        return 0.0
    targets = np.array(small_integer_ratios())
    return float(np.mean(np.min(np.abs(ratios[:, None] - targets[None, :]), 1) <= RATIO_TOLERANCE))


@dataclass(frozen=True)
class MusicPiece:
    """One composed piece as music."""

    index: int
    roll: str  # piano-roll plot, relative to the report
    duration_s: float
    n_notes: int
    distinct_durations: int  # to 1 ms
    distinct_amplitudes: int  # to 0.01
    all_voices_onset_fraction: float  # share of onset times where every voice starts a note
    tempo_bpm: float | None
    on_scale_fraction: float  # notes within DEGREE_TOLERANCE_CENTS of a degree of scale.scl
    drift_cents: float  # mean offset from the degrees, last quarter minus first quarter


@dataclass(frozen=True)
class Music:
    """The pieces as music: form, rhythm emergence beside a control, scale use, dynamics."""

    scale_mode: str  # "fixed" (notes on scale.scl) or "adaptive" (free continuous pitch)
    length_s: float | None  # asked length of each piece
    form: str  # phrase form of a section, e.g. "AABA"
    degree_tolerance_cents: float
    on_scale_fraction: float  # all notes pooled
    mean_abs_drift_cents: float
    n_ratios: int
    ratio_grid: tuple[float, ...]  # (G,) I1 / (I1 + I2)
    ratio_density: tuple[float, ...]  # (G,) kernel density, flat = 1
    control_density: tuple[float, ...]  # (G,) the same for shuffled onsets
    ratio_peakedness_nats: float  # KL from flat, as the interval density's
    control_peakedness_nats: float
    near_integer_fraction: float  # ratios within RATIO_TOLERANCE of small_integer_ratios()
    control_near_integer_fraction: float
    ratio_tolerance: float
    small_integer_ratios: tuple[float, ...]
    pieces: tuple[MusicPiece, ...]
    verdict: str


def _offsets(cents: np.ndarray, scale: Scale) -> np.ndarray:
    """Signed distance of each pitch from the nearest degree (1/1 at 0 cents), cents."""
    period = float(scale.period_cents)
    degrees = np.array([*scale.pitches_cents.tolist(), period])
    rel = np.mod(cents, period)
    d = rel[:, None] - degrees[None, :]
    return d[np.arange(d.shape[0]), np.argmin(np.abs(d), 1)]


def _drift(score: Score, scale: Scale) -> float:
    """Mean offset from the degrees over the last quarter of the piece minus the first, cents."""
    keep = score.amplitude > 0
    on, c = score.onset_s[keep], score.cents[keep]
    if on.size < 8:
        return 0.0
    off = _offsets(c, scale)
    q1, q3 = np.quantile(on, [0.25, 0.75])
    return float(off[on >= q3].mean() - off[on <= q1].mean())


def _piece(i: int, score: Score, scale: Scale) -> MusicPiece:
    keep = score.amplitude > 0
    onsets = [set(np.round(score.onset_s[v][keep[v]], 3).tolist()) for v in range(score.n_voices)]
    union = set().union(*onsets)
    shared = set.intersection(*onsets) if onsets else set()
    off = _offsets(score.cents[keep], scale)
    return MusicPiece(
        index=i,
        roll=f"plots/piece-{i:02d}-roll.png",
        duration_s=score.end_s,
        n_notes=int(keep.sum()),
        distinct_durations=len(set(np.round(score.duration_s[keep], 3).tolist())),
        distinct_amplitudes=len(set(np.round(score.amplitude[keep], 2).tolist())),
        all_voices_onset_fraction=len(shared) / max(len(union), 1),
        tempo_bpm=score.tempo_bpm,
        on_scale_fraction=float(np.mean(np.abs(off) <= DEGREE_TOLERANCE_CENTS))
        if off.size
        else 0.0,
        drift_cents=_drift(score, scale),
    )


def analyse_music(
    scores: list[Score],
    *,
    scale: Scale,
    scale_mode: str,
    length_s: float | None,
    form: str,
) -> Music:
    """Measure the composed pieces: rhythm ratios beside shuffled onsets, scale use, drift.

    Parameters
    ----------
    scores : list of Score
        The composed pieces (score.json).
    scale : Scale
        The run's scale.scl (1/1 at each piece's reference frequency, as scale.kbm maps it).
    """
    rng = np.random.default_rng(0)
    ratios = np.concatenate([ioi_ratios(s) for s in scores]) if scores else np.zeros(0)
    control = np.concatenate([_shuffled(s, rng) for s in scores]) if scores else np.zeros(0)
    dens, cdens = ratio_density(ratios), ratio_density(control)
    # Peakedness as the interval density's: KL of the density (per cell) from flat, in nats.
    pk = peakedness(dens / dens.sum(), period_cents=float(dens.size))
    cpk = peakedness(cdens / cdens.sum(), period_cents=float(cdens.size))
    pieces = tuple(_piece(i, s, scale) for i, s in enumerate(scores, start=1))
    n_notes = sum(p.n_notes for p in pieces)
    on_scale = sum(p.on_scale_fraction * p.n_notes for p in pieces) / max(n_notes, 1)
    near, cnear = _near_fraction(ratios), _near_fraction(control)
    verdict = (
        f"Rhythm: {ratios.size} inter-onset ratios pooled; {100 * near:.0f}% lie within "
        f"{RATIO_TOLERANCE} of a small-integer ratio (shuffled onsets: {100 * cnear:.0f}%), "
        f"peakedness {pk:.2f} nats (shuffled onsets: {cpk:.2f}). Pitch: {scale_mode} scale, "
        f"{100 * on_scale:.1f}% of notes within {DEGREE_TOLERANCE_CENTS:g} c of a degree of scale.scl."
    )
    return Music(
        scale_mode=scale_mode,
        length_s=length_s,
        form=form,
        degree_tolerance_cents=DEGREE_TOLERANCE_CENTS,
        on_scale_fraction=float(on_scale),
        mean_abs_drift_cents=float(np.mean([abs(p.drift_cents) for p in pieces]))
        if pieces
        else 0.0,
        n_ratios=int(ratios.size),
        ratio_grid=tuple(float(x) for x in _GRID[::2]),
        ratio_density=tuple(float(x) for x in dens[::2]),
        control_density=tuple(float(x) for x in cdens[::2]),
        ratio_peakedness_nats=float(pk),
        control_peakedness_nats=float(cpk),
        near_integer_fraction=near,
        control_near_integer_fraction=cnear,
        ratio_tolerance=RATIO_TOLERANCE,
        small_integer_ratios=small_integer_ratios(),
        pieces=pieces,
        verdict=verdict,
    )
