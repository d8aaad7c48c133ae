"""Render a score.json file to one audio file: its pieces with their timbres, loudness-normalised."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

from xentune.atomic import check_output_path
from xentune.defaults import DEFAULT_LUFS, MAX_RENDER_S
from xentune.errors import AudioError, ConfigError, ScoreError
from xentune.progress import ProgressFactory, silent_progress

if TYPE_CHECKING:
    from xentune.score import Score
    from xentune.spectrum import Spectrum

__all__ = ["GAP_S", "render_score_file"]

#: Silence between pieces when several are written to one file, in seconds.
GAP_S = 1.0


def _spectrum_for(score: Score, override: Spectrum | None) -> Spectrum:
    from xentune.spectrum import spectrum_from_dict
    from xentune.timbre import parse_timbre

    if override is not None:
        return override
    if score.spectrum is not None:  # cached by the generator: works for audio: and file timbres
        return spectrum_from_dict(score.spectrum, where=f"score timbre {score.timbre}")
    return parse_timbre(score.timbre)


def render_score_file(
    score_path: Path,
    out: Path,
    *,
    piece: int | None = None,
    timbre: str | None = None,
    sample_rate: int = 48000,
    lufs: float | None = DEFAULT_LUFS,
    device: str = "auto",
    force: bool = False,
    progress: ProgressFactory = silent_progress,
) -> dict[str, float]:
    """Render one piece (or all, one after another with 1 s gaps) of a score.json to a file.

    ``progress`` opens the progress bar (the command passes rich bars; default: none).

    Returns
    -------
    dict
        ``pieces``, ``seconds`` (audio length), ``lufs`` and ``peak_dbfs`` of the written file.

    Raises
    ------
    ScoreError, SpecError, AudioError, ConfigError, OutputExistsError
        Bad score, timbre, options or output path; checked before any audio is computed.
    """
    import torch

    from xentune.audio_io import measure_lufs, normalize_loudness, write_audio
    from xentune.device import resolve_device
    from xentune.rendering import render_scores
    from xentune.score import load_scores
    from xentune.timbre import parse_timbre

    check_output_path(out, force=force)
    if out.suffix.lower() not in (".wav", ".flac"):
        raise AudioError(f"--out {out}: unsupported audio format; end the name in .wav or .flac")
    if not 8000 <= sample_rate <= 384000:
        raise ConfigError(f"--sample-rate {sample_rate}: must be in 8000..384000 Hz (e.g. 48000)")
    if lufs is not None and not (math.isfinite(lufs) and -70.0 <= lufs <= 0.0):
        raise ConfigError(f"--lufs {lufs}: must be in -70..0 LUFS (e.g. -16)")
    dev = resolve_device(device)
    scores = load_scores(score_path)
    if piece is not None:
        if not 1 <= piece <= len(scores):
            raise ScoreError(f"--piece {piece}: {score_path} has pieces 1..{len(scores)}")
        scores = [scores[piece - 1]]
    length_s = sum(float((s.onset_s + s.duration_s).max(initial=0.0)) for s in scores)
    length_s += GAP_S * (len(scores) - 1)
    if length_s > MAX_RENDER_S:
        raise ScoreError(
            f"{score_path}: {length_s:.0f} s of audio (pieces and gaps); render writes at most "
            f"{MAX_RENDER_S:g} s: pick one piece with --piece K or shorten the score"
        )
    override = parse_timbre(timbre) if timbre is not None else None
    spectra = [_spectrum_for(s, override) for s in scores]

    # One batched call per distinct timbre (normally one for the whole file).
    audio: list[torch.Tensor | None] = [None] * len(scores)
    groups: dict[Spectrum, list[int]] = {}
    for k, sp in enumerate(spectra):
        groups.setdefault(sp, []).append(k)
    with progress(100, "render") as bar:
        shown = [0.0]
        n_groups = len(groups)

        def advance(done: int, total: int, *, g: int) -> None:
            pct = 100.0 * (g + done / max(total, 1)) / n_groups
            bar.advance(pct - shown[0])
            shown[0] = pct

        for g, (sp, idx) in enumerate(groups.items()):
            rendered = render_scores(
                [scores[k] for k in idx],
                sp,
                sample_rate=sample_rate,
                device=dev,
                progress=lambda d, t, g=g: advance(d, t, g=g),
            )
            for k, a in zip(idx, rendered, strict=True):
                audio[k] = a.cpu()
    gap = torch.zeros(2, round(GAP_S * sample_rate))
    parts: list[torch.Tensor] = []
    for k, a in enumerate(audio):
        assert a is not None
        parts.extend([gap] if k else [])
        parts.append(a)
    mix, _ = normalize_loudness(torch.cat(parts, dim=1), sample_rate, lufs=lufs)
    write_audio(out, mix, sample_rate, lufs=None, force=force)  # level set above; peak-safe
    peak = float(mix.abs().max())
    level = measure_lufs(mix, sample_rate)
    return {
        "pieces": float(len(scores)),
        "seconds": mix.shape[1] / sample_rate,
        "lufs": level,
        "peak_dbfs": 20 * math.log10(peak) if peak > 0 else -math.inf,
    }
