"""Analyses of a score.json and of a run folder: read their files, pool the pieces, analyse."""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from xentune.errors import ConfigError, ScoreError
from xentune.report.analysis import _analyse, _finite, _thin
from xentune.report.model import (
    Analysis,
    ControlRow,
    Controls,
    Emergence,
    ExamplePiece,
    Piece,
    Training,
    _from_dict,
    _read_json,
)
from xentune.report.use_scale import use_scale_for_run
from xentune.safe_read import finite_number
from xentune.score import Score, load_scores
from xentune.spectrum import Spectrum, spectrum_from_dict
from xentune.timbre import parse_timbre
from xentune.tuning.emergence import emergent_scale

__all__ = ["analysis_for_run", "analysis_for_score", "grid_offset"]


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
) -> Analysis:
    pieces_cents, cut_notes = _pieces_array(analysed if analysed is not None else scores, source)
    notes = [*notes, *cut_notes]
    em = emergent_scale(pieces_cents, spectrum=spectrum)
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


def _numbers(
    data: dict[str, Any], key: str, path: Path, *, default: list[int] | None = None
) -> np.ndarray:
    """``data[key]`` as a float64 array, each entry a finite number (`finite_number`)."""
    values = data.get(key) or (default if default is not None else [])
    if not isinstance(values, list):
        raise ConfigError(f"{path}: '{key}' must be a list of numbers; regenerate the run")
    return np.asarray(
        [finite_number(v, field=f"{path}: {key}[{k}]") for k, v in enumerate(values)],
        dtype=float,
    )


def _training(path: Path, elapsed_s: float | None) -> Training:
    data = _read_json(path, what="training.json")
    if not isinstance(data, dict) or not isinstance(data.get("energy"), list) or not data["energy"]:
        raise ConfigError(f"{path}: needs a non-empty 'energy' list (the training history)")
    energy = _numbers(data, "energy", path)
    steps = _numbers(data, "step", path, default=list(range(1, energy.size + 1)))
    entropy = _numbers(data, "entropy", path)
    loss = _numbers(data, "loss", path)
    temperature = _numbers(data, "temperature", path)
    if (
        steps.size != energy.size
        or entropy.size not in (0, energy.size)
        or temperature.size not in (0, energy.size)
    ):
        raise ConfigError(
            f"{path}: 'step' ({steps.size}), 'energy' ({energy.size}) and 'entropy' ({entropy.size}) "
            "must have the same length"
        )
    if not all(np.isfinite(x).all() for x in (energy, entropy, steps, temperature)):
        raise ConfigError(
            f"{path}: the training history holds NaN or infinite values (a diverged run?)"
        )
    keep = _thin(energy.size)
    return Training(
        n_steps=int(steps[-1]),
        initial_energy=float(energy[0]),
        final_energy=float(energy[-1]),
        min_energy=float(energy.min()),
        final_entropy=float(entropy[-1]) if entropy.size else None,
        final_loss=_finite(loss[-1]) if loss.size else None,
        elapsed_s=None if elapsed_s is None else float(elapsed_s),
        step=tuple(int(s) for s in steps[keep]),
        energy=tuple(float(e) for e in energy[keep]),
        entropy=tuple(float(e) for e in entropy[keep]) if entropy.size else (),
        temperature=tuple(float(t) for t in temperature[keep]) if temperature.size else (),
    )


def _flat_settings(config: dict[str, Any]) -> dict[str, Any]:
    """The run's settings as flat ``key -> scalar`` pairs (nested dicts joined with dots)."""
    out: dict[str, Any] = {}
    skip = {"format", "version", "spectrum", "versions"}

    def walk(prefix: str, d: dict[str, Any]) -> None:
        for k, v in d.items():
            if not prefix and k in skip:
                continue
            key = f"{prefix}{k}"
            if isinstance(v, dict):
                walk(key + ".", v)
            elif isinstance(v, (str, int, float, bool)) or v is None:
                out[key] = v if not (isinstance(v, float) and not math.isfinite(v)) else None
            else:
                out[key] = json.dumps(v)

    walk("", config)
    return out


#: The temp folder name `xentune.atomic.atomic_dir` builds a run under: a dot, the final name,
#: a random suffix from `tempfile.mkdtemp`, then ``.tmp`` (e.g. ``.xentune-run.1173loak.tmp``).
_ATOMIC_TMP = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]+\.tmp$")


def _final_path(d: Path) -> Path:
    """The run folder's final path: ``xentune generate`` reports a run before renaming it into place."""
    d = d.resolve()
    m = _ATOMIC_TMP.match(d.name)
    return d.with_name(m.group("name")) if m else d


def _pct(x: float) -> str:
    return f"{100.0 * x:.0f}%"


