"""`MidiNotes`: notes as MIDI files carry them (Hz, onset, duration, velocity, channel, key)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from xentune.errors import MidiError

__all__ = ["MidiNotes"]


def _check(values: np.ndarray, ok: np.ndarray, name: str, rule: str) -> None:
    if not np.all(ok):
        i = int(np.argmin(ok))
        raise MidiError(f"MIDI notes: {name}[{i}] = {values[i]}: {rule}")


@dataclass(frozen=True, eq=False)
class MidiNotes:
    """A piece as notes of continuous pitch: what a MIDI file carries, in physical units.

    Attributes
    ----------
    freq_hz : np.ndarray, float64, shape (N,)
        Frequency of each note in Hz, > 0.
    onset_s : np.ndarray, float64, shape (N,)
        Start time in seconds, >= 0.
    duration_s : np.ndarray, float64, shape (N,)
        Length in seconds, > 0.
    velocity : np.ndarray, int64, shape (N,)
        MIDI velocity 1..127.
    voice : np.ndarray, int64, shape (N,)
        Voice (part) of each note, >= 0; each voice is one track of the file.

    Raises
    ------
    MidiError
        Arrays of different lengths, not 1-D, or values outside the ranges above.
    """

    freq_hz: np.ndarray
    onset_s: np.ndarray
    duration_s: np.ndarray
    velocity: np.ndarray
    voice: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        arrays = {
            "freq_hz": np.asarray(self.freq_hz, dtype=np.float64),
            "onset_s": np.asarray(self.onset_s, dtype=np.float64),
            "duration_s": np.asarray(self.duration_s, dtype=np.float64),
        }
        n = arrays["freq_hz"].shape
        voice = np.zeros(n, dtype=np.int64) if self.voice is None else self.voice
        for name, raw in (("velocity", self.velocity), ("voice", voice)):
            a = np.asarray(raw)
            if a.size and not np.all(np.isfinite(a.astype(np.float64))):
                raise MidiError(f"MIDI notes: {name} must be finite integers")
            if a.size and np.any(a.astype(np.float64) != np.round(a.astype(np.float64))):
                raise MidiError(
                    f"MIDI notes: {name} must be integers, got {a[a != np.round(a)][0]}"
                )
            arrays[name] = a.astype(np.int64)
        for name, a in arrays.items():
            if a.ndim != 1:
                raise MidiError(
                    f"MIDI notes: {name} must be 1-D (one value per note), got shape {a.shape}"
                )
            if a.shape != n:
                raise MidiError(
                    f"MIDI notes: {name} has {a.shape[0]} values but freq_hz has {n[0]}; "
                    "give one value per note"
                )
            a.setflags(write=False)
            object.__setattr__(self, name, a)
        f, t, d = arrays["freq_hz"], arrays["onset_s"], arrays["duration_s"]
        _check(f, (f > 0) & np.isfinite(f), "freq_hz", "every frequency must be finite and > 0 Hz")
        _check(t, (t >= 0) & np.isfinite(t), "onset_s", "every onset must be finite and >= 0 s")
        _check(d, (d > 0) & np.isfinite(d), "duration_s", "every duration must be finite and > 0 s")
        v = arrays["velocity"]
        _check(v, (v >= 1) & (v <= 127), "velocity", "velocities must be 1..127 (0 means note-off)")
        _check(arrays["voice"], arrays["voice"] >= 0, "voice", "voices must be >= 0")

    @property
    def n_notes(self) -> int:
        """Number of notes N."""
        return int(self.freq_hz.shape[0])

    def sorted(self) -> MidiNotes:
        """The same notes ordered by onset, then voice, then frequency."""
        order = np.lexsort((self.freq_hz, self.voice, self.onset_s))
        return MidiNotes(
            freq_hz=self.freq_hz[order],
            onset_s=self.onset_s[order],
            duration_s=self.duration_s[order],
            velocity=self.velocity[order],
            voice=self.voice[order],
        )
