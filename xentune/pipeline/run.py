"""A whole ``xentune generate`` run: train, sample, render, analyse, and write the run folder atomically."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import torch

from xentune.atomic import atomic_dir, check_output_path, write_text_atomic
from xentune.audio_io import write_audio
from xentune.device import resolve_device
from xentune.errors import CheckpointError, ConfigError, Interrupted
from xentune.generator.controls import SampleScore
from xentune.generator.exports import write_scale_files
from xentune.generator.sample import refine, sample_pieces
from xentune.generator.scale_model import ScalePieceModel
from xentune.generator.train import TrainConfig, check_resumable, train
from xentune.pipeline.config import RunConfig
from xentune.pipeline.controls import controls_dict, score_controls
from xentune.pipeline.export import piece_midi_notes, write_piece_midi
from xentune.pipeline.music import TimeConfig
from xentune.pipeline.music_stage import train_and_compose
from xentune.pipeline.pieces import FORM
from xentune.progress import ProgressFactory, silent_progress
from xentune.psychoacoustics.curve import curve_minima
from xentune.rendering import render_scores
from xentune.report.model import Analysis
from xentune.report.render import write_analysis_report
from xentune.report.run_analysis import analyse_run
from xentune.score import Score, save_scores
from xentune.spectrum import Spectrum
from xentune.timbre import parse_timbre
from xentune.tuning.conventions import curve_ratio_range
from xentune.tuning.emergence import (
    EmergentScale,
    emergent_scale,
)
from xentune.tuning.scala import read_scl

__all__ = [
    "RunResult",
    "generate_run",
    "piece_midi_notes",
]


@dataclass(frozen=True)
class RunResult:
    """What a run produced, for the command's summary.

    Parameters
    ----------
    path : Path
        The run folder.
    scale : EmergentScale
        The emergent interval system.
    analysis : Analysis
        The run's analysis (report.json is its JSON form): each step beside its nearest just
        ratios and curve minimum, the best equal divisions of the period, the controls.
    timings_s : dict
        Seconds spent in each part (train, sample, render, audio, midi, scale, report).
    elapsed_s : float
        Wall-clock seconds of the whole run.
    files : list of str
        File names written in the run folder.
    controls : tuple of SampleScore
        The trained generator's samples and the controls (untrained generator, uniform random
        chords), raw and refined, scored alike (empty when the run scored no controls).
    scale_from : str
        Which samples the scale was read from (``raw`` or ``refined``).
    generator_scale : dict or None
        The scale generator's own scale (``period_cents``, ``classes_cents``, ``usage``), read
        from its parameters; ``None`` for the flow.
    """

    path: Path
    scale: EmergentScale
    analysis: Analysis
    timings_s: dict[str, float] = field(default_factory=dict)
    elapsed_s: float = 0.0
    files: list[str] = field(default_factory=list)
    controls: tuple[SampleScore, ...] = ()
    scale_from: str = "raw"
    generator_scale: dict[str, Any] | None = None


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version(), "torch": torch.__version__, "numpy": np.__version__}
    try:
        out["xentune"] = metadata.version("xentune")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        out["xentune"] = "unknown"
    return out


def _config_dict(config: RunConfig, spectrum: Spectrum, device: torch.device) -> dict[str, Any]:
    t = config.train
    return {
        "format": "xentune-run",
        "version": 1,
        "timbre": t.timbre,
        "spectrum": spectrum.to_dict(),
        "voices": t.voices,
        "steps": t.steps,
        "pieces": config.pieces,
        "analysis_pieces": config.analysis_pieces,
        "train_steps": t.train_steps,
        "temperature": t.temperature,
        "seed": t.seed,
        "device": str(device),
        "sample_rate": config.sample_rate,
        "reference_hz": t.reference_hz,
        "step_s": config.step_s,
        "refine_steps": config.refine_steps,
        "scale_from": config.scale_from,
        "length_s": config.length_s,
        "scale": config.scale_mode,
        "form": "".join(FORM),
        "time_train_steps": config.time_train_steps,
        "cpu_threads": config.cpu_threads,
        "exports": config.exports.to_dict(),
        "energy": t.energy.to_dict(),
        "train": t.to_dict(),
        "versions": _versions(),
    }


def _training_dict(history: dict[str, list[float]]) -> dict[str, list[float]]:
    n = len(history.get("energy", []))
    out: dict[str, list[float]] = {"step": list(history.get("step", range(1, n + 1)))}
    for key, values in history.items():
        if key != "step":
            out[key] = [float(v) for v in values]
    return out


def _minima_cents(
    spectrum: Spectrum, *, period_cents: float, reference_hz: float
) -> tuple[float, ...]:
    minima = curve_minima(spectrum, f0_hz=reference_hz, ratio_range=curve_ratio_range(period_cents))
    return tuple(float(m.cents) for m in minima)


@contextlib.contextmanager
def _cpu_threads(n_threads: int, device: torch.device) -> Iterator[None]:
    """Run the block with ``n_threads`` torch CPU threads (on the CPU), then restore the setting."""
    if device.type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(n_threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _check_resume(
    path: Path, wanted: TrainConfig, *, spectrum: Spectrum, device: torch.device
) -> Path:
    """Fail before any work when the checkpoint to resume is missing, foreign or of another configuration."""
    if not path.is_file():
        raise CheckpointError(
            f"--resume {path}: no such checkpoint file; give the model.pt of an interrupted run"
        )
    # One owner of the resume check: training's own (configuration, weights, optimizer, RNG).
    check_resumable(path, wanted, spectrum=spectrum, device=device)
    return path


@contextlib.contextmanager
def _keep_checkpoint_on_interrupt(checkpoint: Path, out: Path) -> Iterator[None]:
    """On Ctrl-C or SIGTERM, keep the training checkpoint beside ``out`` before the temp folder goes.

    Raises `Interrupted` saying where the checkpoint is and the command that resumes from it,
    or that nothing was kept (no checkpoint yet, or the name is taken): never a path that the
    cleanup is about to delete.
    """
    try:
        yield
    except KeyboardInterrupt:
        if not checkpoint.is_file():
            raise Interrupted(
                "stopped before the first training checkpoint; nothing was kept, run it again"
            ) from None
        kept = out.parent / f"{out.name}.interrupted.pt"
        try:
            os.link(checkpoint, kept)  # same folder, same disk: instant, and never replaces
        except FileExistsError:
            raise Interrupted(
                f"{kept} already exists, so the training checkpoint was not kept; run it again"
            ) from None
        except OSError:
            raise Interrupted(
                "the training checkpoint could not be kept beside the run; run it again"
            ) from None
        raise Interrupted(
            f"training checkpoint kept at {kept}; continue with: xentune generate --resume {kept} "
            f"--out {out} (and the same settings)"
        ) from None


def generate_run(
    config: RunConfig,
    out: str | Path,
    *,
    force: bool = False,
    resume: str | Path | None = None,
    progress: ProgressFactory = silent_progress,
    on_checkpoint: Callable[[Path], None] | None = None,
) -> RunResult:
    """Train a generator from nothing but the timbre, sample pieces, and write a run folder.

    The folder is built under a temp name beside ``out`` and renamed at the end, so ``out``
    either holds a complete run or is left as it was. It holds: ``piece-XX.wav`` (audio),
    ``piece-XX.mid`` (pitch-bend MIDI) and ``piece-XX-mts.mid`` (MIDI Tuning Standard) per
    piece (and ``piece-XX-mpe.mid``, MPE), ``score.json`` (the composed pieces: the chords set in
    time by the time model, ``time-model.pt`` and ``time-training.json``), ``score-chords.json``
    (the block chords the tuning analysis reads), the emergent scale as ``scale.scl`` +
    ``scale.kbm`` (middle C = the reference frequency, keys as ``config.exports.keyboard``),
    ``scale.ascl`` (Ableton Live 12) and ``scale.tun`` (AnaMark v2), ``previews/`` (each degree
    and each dyad over 1/1 in the timbre), ``config.json``, ``training.json``, ``model.pt`` (the final
    checkpoint: ``xentune sample model.pt`` reads it) and ``report.json/html/md``.

    Parameters
    ----------
    config : RunConfig
        The run's settings.
    out : path-like
        The run folder to create.
    force : bool
        Replace an existing ``out`` (only once the new run is complete).
    resume : path-like, optional
        A checkpoint (``model.pt`` of a run, or of ``xentune train``) of the same configuration
        to continue training from.
    progress : ProgressFactory
        Opens one progress bar per long stage (training, rendering, writing); the command passes
        rich bars, the default shows none.
    on_checkpoint : callable, optional
        Called with the path of the training checkpoint inside the temp folder before training
        starts (after a SIGKILL the temp folder, and so the checkpoint, is left behind). On
        Ctrl-C or SIGTERM the checkpoint is kept as ``OUT.interrupted.pt`` instead, before the
        temp folder is removed, and `Interrupted` names it.

    Raises
    ------
    OutputExistsError
        ``out`` exists and ``force`` is false (checked before any work).
    CheckpointError
        ``resume`` is missing, corrupt or from another configuration.
    Interrupted
        Ctrl-C or SIGTERM; the message says whether and where the checkpoint was kept.
    XentuneError
        Any other bad setting (timbre, voices, temperature, ...).
    """
    start = time.perf_counter()
    out_path = check_output_path(out, force=force)
    if out_path.exists() and not out_path.is_dir():
        raise ConfigError(f"{out_path} exists and is not a folder; choose a folder for the run")
    spectrum = parse_timbre(config.train.timbre)
    device = resolve_device(config.device)
    resume_path = (
        None
        if resume is None
        else _check_resume(Path(resume), config.train, spectrum=spectrum, device=device)
    )
    timings: dict[str, float] = {}

    def lap(name: str, since: float) -> float:
        now = time.perf_counter()
        timings[name] = round(now - since, 3)
        return now

    ref_hz = float(config.train.reference_hz)
    with (
        atomic_dir(out_path, force=force) as tmp,
        _keep_checkpoint_on_interrupt(tmp / "model.pt", out_path),
    ):
        checkpoint = tmp / "model.pt"
        if resume_path is not None:
            shutil.copyfile(resume_path, checkpoint)
        if on_checkpoint is not None:
            on_checkpoint(checkpoint)
        t = time.perf_counter()
        # Training owns its threads (one, for run-to-run identical results: `train`); the
        # run's --cpu-threads setting applies to everything after it.
        trained = train(
            config.train,
            device=device,
            checkpoint_path=checkpoint,
            resume=resume_path is not None,
            progress=progress,
        )
        t = lap("train", t)
        with _cpu_threads(config.cpu_threads, device):
            raw = sample_pieces(
                trained.model, n_pieces=config.sampled_pieces, seed=config.train.seed, device=device
            )  # (S, V, T) cents, the generator's own samples (the analysed ones)
            played = (
                refine(raw, trained.energy.to(device), steps=config.refine_steps)
                if config.refine_steps > 0
                else raw
            )
        pieces = played.detach().to("cpu", torch.float64).numpy()  # (S, V, T) cents
        raw_pieces = raw.detach().to("cpu", torch.float64).numpy()  # (S, V, T) cents
        t = lap("sample", t)
        spec_dict = spectrum.to_dict()

        def as_scores(x: np.ndarray) -> list[Score]:
            return [
                Score.from_chords(
                    x[s],
                    step_s=config.step_s,
                    timbre=config.train.timbre,
                    reference_hz=ref_hz,
                    spectrum=spec_dict,
                )
                for s in range(x.shape[0])
            ]

        scores = as_scores(pieces)  # the block chords: what the tuning analysis reads
        save_scores(tmp / "score-chords.json", scores)
        raw_scores = as_scores(raw_pieces) if config.refine_steps > 0 else None
        if raw_scores is not None:
            save_scores(tmp / "score-raw.json", raw_scores)
        t = lap("score", t)
        scale_pieces = raw_pieces if config.scale_from == "raw" else pieces
        scale = emergent_scale(scale_pieces, spectrum=spectrum)
        with _cpu_threads(config.cpu_threads, device):
            write_scale_files(
                tmp,
                scale.to_scale(description=f"xentune emergent scale for {spectrum.name}"),
                spectrum,
                config.exports,
                timbre=config.train.timbre,
                reference_hz=ref_hz,
                sample_rate=config.sample_rate,
                device=device,
                seed=config.train.seed,
            )
        minima = _minima_cents(spectrum, period_cents=scale.period_cents, reference_hz=ref_hz)
        t = lap("analysis", t)
        # The music: the time model trains on the generator's chords, then sets them in time
        # (score.json); the scale is read back from scale.scl, as `xentune sample` reads it.
        with _cpu_threads(config.cpu_threads, device):
            music, _, _ = train_and_compose(
                model=trained.model,
                energy=trained.energy.to(device),
                spectrum=spectrum,
                scale=read_scl(tmp / "scale.scl"),
                run_dir=tmp,
                n_pieces=config.pieces,
                length_s=float(config.length_s),
                scale_mode=config.scale_mode,
                refine_steps=config.refine_steps,
                seed=config.train.seed,
                timbre=config.train.timbre,
                reference_hz=ref_hz,
                device=device,
                progress=progress,
                time_config=TimeConfig(
                    voices=config.train.voices,
                    seed=config.train.seed,
                    train_steps=config.time_train_steps,
                ),
            )
        save_scores(tmp / "score.json", music)
        t = lap("music", t)
        with (
            _cpu_threads(config.cpu_threads, device),
            progress(100, "rendering audio") as bar,
        ):
            shown = [0]

            def rendered(done: int, total: int) -> None:
                percent = (100 * done) // max(total, 1)
                bar.advance(percent - shown[0])
                shown[0] = percent

            audio = render_scores(
                music,
                spectrum,
                sample_rate=config.sample_rate,
                device=device,
                seed=config.train.seed,
                progress=rendered,
            )
        t = lap("render", t)
        with progress(len(music), "writing audio and MIDI") as bar:
            for i, (score, wave) in enumerate(zip(music, audio, strict=True), start=1):
                write_audio(tmp / f"piece-{i:02d}.wav", wave.detach().cpu(), config.sample_rate)
                write_piece_midi(tmp / f"piece-{i:02d}.mid", score, mode="bend")
                write_piece_midi(tmp / f"piece-{i:02d}-mts.mid", score, mode="mts")
                write_piece_midi(
                    tmp / f"piece-{i:02d}-mpe.mid",
                    score,
                    mode="mpe",
                    bend_range_semitones=config.exports.mpe_bend_range,
                )
                bar.advance(1)
        t = lap("audio_midi", t)
        controls: tuple[SampleScore, ...] = ()
        controls_data: dict[str, Any] | None = None
        generator_scale: dict[str, Any] | None = None
        if config.controls:
            with _cpu_threads(config.cpu_threads, device):
                controls = score_controls(
                    config,
                    spectrum=spectrum,
                    trained_raw=raw,
                    trained_refined=played if config.refine_steps > 0 else None,
                    energy=trained.energy,
                    minima_cents=minima,
                    device=device,
                )
            controls_data = controls_dict(config, controls)
            if isinstance(trained.model, ScalePieceModel):
                period_c, classes_c, usage = trained.model.scale_cents()
                generator_scale = {
                    "period_cents": period_c,
                    "classes_cents": list(classes_c),
                    "usage": list(usage),
                }
                controls_data["generator_scale"] = generator_scale
            write_text_atomic(tmp / "controls.json", json.dumps(controls_data, indent=1) + "\n")
            t = lap("controls", t)
        history = _training_dict(trained.history)
        write_text_atomic(tmp / "training.json", json.dumps(history) + "\n")
        config_data = _config_dict(config, spectrum, device)
        config_data["timings_s"] = dict(timings)
        config_data["elapsed_s"] = round(time.perf_counter() - start, 3)
        write_text_atomic(tmp / "config.json", json.dumps(config_data, indent=2) + "\n")
        # The one analysis of the run, built in memory: report.json/html/md and the command's
        # summary are views of it.
        analysis = analyse_run(
            config_data,
            spectrum=spectrum,
            scores=scores,
            raw_scores=raw_scores,
            played=music,
            history=history,
            controls=controls_data,
            run_dir=tmp,
            source=out_path.resolve(),
            scale=scale,
        )
        write_analysis_report(analysis, tmp, run_dir=tmp)
        lap("report", t)
        files = sorted(p.name for p in tmp.iterdir())
    elapsed = time.perf_counter() - start
    return RunResult(
        path=out_path,
        scale=scale,
        analysis=analysis,
        timings_s=timings,
        elapsed_s=elapsed,
        files=files,
        controls=controls,
        scale_from=config.scale_from,
        generator_scale=generator_scale,
    )
