"""`Score`: one generated piece (voices x notes of continuous pitch) and its score.json format."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from xentune.atomic import write_text_atomic
from xentune.errors import ScoreError
from xentune.safe_read import parse_json, read_text
from xentune.units import DEFAULT_REFERENCE_HZ, cents_to_hz

__all__ = [
    "FORMAT",
    "VERSION",
    "Score",
    "load_scores",
    "save_scores",
    "score_from_dict",
    "scores_from_json",
    "scores_to_json",
]

#: The ``"format"`` tag of a score.json document.
FORMAT = "xentune-score"
#: The score.json version this code writes and reads.
VERSION = 1

_NOTE_FIELDS = ("cents", "onset_s", "duration_s", "amplitude")

#: Largest pitch distance from the reference, in cents: 20 octaves either way. Hearing spans
#: about -4450..+7520 cents from middle C, but the generator stacks up to 16 voices with gaps of
#: up to 1500 cents above a bass as high as +900 (23,400 cents); partials above Nyquist are
#: dropped when rendering, and 2^20 times any reference is still a finite frequency.
MAX_ABS_CENTS = 24_000.0
#: Latest a note may end (onset + duration), in seconds: an hour. `xentune render` caps the
#: audio it writes lower still (see `xentune.defaults.MAX_RENDER_S`).
MAX_NOTE_END_S = 3600.0
#: Largest linear amplitude of a note (rendered audio is loudness-normalised afterwards).
MAX_NOTE_AMPLITUDE = 1e3
#: Most voices (as many as the generator makes) and notes per voice a piece may hold. Rendering
#: holds about voices x samples in float64: 16 voices over `MAX_RENDER_S` peaked at 4.2 GB.
MAX_SCORE_VOICES = 16
MAX_SCORE_NOTES = 100_000
#: Range of a score's reference frequency, in Hz.
MIN_REFERENCE_HZ, MAX_REFERENCE_HZ = 1.0, 20_000.0
#: Largest score.json read, in bytes (999 pieces of 512 notes with every field: about 40 MB).
MAX_SCORE_FILE_BYTES = 64 * 2**20


def _note_array(value: object, *, name: str, where: str) -> np.ndarray:
    """A (V, N) float64 array from an array, tensor or nested list; ScoreError if it is not one."""
    if isinstance(value, torch.Tensor):
        value = value.detach().to("cpu", torch.float64).numpy()
    try:
        arr = np.array(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):
        raise ScoreError(
            f"{where}: '{name}' must be a list of voices, each a list of numbers (one per note)"
        ) from None
    if arr.ndim == 1 and arr.size == 0:
        arr = arr.reshape(0, 0)
    if arr.ndim != 2:
        raise ScoreError(
            f"{where}: '{name}' must be voices x notes (a list of equally long lists of numbers), "
            f"got an array of {arr.ndim} dimension(s) {arr.shape}"
        )
    arr.setflags(write=False)
    return arr


def _first_bad(mask: np.ndarray) -> tuple[int, int]:
    v, n = np.argwhere(mask)[0]
    return int(v), int(n)


@dataclass(frozen=True, eq=False)
class Score:
    """One piece: V voices of N notes each, with continuous pitch.

    Note ``n`` of voice ``v`` sounds at ``reference_hz * 2 ** (cents[v, n] / 1200)`` Hz from
    ``onset_s[v, n]`` for ``duration_s[v, n]`` seconds (plus the synthesizer's release) with
    linear amplitude ``amplitude[v, n]``. A voice with fewer notes than another is padded with
    silent notes (amplitude 0, duration 0).

    Parameters
    ----------
    cents : np.ndarray, shape (V, N), float64
        Pitch of each note in cents above ``reference_hz``; finite.
    onset_s : np.ndarray, shape (V, N), float64
        Start of each note in seconds, >= 0.
    duration_s : np.ndarray, shape (V, N), float64
        Length of each note (note-on to note-off) in seconds, >= 0.
    amplitude : np.ndarray, shape (V, N), float64
        Linear amplitude of each note, >= 0 (0 is a rest).
    timbre : str
        The timbre spec the piece was made for (``"harmonic"``, ``"stretched:octave=2.1"``, ...).
    reference_hz : float
        Frequency of 0 cents in Hz, > 0.
    tempo_bpm : float or None
        Tempo, when the piece has one (for MIDI export); > 0.
    spectrum : dict or None
        The timbre's ``Spectrum.to_dict()``, cached so that a piece made from ``audio:`` or a
        file timbre renders without the original source.

    Raises
    ------
    ScoreError
        Mismatched shapes, NaN or infinite values, negative onsets, durations or amplitudes.

    Examples
    --------
    >>> s = Score.from_chords(np.array([[0.0, 200.0], [702.0, 702.0]]), step_s=0.5, timbre="harmonic")
    >>> s.n_voices, s.n_notes, s.end_s
    (2, 2, 1.0)
    """

    cents: np.ndarray
    onset_s: np.ndarray
    duration_s: np.ndarray
    amplitude: np.ndarray
    timbre: str = "harmonic"
    reference_hz: float = DEFAULT_REFERENCE_HZ
    tempo_bpm: float | None = None
    spectrum: dict[str, Any] | None = field(default=None)

    def __post_init__(self) -> None:
        where = "score"
        arrays = {}
        for name in _NOTE_FIELDS:
            arrays[name] = _note_array(getattr(self, name), name=name, where=where)
            object.__setattr__(self, name, arrays[name])
        shape = arrays["cents"].shape
        for name in _NOTE_FIELDS[1:]:
            if arrays[name].shape != shape:
                raise ScoreError(
                    f"{where}: '{name}' has shape {arrays[name].shape} but 'cents' has {shape}; "
                    "give every field one value per voice and note"
                )
        for name, arr in arrays.items():
            bad = ~np.isfinite(arr)
            if bad.any():
                v, n = _first_bad(bad)
                raise ScoreError(
                    f"{where}: voice {v + 1} note {n + 1}: {name} is {arr[v, n]}; "
                    "every value must be a finite number"
                )
        for name, rule in (
            ("onset_s", "onsets"),
            ("duration_s", "durations"),
            ("amplitude", "amplitudes"),
        ):
            bad = arrays[name] < 0
            if bad.any():
                v, n = _first_bad(bad)
                raise ScoreError(
                    f"{where}: voice {v + 1} note {n + 1}: {name} is {arrays[name][v, n]}; "
                    f"{rule} must be >= 0"
                )
        for name, hi in (
            ("cents", MAX_ABS_CENTS),
            ("onset_s", MAX_NOTE_END_S),
            ("duration_s", MAX_NOTE_END_S),
            ("amplitude", MAX_NOTE_AMPLITUDE),
        ):
            bad = np.abs(arrays[name]) > hi
            if bad.any():
                v, n = _first_bad(bad)
                raise ScoreError(
                    f"{where}: voice {v + 1} note {n + 1}: {name} is {arrays[name][v, n]:g}; "
                    f"it must be at most {hi:g} in size"
                )
        ends = arrays["onset_s"] + arrays["duration_s"]  # (V, N) s
        bad = ends > MAX_NOTE_END_S
        if bad.any():
            v, n = _first_bad(bad)
            raise ScoreError(
                f"{where}: voice {v + 1} note {n + 1} ends at {ends[v, n]:g} s; a note must end "
                f"within {MAX_NOTE_END_S:g} s of the start"
            )
        if shape[0] > MAX_SCORE_VOICES or shape[1] > MAX_SCORE_NOTES:
            raise ScoreError(
                f"{where}: {shape[0]} voices x {shape[1]} notes; a piece may have at most "
                f"{MAX_SCORE_VOICES} voices of {MAX_SCORE_NOTES} notes"
            )
        if not isinstance(self.timbre, str) or not self.timbre.strip():
            raise ScoreError(
                f"{where}: timbre is {self.timbre!r}; give a timbre spec such as 'harmonic'"
            )
        ref = self.reference_hz
        if (
            isinstance(ref, bool)
            or not isinstance(ref, int | float)
            or not math.isfinite(ref)
            or not MIN_REFERENCE_HZ <= ref <= MAX_REFERENCE_HZ
        ):
            raise ScoreError(
                f"{where}: reference_hz is {ref!r}; it must be a frequency > 0 Hz, within "
                f"{MIN_REFERENCE_HZ:g}..{MAX_REFERENCE_HZ:g} Hz"
            )
        object.__setattr__(self, "reference_hz", float(ref))
        tempo = self.tempo_bpm
        if tempo is not None:
            if (
                isinstance(tempo, bool)
                or not isinstance(tempo, int | float)
                or not math.isfinite(tempo)
                or tempo <= 0
            ):
                raise ScoreError(
                    f"{where}: tempo_bpm is {tempo!r}; it must be a number > 0 or null"
                )
            object.__setattr__(self, "tempo_bpm", float(tempo))
        if self.spectrum is not None and not isinstance(self.spectrum, dict):
            raise ScoreError(
                f"{where}: spectrum must be a timbre object (Spectrum.to_dict()) or null"
            )

    # ------------------------------------------------------------------------------------
    @classmethod
    def from_chords(
        cls,
        cents: np.ndarray | torch.Tensor,
        *,
        step_s: float,
        timbre: str,
        reference_hz: float = DEFAULT_REFERENCE_HZ,
        amplitude: float = 0.8,
        tempo_bpm: float | None = None,
        spectrum: dict[str, Any] | None = None,
    ) -> Score:
        """A piece where every time step is a chord: one note per voice per step.

        Parameters
        ----------
        cents : array or Tensor, shape (V, T)
            Pitch of voice ``v`` at step ``t`` in cents above ``reference_hz``.
        step_s : float
            Length of one step in seconds (> 0); note ``t`` starts at ``t * step_s``.
        timbre : str
            The timbre spec.
        reference_hz : float
            Frequency of 0 cents.
        amplitude : float
            Linear amplitude of every note.
        tempo_bpm : float or None
            Tempo to record (default: one step per beat, ``60 / step_s``).
        spectrum : dict or None
            Cached ``Spectrum.to_dict()``.
        """
        if not (math.isfinite(step_s) and step_s > 0):
            raise ScoreError(f"step_s is {step_s}; a chord step must last > 0 seconds (e.g. 0.5)")
        c = _note_array(cents, name="cents", where="chords")
        n_voices, n_steps = c.shape
        onset = np.broadcast_to(np.arange(n_steps, dtype=np.float64) * step_s, c.shape).copy()
        return cls(
            cents=c,
            onset_s=onset,
            duration_s=np.full(c.shape, float(step_s)),
            amplitude=np.full(c.shape, float(amplitude)),
            timbre=timbre,
            reference_hz=reference_hz,
            tempo_bpm=60.0 / step_s if tempo_bpm is None else tempo_bpm,
            spectrum=spectrum,
        )

    # ------------------------------------------------------------------------------------
    @property
    def n_voices(self) -> int:
        """Number of voices V."""
        return int(self.cents.shape[0])

    @property
    def n_notes(self) -> int:
        """Number of notes per voice N."""
        return int(self.cents.shape[1])

    @property
    def end_s(self) -> float:
        """Time of the last note-off in seconds (0 for an empty piece)."""
        if self.cents.size == 0:
            return 0.0
        return float(np.max(self.onset_s + self.duration_s))

    def hz(self) -> np.ndarray:
        """Frequency of every note in Hz, shape (V, N) (`cents_to_hz` at ``reference_hz``)."""
        return cents_to_hz(self.cents, self.reference_hz)

    def with_timbre(self, timbre: str, spectrum: dict[str, Any] | None = None) -> Score:
        """The same notes with another timbre (and cached spectrum)."""
        return Score(
            self.cents,
            self.onset_s,
            self.duration_s,
            self.amplitude,
            timbre=timbre,
            reference_hz=self.reference_hz,
            tempo_bpm=self.tempo_bpm,
            spectrum=spectrum,
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form of one piece (what score.json holds in ``"pieces"``)."""
        return {
            "timbre": self.timbre,
            "reference_hz": self.reference_hz,
            "tempo_bpm": self.tempo_bpm,
            "voices": self.n_voices,
            "notes": self.n_notes,
            "cents": self.cents.tolist(),
            "onset_s": self.onset_s.tolist(),
            "duration_s": self.duration_s.tolist(),
            "amplitude": self.amplitude.tolist(),
            "spectrum": self.spectrum,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Score):
            return NotImplemented
        return (
            all(np.array_equal(getattr(self, f), getattr(other, f)) for f in _NOTE_FIELDS)
            and self.timbre == other.timbre
            and self.reference_hz == other.reference_hz
            and self.tempo_bpm == other.tempo_bpm
            and self.spectrum == other.spectrum
        )

    __hash__ = None  # type: ignore[assignment]


# ----------------------------------------------------------------------------------------
# score.json


def score_from_dict(data: object, *, where: str = "piece") -> Score:
    """Build one `Score` from its JSON form (see `Score.to_dict`), validating every field.

    Raises
    ------
    ScoreError
        A missing or mistyped field, ragged voices, NaN, negative onset/duration/amplitude; the
        message starts with ``where``.
    """
    if not isinstance(data, dict):
        raise ScoreError(
            f"{where}: expected an object with {', '.join(_NOTE_FIELDS)}, got {type(data).__name__}"
        )
    missing = [k for k in (*_NOTE_FIELDS, "timbre") if k not in data]
    if missing:
        raise ScoreError(
            f"{where}: missing field(s) {', '.join(repr(m) for m in missing)}; "
            f"a piece needs {', '.join(_NOTE_FIELDS)} and timbre"
        )
    arrays = {}
    for name in _NOTE_FIELDS:
        value = data[name]
        if not isinstance(value, list) or not all(isinstance(row, list) for row in value):
            raise ScoreError(f"{where}: '{name}' must be a list of voices, each a list of numbers")
        for v, row in enumerate(value):
            for n, x in enumerate(row):
                if isinstance(x, bool) or not isinstance(x, int | float):
                    shown = repr(x) if len(repr(x)) <= 40 else f"a {type(x).__name__}"
                    raise ScoreError(
                        f"{where}: voice {v + 1} note {n + 1}: {name} is {shown}; it must be a number"
                    )
                if isinstance(x, int) and x.bit_length() > 64:
                    raise ScoreError(
                        f"{where}: voice {v + 1} note {n + 1}: {name} is an integer of "
                        f"{x.bit_length()} bits; it must be a finite number in range"
                    )
        lengths = {len(row) for row in value}
        if len(lengths) > 1:
            raise ScoreError(
                f"{where}: '{name}' has voices of different lengths {sorted(lengths)}; "
                "pad short voices with silent notes (amplitude 0)"
            )
        arrays[name] = value
    for key in ("voices", "notes"):
        if key in data:
            expected = (
                len(arrays["cents"])
                if key == "voices"
                else (len(arrays["cents"][0]) if arrays["cents"] else 0)
            )
            if data[key] != expected:
                raise ScoreError(
                    f"{where}: '{key}' says {data[key]!r} but the arrays hold {expected}"
                )
    try:
        return Score(
            cents=arrays["cents"],
            onset_s=arrays["onset_s"],
            duration_s=arrays["duration_s"],
            amplitude=arrays["amplitude"],
            timbre=data["timbre"],
            reference_hz=data.get("reference_hz", DEFAULT_REFERENCE_HZ),
            tempo_bpm=data.get("tempo_bpm"),
            spectrum=data.get("spectrum"),
        )
    except ScoreError as e:
        msg = str(e)
        raise ScoreError(f"{where}: {msg.removeprefix('score: ')}") from None


def scores_to_json(scores: list[Score]) -> str:
    """The score.json text for ``scores`` (``{"format", "version", "pieces"}``)."""
    doc = {"format": FORMAT, "version": VERSION, "pieces": [s.to_dict() for s in scores]}
    return json.dumps(doc, indent=1, allow_nan=False) + "\n"


def scores_from_json(text: str, *, source: str = "score.json") -> list[Score]:
    """Parse and validate score.json text.

    Raises
    ------
    ScoreError
        Malformed JSON (with line and column), wrong format tag, unknown version, no pieces, or
        an invalid piece (see `score_from_dict`). Messages start with ``source``.
    """
    doc = parse_json(text, where=source, error=ScoreError, allow_nan=True)  # every value checked
    if not isinstance(doc, dict):
        raise ScoreError(f"{source}: expected a JSON object with format, version and pieces")
    if doc.get("format") != FORMAT:
        raise ScoreError(
            f"{source}: format is {doc.get('format')!r}, not {FORMAT!r}; this is not a xentune score "
            "(write one with `xentune generate`)"
        )
    if "version" not in doc:
        raise ScoreError(f"{source}: missing field 'version'; xentune writes version {VERSION}")
    if doc["version"] != VERSION:
        raise ScoreError(
            f"{source}: unknown version {doc['version']!r}; this xentune reads version {VERSION} "
            "(upgrade xentune or re-generate the score)"
        )
    pieces = doc.get("pieces")
    if pieces is None:
        raise ScoreError(f"{source}: missing field 'pieces' (a list of pieces)")
    if not isinstance(pieces, list) or not pieces:
        raise ScoreError(f"{source}: 'pieces' must be a non-empty list of pieces")
    return [score_from_dict(p, where=f"{source}: piece {k}") for k, p in enumerate(pieces, start=1)]


def save_scores(
    path: str | os.PathLike[str], scores: list[Score] | Score, *, force: bool = False
) -> Path:
    """Write pieces to score.json atomically.

    Parameters
    ----------
    path : path-like
        The .json file to write.
    scores : list of Score (or one Score)
        The pieces, at least one.
    force : bool
        Replace an existing file.

    Raises
    ------
    OutputExistsError, ConfigError
        The file exists (without ``force``) or its folder does not.
    ScoreError
        No pieces.
    """
    if isinstance(scores, Score):
        scores = [scores]
    scores = list(scores)
    if not scores:
        raise ScoreError(f"{path}: no pieces to save; give at least one Score")
    return write_text_atomic(path, scores_to_json(scores), force=force)


def load_scores(path: str | os.PathLike[str]) -> list[Score]:
    """Read and validate a score.json file.

    Raises
    ------
    ScoreError
        Missing, unreadable or invalid file (the message names the file and what is wrong).
    """
    p = Path(path)
    what = "score file (a score.json; a run folder holds one)"
    text = read_text(p, what=what, error=ScoreError, max_bytes=MAX_SCORE_FILE_BYTES)
    return scores_from_json(text, source=str(p))
