"""The analysis of pieces: pool their intervals, find the emergent scale, analyse it (a score.json)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from xentune.errors import ScoreError
from xentune.report.analysis import _analyse, _thin
from xentune.report.model import (
    Analysis,
    Controls,
    Emergence,
    ExamplePiece,
    Piece,
    Training,
)
from xentune.score import Score, load_scores
from xentune.spectrum import Spectrum, spectrum_from_dict
from xentune.timbre import parse_timbre
from xentune.tuning.emergence import EmergentScale, emergent_scale

__all__ = ["analysis_for_score", "grid_offset"]


def _pieces_array(scores: list[Score], where: str) -> tuple[np.ndarray, list[str]]:
    """Stack the pieces' pitches as chords ``(S, V, T)``; unequal lengths are cut to the shortest."""
    notes: list[str] = []
    shapes = {s.cents.shape for s in scores}
    voices = {shape[0] for shape in shapes}
    if len(voices) != 1:
        raise ScoreError(
            f"{where}: pieces have different numbers of voices {sorted(voices)}; "
            "analyse pieces with the same voices together"
        )
    t = min(shape[1] for shape in shapes)
    if len(shapes) > 1:
        notes.append(
            f"Pieces have different lengths; the interval analysis uses their first {t} chords."
        )
    return np.stack([np.asarray(s.cents, dtype=float)[:, :t] for s in scores]), notes


def _piece_entries(scores: list[Score], run_dir: Path | None) -> tuple[Piece, ...]:
    out = []
    for i, s in enumerate(scores, start=1):
        name = f"piece-{i:02d}"

        def present(fname: str) -> str | None:
            return fname if run_dir is not None and (run_dir / fname).is_file() else None

        audio = present(f"{name}.wav") or present(f"{name}.flac")
        end = np.asarray(s.onset_s) + np.asarray(s.duration_s)
        out.append(
            Piece(
                index=i,
                name=name,
                audio=audio,
                midi=present(f"{name}.mid"),
                midi_mts=present(f"{name}-mts.mid"),
                midi_mpe=present(f"{name}-mpe.mid"),
                n_voices=int(s.cents.shape[0]),
                n_notes=int(s.cents.size),
                duration_s=float(end.max()) if end.size else 0.0,
                lowest_cents=float(np.min(s.cents)),
                highest_cents=float(np.max(s.cents)),
            )
        )
    return tuple(out)


def grid_offset(
    cents: np.ndarray, degrees_cents: np.ndarray, *, period_cents: float, width_cents: float = 10.0
) -> float:
    """The tonic in ``[0, period)`` (1-cent resolution) putting a piece's pitches nearest a scale grid.

    Generated pieces have no tonic of their own, so the pitch-time plot draws the grid where it
    fits best: the offset maximising ``sum exp(-d**2 / (2 w**2))`` over all notes, with ``d`` the
    circular distance of a note to its nearest grid line.

    Parameters
    ----------
    cents : np.ndarray, shape (N,)
        The piece's pitches in cents.
    degrees_cents : np.ndarray, shape (D,)
        The grid inside one period (0 included).
    period_cents : float
        The period.
    width_cents : float
        Tolerance ``w`` of the fit, in cents.
    """
    offsets = np.arange(0.0, period_cents, 1.0)  # (O,)
    rel = (
        cents[None, :, None] - offsets[:, None, None] - degrees_cents[None, None, :]
    ) % period_cents
    d = np.minimum(rel, period_cents - rel).min(axis=2)  # (O, N) cents to the nearest grid line
    score = np.exp(-0.5 * (d / width_cents) ** 2).sum(axis=1)  # (O,)
    return float(offsets[int(np.argmax(score))])


def _example(scores: list[Score], *, steps_cents: list[float], period_cents: float) -> ExamplePiece:
    s = scores[0]

    def rows(x: np.ndarray) -> tuple[tuple[float, ...], ...]:
        return tuple(tuple(float(v) for v in row) for row in np.asarray(x, dtype=float))

    offset = grid_offset(
        np.asarray(s.cents, dtype=float).ravel(),
        np.array([0.0, *steps_cents]),
        period_cents=period_cents,
    )
    return ExamplePiece(
        index=1,
        cents=rows(s.cents),
        onset_s=rows(s.onset_s),
        duration_s=rows(s.duration_s),
        grid_offset_cents=offset,
    )


def _score_spectrum(score: Score, where: str) -> Spectrum:
    if score.spectrum is not None:
        return spectrum_from_dict(score.spectrum, where=f"{where}: spectrum")
    return parse_timbre(score.timbre)


def _from_scores(
    scores: list[Score],
    *,
    kind: str,
    source: str,
    title: str,
    spectrum: Spectrum,
    run_dir: Path | None,
    training: Training | None,
    settings: dict[str, Any],
    versions: dict[str, str] | None,
    notes: list[str],
    samples: str = "score",
    analysed: list[Score] | None = None,
    controls: Controls | None = None,
    scale: EmergentScale | None = None,
) -> Analysis:
    pieces_cents, cut_notes = _pieces_array(analysed if analysed is not None else scores, source)
    notes = [*notes, *cut_notes]
    em = emergent_scale(pieces_cents, spectrum=spectrum) if scale is None else scale
    grid = np.asarray(em.grid_cents, dtype=float)
    dens = np.asarray(em.density, dtype=float)
    keep = _thin(grid.size)
    emergence = Emergence(
        n_pieces=int(pieces_cents.shape[0]),
        n_voices=int(pieces_cents.shape[1]),
        n_chords=int(pieces_cents.shape[2]),
        n_intervals=int(em.n_intervals),
        period_source=str(em.period_source),
        period_similarity=None if em.period_similarity is None else float(em.period_similarity),
        samples=samples,
        bandwidth_cents=float(em.bandwidth_cents),
        peakedness_nats=float(em.peakedness),
        grid_cents=tuple(float(x) for x in grid[keep]),
        density=tuple(float(x) for x in dens[keep]),
    )
    return _analyse(
        kind=kind,
        source=source,
        title=title,
        period_cents=float(em.period_cents),
        steps_cents=[float(c) for c in em.steps_cents],
        strengths=[float(x) for x in em.strengths],
        source_ratios=None,
        spectrum=spectrum,
        f0_hz=float(scores[0].reference_hz),
        emergence=emergence,
        training=training,
        pieces=_piece_entries(scores, run_dir),
        example_piece=_example(
            scores, steps_cents=list(em.steps_cents), period_cents=float(em.period_cents)
        ),
        settings=settings,
        versions=versions,
        notes=notes,
        controls=controls,
    )


def analysis_for_score(score_json_path: str | Path) -> Analysis:
    """Analyse the pieces of a ``score.json`` (no run: no training summary, no audio).

    Raises
    ------
    ScoreError
        The file is missing, corrupted or holds no pieces.
    """
    p = Path(score_json_path)
    scores = load_scores(p)
    if not scores:
        raise ScoreError(
            f"{p}: holds no pieces; analyse a score.json written by `xentune generate`"
        )
    spectrum = _score_spectrum(scores[0], str(p))
    return _from_scores(
        scores,
        kind="score",
        source=str(p),
        title=f"Score {p.name} ({spectrum.name})",
        spectrum=spectrum,
        run_dir=None,
        training=None,
        settings={
            "timbre": scores[0].timbre,
            "reference_hz": scores[0].reference_hz,
            "pieces": len(scores),
        },
        versions=None,
        notes=["No run: a score.json on its own has no training history and no audio."],
    )