def _controls_verdict(rows: tuple[ControlRow, ...]) -> str:
    """How far the trained generator's samples are beyond its controls, raw and refined, in words."""
    by = {(r.source, r.stage): r for r in rows}
    parts = []
    for stage in ("raw", "refined"):
        t = by.get(("trained", stage))
        if t is None:
            continue
        u, rnd = by.get(("untrained", stage)), by.get(("random", stage))
        others = [
            (name, c) for name, c in (("untrained generator", u), ("random chords", rnd)) if c
        ]
        peak = ", ".join(f"{name} {c.peakedness_nats:.2f}" for name, c in others)
        near = ", ".join(f"{name} {_pct(c.near_minimum_fraction)}" for name, c in others)

        def passed(c: ControlRow) -> str:
            return "-" if c.criteria_passed is None else ("pass" if c.criteria_passed else "fail")

        crit = ", ".join(f"{name} {passed(c)}" for name, c in others)
        margin = t.near_minimum_fraction - max(
            (c.near_minimum_fraction for _, c in others), default=0.0
        )
        parts.append(
            f"{stage.capitalize()} samples of the trained generator: peakedness "
            f"{t.peakedness_nats:.2f} nats ({peak}); {_pct(t.near_minimum_fraction)} of sounding "
            f"intervals near a curve minimum ({near}; chance {_pct(t.chance_fraction)}), "
            f"{100.0 * margin:+.0f} points over the best control; criteria {passed(t)} ({crit})."
        )
    return " ".join(parts)


def _controls(path: Path) -> Controls | None:
    """The controls table a run wrote (``controls.json``), or ``None`` for a run without one."""
    if not path.is_file():
        return None
    data = _read_json(path, what="controls.json")
    try:
        rows = tuple(_from_dict(ControlRow, row) for row in data["rows"])
        gen = data.get("generator_scale")
        return Controls(
            pieces=int(data["pieces"]),
            refine_steps=int(data["refine_steps"]),
            near_minimum_cents=float(data["near_minimum_cents"]),
            rows=rows,
            verdict=_controls_verdict(rows),
            generator_period_cents=None if gen is None else float(gen["period_cents"]),
            generator_classes_cents=() if gen is None else tuple(map(float, gen["classes_cents"])),
            generator_class_usage=() if gen is None else tuple(map(float, gen["usage"])),
        )
    except (KeyError, TypeError, ValueError) as e:
        raise ConfigError(
            f"{path}: corrupted controls.json ({type(e).__name__}: {e}); regenerate the run"
        ) from None


def analysis_for_run(run_dir: str | Path) -> Analysis:
    """Analyse a run folder written by ``xentune generate`` (config.json, training.json, score.json).

    Raises
    ------
    ConfigError
        ``run_dir`` is not a run folder, or its config.json / training.json is corrupted.
    ScoreError
        Its score.json is missing or corrupted.
    """
    d = Path(run_dir)
    if not d.is_dir():
        raise ConfigError(
            f"{d}: not a folder; pass a run folder written by `xentune generate`, a score.json or a .scl"
        )
    cfg_path = d / "config.json"
    if not cfg_path.is_file():
        raise ConfigError(
            f"{d}: not a xentune run folder (no config.json); pass a folder written by "
            "`xentune generate`, a score.json or a .scl"
        )
    config = _read_json(cfg_path, what="config.json")
    if not isinstance(config, dict) or config.get("format") != "xentune-run":
        raise ConfigError(f"{cfg_path}: not a xentune run config (format must be 'xentune-run')")
    if config.get("version") != 1:
        raise ConfigError(
            f"{cfg_path}: run config version {config.get('version')!r} is not supported (need 1)"
        )
    try:
        if isinstance(config.get("spectrum"), dict):
            spectrum = spectrum_from_dict(config["spectrum"], where=f"{cfg_path}: spectrum")
        else:
            spectrum = parse_timbre(str(config["timbre"]))
    except KeyError:
        raise ConfigError(
            f"{cfg_path}: has neither 'spectrum' nor 'timbre'; regenerate the run"
        ) from None
    score_path = d / "score.json"
    if not score_path.is_file():
        raise ScoreError(
            f"{d}: run folder has no score.json; regenerate the run with `xentune generate`"
        )
    scores = load_scores(score_path)
    if not scores:
        raise ScoreError(f"{score_path}: holds no pieces; regenerate the run")
    notes: list[str] = []
    # The scale is read from the samples the run exported it from: the generator's raw samples
    # (score-raw.json, written when the played pieces were refined) unless it said otherwise.
    raw_path = d / "score-raw.json"
    scale_from = config.get("scale_from", "refined" if config.get("refine_steps") else "raw")
    analysed, samples = scores, "raw" if not config.get("refine_steps") else "refined"
    if scale_from == "raw" and raw_path.is_file():
        analysed, samples = load_scores(raw_path), "raw"
        notes.append(
            f"The scale and the interval density are read from the generator's raw samples "
            f"(score-raw.json); the pieces played (score.json) were refined by "
            f"{config.get('refine_steps')} gradient steps on the energy."
        )
    training = None
    elapsed = config.get("elapsed_s")
    elapsed = (
        finite_number(elapsed, field=f"{cfg_path}: elapsed_s", lo=0)
        if elapsed is not None
        else None
    )
    if (d / "training.json").is_file():
        training = _training(d / "training.json", elapsed)
    else:
        notes.append("This run folder has no training.json, so the report has no training curve.")
    versions = config.get("versions")
    versions = {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else None
    final = _final_path(d)
    analysis = _from_scores(
        scores,
        kind="run",
        source=str(final),
        title=f"Run {final.name}: {spectrum.name}",
        spectrum=spectrum,
        run_dir=d,
        training=training,
        settings=_flat_settings(config),
        versions=versions,
        notes=notes,
        samples=samples,
        analysed=analysed,
        controls=_controls(d / "controls.json"),
    )
    return replace(analysis, use=use_scale_for_run(d, config))
