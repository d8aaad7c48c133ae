"""``xentune render SCORE.json --out FILE.wav``: pieces of a score to audio with their timbre."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xentune.atomic import check_output_path
from xentune.defaults import DEFAULT_LUFS, MAX_RENDER_S
from xentune.errors import AudioError, ConfigError, ScoreError

if TYPE_CHECKING:
    from xentune.score import Score
    from xentune.spectrum import Spectrum

__all__ = ["render_command", "render_score_file"]

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
    quiet: bool = False,
) -> dict[str, float]:
    """Render one piece (or all, one after another with 1 s gaps) of a score.json to a file.

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
    from xentune.commands.progress import progress_bar
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
    with progress_bar(100, "render", quiet=quiet) as bar:
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


def render_command(
    score: Annotated[
        Path, typer.Argument(help="score.json written by `xentune generate` (or by hand)")
    ],
    out: Annotated[Path, typer.Option("--out", help="Output audio file (.wav or .flac)")],
    piece: Annotated[
        int | None,
        typer.Option("--piece", help="Render only piece K (1-based); default: all, 1 s apart"),
    ] = None,
    timbre: Annotated[
        str | None, typer.Option("--timbre", help="Timbre SPEC overriding the score's own timbre")
    ] = None,
    sample_rate: Annotated[
        int, typer.Option("--sample-rate", help="Samples per second (Hz)", max=384000)
    ] = 48000,
    lufs: Annotated[
        float, typer.Option("--lufs", help="Target integrated loudness (LUFS, BS.1770)")
    ] = DEFAULT_LUFS,
    device: Annotated[str, typer.Option("--device", help="auto, cpu or cuda")] = "auto",
    force: Annotated[bool, typer.Option("--force", help="Replace an existing output file")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar")] = False,
) -> None:
    """Render a score's pieces with additive synthesis of their timbre to WAV/FLAC.

    At most 600 s of audio in all (pieces, their notes' ends and the 1 s gaps between them).
    """
    info = render_score_file(
        score,
        out,
        piece=piece,
        timbre=timbre,
        sample_rate=sample_rate,
        lufs=lufs,
        device=device,
        force=force,
        quiet=quiet,
    )
    typer.echo(
        f"wrote {out}: {int(info['pieces'])} piece(s), {info['seconds']:.1f} s, "
        f"{info['lufs']:.1f} LUFS, peak {info['peak_dbfs']:.1f} dBFS"
    )
