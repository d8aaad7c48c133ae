"""The analysis of a run: from its folder (`xentune analyze RUN`) or in memory (`xentune generate`)."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from xentune.errors import ConfigError, ScoreError
from xentune.report.analysis import _finite, _thin
from xentune.report.model import (
    Analysis,
    ControlRow,
    Controls,
    Training,
    _from_dict,
    _read_json,
)
from xentune.report.music import analyse_music
from xentune.report.sources import _from_scores
from xentune.report.use_scale import use_scale_for_run
from xentune.safe_read import finite_number
from xentune.score import Score, load_scores
from xentune.spectrum import Spectrum, spectrum_from_dict
from xentune.timbre import parse_timbre
from xentune.tuning.emergence import EmergentScale
from xentune.tuning.scala import read_scl

__all__ = ["analyse_run", "analysis_for_run"]


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


def _training(data: object, path: str, elapsed_s: float | None) -> Training:
    """The training summary of a ``training.json`` document (``path`` names it in errors)."""
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


def _controls(data: Any, path: str) -> Controls:  # noqa: ANN401 - a parsed JSON document
    """The controls table of a ``controls.json`` document (``path`` names it in errors)."""
    try:
        rows = tuple(_from_dict(ControlRow, row) for row in data["rows"])
        gen = data.get("generator_scale")
        return Controls(
            pieces=int(data["pieces"]),
            refine_steps=int(data["refine_steps"]),
            near_minimum_cents=float(data["near_minimum_cents"]),
            # Runs written before the field counted distinct chords at 10 cents.
            distinct_chord_cents=float(data.get("distinct_chord_cents", 10.0)),
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
    played = None
    chords_path = d / "score-chords.json"
    if chords_path.is_file():  # a run that composed music: the analysis reads its chords
        played, scores = scores, load_scores(chords_path)
    raw_path = d / "score-raw.json"
    training_path = d / "training.json"
    controls_path = d / "controls.json"
    return analyse_run(
        config,
        spectrum=spectrum,
        scores=scores,
        raw_scores=load_scores(raw_path) if raw_path.is_file() else None,
        history=_read_json(training_path, what="training.json")
        if training_path.is_file()
        else None,
        controls=_read_json(controls_path, what="controls.json")
        if controls_path.is_file()
        else None,
        run_dir=d,
        source=d.resolve(),
        played=played,
    )


def analyse_run(
    config: dict[str, Any],
    *,
    spectrum: Spectrum,
    scores: list[Score],
    raw_scores: list[Score] | None,
    history: object | None,
    controls: object | None,
    run_dir: Path,
    source: Path,
    scale: EmergentScale | None = None,
    played: list[Score] | None = None,
) -> Analysis:
    """The analysis of a run from its parts in memory: what ``xentune generate`` reports.

    Parameters
    ----------
    config : dict
        The run's ``config.json`` document.
    spectrum : Spectrum
        The run's timbre.
    scores : list of Score
        The block chords (``score-chords.json``; ``score.json`` in runs from before the time
        model): what the tuning analysis reads.
    raw_scores : list of Score or None
        The generator's raw samples (``score-raw.json``) when the played pieces were refined.
    history, controls : parsed JSON or None
        The ``training.json`` and ``controls.json`` documents (None: the run has none).
    run_dir : Path
        The folder holding the run's files (the report links to them).
    source : Path
        The run's final path, named in the report.
    scale : EmergentScale, optional
        The emergent scale of the analysed samples when the caller has found it already.
    played : list of Score, optional
        The composed pieces (``score.json``): the pieces table, the audio and the music section
        describe them; the scale and the controls stay on the chords.
    """
    where = source / "config.json"
    notes: list[str] = []
    # The scale is read from the samples the run exported it from: the generator's raw samples
    # (score-raw.json, written when the played pieces were refined) unless it said otherwise.
    scale_from = config.get("scale_from", "refined" if config.get("refine_steps") else "raw")
    analysed, samples = scores, "raw" if not config.get("refine_steps") else "refined"
    if scale_from == "raw" and raw_scores is not None:
        analysed, samples = raw_scores, "raw"
        notes.append(
            f"The scale and the interval density are read from the generator's raw samples "
            f"(score-raw.json); the chords played were refined by "
            f"{config.get('refine_steps')} gradient steps on the energy."
        )
    if played is not None:
        notes.append(
            "The pieces (score.json, the audio and MIDI files) are the generator's chords set in "
            "time by the time model; the tuning analysis reads the block chords "
            "(score-chords.json, score-raw.json), so it is the same as before the time model."
        )
    training = None
    elapsed = config.get("elapsed_s")
    elapsed = (
        finite_number(elapsed, field=f"{where}: elapsed_s", lo=0) if elapsed is not None else None
    )
    if history is not None:
        training = _training(history, str(source / "training.json"), elapsed)
    else:
        notes.append("This run folder has no training.json, so the report has no training curve.")
    versions = config.get("versions")
    versions = {str(k): str(v) for k, v in versions.items()} if isinstance(versions, dict) else None
    analysis = _from_scores(
        played if played is not None else scores,
        kind="run",
        source=str(source),
        title=f"Run {source.name}: {spectrum.name}",
        spectrum=spectrum,
        run_dir=run_dir,
        training=training,
        settings=_flat_settings(config),
        versions=versions,
        notes=notes,
        samples=samples,
        analysed=analysed,
        controls=None if controls is None else _controls(controls, str(source / "controls.json")),
        scale=scale,
    )
    music = None
    scl = run_dir / "scale.scl"
    if played is not None and scl.is_file():
        music = analyse_music(
            played,
            scale=read_scl(scl),
            scale_mode=str(config.get("scale", "adaptive")),
            length_s=config.get("length_s"),
            form=str(config.get("form", "")),
        )
    return replace(analysis, use=use_scale_for_run(run_dir, config), music=music)
