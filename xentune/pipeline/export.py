"""Export a score (a score.json or a run folder) as MIDI, or a run's scale files, for musicians."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from xentune.atomic import check_output_path, write_bytes_atomic
from xentune.errors import ConfigError
from xentune.generator.exports import SCALE_FILE_NAMES
from xentune.safe_read import check_regular_file
from xentune.score import Score, load_scores
from xentune.tuning.midi import DEFAULT_MPE_BEND_RANGE, write_midi
from xentune.tuning.midi_notes import MidiNotes

__all__ = [
    "DEFAULT_TEMPO_BPM",
    "EXPORT_FORMATS",
    "export",
    "piece_midi_notes",
    "write_piece_midi",
]

#: ``--format`` values: MIDI as pitch bend (``midi``, alias ``mid``), MPE or MIDI Tuning Standard,
#: or one of the run's scale files.
EXPORT_FORMATS = ("midi", "mid", "mpe", "mts", "scl", "kbm", "ascl", "tun")
#: Tempo of a MIDI file written for a score that records none (the Standard MIDI File default).
DEFAULT_TEMPO_BPM = 120.0
#: MIDI velocity of a note of linear amplitude 1.
_FULL_VELOCITY = 127
_MIDI_MODES = {"midi": "bend", "mid": "bend", "mpe": "mpe", "mts": "mts"}
_MIDI_SUFFIX = {"bend": ".mid", "mpe": "-mpe.mid", "mts": "-mts.mid"}


def piece_midi_notes(score: Score) -> MidiNotes:
    """The notes of one piece for MIDI export: frequency, onset, duration, velocity, voice.

    Velocity is the linear amplitude times 127, clipped to 1..127 (silent padding notes, of
    amplitude or duration 0, are left out).
    """
    v_idx = np.broadcast_to(np.arange(score.n_voices)[:, None], score.cents.shape)  # (V, N)
    keep = (score.amplitude > 0) & (score.duration_s > 0)  # (V, N)
    velocity = np.clip(np.rint(score.amplitude * _FULL_VELOCITY), 1, 127).astype(np.int64)
    return MidiNotes(
        freq_hz=score.hz()[keep],
        onset_s=score.onset_s[keep],
        duration_s=score.duration_s[keep],
        velocity=velocity[keep],
        voice=v_idx[keep].astype(np.int64),
    )


def write_piece_midi(
    path: str | Path,
    score: Score,
    *,
    mode: str = "bend",
    bend_range_semitones: int = DEFAULT_MPE_BEND_RANGE,
    force: bool = False,
) -> Path:
    """Write one piece as a MIDI file whose tempo is the score's (`DEFAULT_TEMPO_BPM` if it has none).

    ``mode``: ``bend`` (one note per channel + pitch bend), ``mpe`` or ``mts``.
    """
    tempo = score.tempo_bpm if score.tempo_bpm is not None else DEFAULT_TEMPO_BPM
    return write_midi(
        path,
        piece_midi_notes(score),
        mode=mode,  # type: ignore[arg-type]
        bend_range_semitones=bend_range_semitones if mode == "mpe" else None,
        tempo_bpm=tempo,
        force=force,
    )


def _is_dir(p: Path) -> bool:
    """Whether ``p`` is a folder (False for a name the system refuses, e.g. one over 255 bytes)."""
    try:
        return p.is_dir()
    except OSError:
        return False


def _source_scores(source: Path) -> tuple[list[Score], Path]:
    """The pieces of a score.json or of a run folder's score.json, and the folder holding it."""
    if _is_dir(source):
        path = source / "score.json"
        if not path.is_file():
            raise ConfigError(
                f"{source}: no score.json in this folder; give a run folder of xentune generate "
                "or a score.json"
            )
        return load_scores(path), source
    return load_scores(source), source.parent  # the safe reader: missing, FIFO, size, depth


def export(
    source: str | Path,
    *,
    fmt: str,
    out: str | Path | None = None,
    piece: int = 1,
    mpe_bend_range: int = DEFAULT_MPE_BEND_RANGE,
    force: bool = False,
) -> Path:
    """Write piece ``piece`` of a score as MIDI, or the scale of its run, to ``out``.

    Parameters
    ----------
    source : path-like
        A ``score.json`` (``xentune generate``, ``xentune sample``, or by hand) or a run folder.
    fmt : str
        One of `EXPORT_FORMATS`. Scale formats copy the run's ``scale.<fmt>`` (the folder of
        ``source``), byte for byte.
    out : path-like, optional
        The file to write (default: beside the source, ``piece-XX.mid`` / ``-mpe.mid`` /
        ``-mts.mid``, or ``scale.<fmt>`` for a score.json outside its run).
    piece : int
        1-based piece number (MIDI formats).
    force : bool
        Replace an existing ``out``.

    Returns
    -------
    Path
        The file written (atomically: a temp name, then renamed).

    Raises
    ------
    ConfigError, ScoreError, OutputExistsError
        Unknown format, a missing or malformed source, no such piece, an existing output.
    """
    if fmt not in EXPORT_FORMATS:
        raise ConfigError(f"--format {fmt}: must be one of {', '.join(EXPORT_FORMATS)} (e.g. midi)")
    src = Path(source)
    if fmt in _MIDI_MODES:
        scores, folder = _source_scores(src)
        if not scores:
            raise ConfigError(f"{src}: holds no pieces; nothing to export")
        if isinstance(piece, bool) or not 1 <= piece <= len(scores):
            raise ConfigError(f"--piece {piece}: the score has pieces 1..{len(scores)}")
        mode = _MIDI_MODES[fmt]
        default = folder / f"piece-{piece:02d}{_MIDI_SUFFIX[mode]}"
        target = check_output_path(out if out is not None else default, force=force)
        return write_piece_midi(
            target, scores[piece - 1], mode=mode, bend_range_semitones=mpe_bend_range, force=force
        )
    folder = src if _is_dir(src) else src.parent
    name = f"scale.{fmt}"
    assert name in SCALE_FILE_NAMES
    scale_file = folder / name
    if not _is_dir(src):
        check_regular_file(src, what="score.json", error=ConfigError)
    if not scale_file.is_file():
        raise ConfigError(
            f"{scale_file}: no {name} there; scale files come from a run folder of xentune generate "
            "(give the run folder, or a score.json inside it)"
        )
    if out is None:
        raise ConfigError(f"--format {fmt}: give --out FILE.{fmt} (the run already holds {name})")
    target = check_output_path(out, force=force)
    check_regular_file(scale_file, what=name, error=ConfigError)
    return write_bytes_atomic(target, scale_file.read_bytes(), force=force)
