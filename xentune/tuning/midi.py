"""Microtonal MIDI files: one note per channel with pitch bend (plain or MPE), or MTS sysex."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

import mido
import numpy as np

from xentune import defaults
from xentune.atomic import atomic_file
from xentune.errors import MidiError

__all__ = [
    "DEFAULT_MPE_BEND_RANGE",
    "DRUM_CHANNEL",
    "MELODIC_CHANNELS",
    "MPE_MANAGER_CHANNEL",
    "MPE_MEMBER_CHANNELS",
    "MidiNotes",
    "bend_value",
    "hz_to_mts",
    "mts_to_hz",
    "read_midi",
    "write_midi",
]

#: Channel index 9 (channel 10 to musicians) plays drums in General MIDI: never used.
DRUM_CHANNEL = 9
#: The 15 channels used for notes, in rotation order.
MELODIC_CHANNELS = tuple(c for c in range(16) if c != DRUM_CHANNEL)
#: Ticks per quarter note of written files; at the default 120 bpm one tick is 1/1920 s (0.52 ms).
TICKS_PER_BEAT = 960
#: Microseconds per quarter note of written files at the default tempo (120 bpm).
TEMPO_US = 500_000
#: MPE lower zone (MIDI Polyphonic Expression 1.0): manager channel 1 (index 0), members 2..16.
MPE_MANAGER_CHANNEL = 0
MPE_MEMBER_CHANNELS = tuple(range(1, 16))
#: The MPE default pitch-bend range of member channels, in semitones (what Live 12 expects).
DEFAULT_MPE_BEND_RANGE = defaults.DEFAULT_MPE_BEND_RANGE
#: Largest pitch-bend range MPE allows (RPN 0 on member channels), in semitones.
MAX_MPE_BEND_RANGE = 96
#: MTS device id: 7F = all devices (FluidSynth accepts only its own id, 0 by default, or 7F).
MTS_DEVICE_ALL = 0x7F
#: The tuning program (and bank) the MTS mode writes and selects with RPN 3 / RPN 4.
MTS_PROGRAM = 0
MTS_BANK = 0
#: Lowest and highest frequencies of an MTS frequency word (00 00 00 and 7F 7F 7E), in Hz.
MTS_MIN_HZ = 440.0 * 2.0 ** ((0 - 69) / 12)
MTS_MAX_HZ = 440.0 * 2.0 ** ((127 + 16382 / 16384 - 69) / 12)
#: A key retuned in MTS mode is not reused for another pitch until this long after its note-off
#: (when a free key nearby allows): real-time tuning changes also move notes still in release.
KEY_RELEASE_GUARD_S = 1.0

_RPN_BEND_RANGE = 0
_RPN_TUNING_PROGRAM = 3
_RPN_TUNING_BANK = 4
_RPN_MPE_CONFIGURATION = 6
#: Keys tried on each side of the nearest one when a wide bend range quantises coarsely.
_MPE_KEY_SEARCH = 2


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


def _check(values: np.ndarray, ok: np.ndarray, name: str, rule: str) -> None:
    if not np.all(ok):
        i = int(np.argmin(ok))
        raise MidiError(f"MIDI notes: {name}[{i}] = {values[i]}: {rule}")


# ---------------------------------------------------------------------------------------------
# Encodings
# ---------------------------------------------------------------------------------------------


def hz_to_mts(freq_hz: float) -> tuple[int, int, int]:
    """The MTS frequency word ``(xx, yy, zz)`` of a frequency (MIDI Tuning Standard).

    ``xx`` is the 12-EDO key at or below the pitch (A4 = 69 = 440 Hz) and ``yy << 7 | zz`` the
    fraction of a semitone above it in units of 100/16384 cents (0.0061 cents).

    Raises
    ------
    MidiError
        Outside 8.18 Hz .. 13289.7 Hz (00 00 00 .. 7F 7F 7E; 7F 7F 7F means "no change").

    Examples
    --------
    >>> hz_to_mts(440.0), hz_to_mts(261.6255653005986)
    ((69, 0, 0), (60, 0, 0))
    """
    if not (MTS_MIN_HZ * (1 - 1e-12) <= freq_hz <= MTS_MAX_HZ * (1 + 1e-12)):
        raise MidiError(
            f"frequency {freq_hz} Hz: MIDI Tuning Standard covers {MTS_MIN_HZ:.2f}..{MTS_MAX_HZ:.1f} Hz; "
            "move the piece into that range"
        )
    note = 69.0 + 12.0 * math.log2(freq_hz / 440.0)
    xx = max(math.floor(note), 0)
    frac = round((note - xx) * 16384)
    if frac >= 16384:
        xx, frac = xx + 1, 0
    if xx >= 127 and frac > 16382:  # the top word 7F 7F 7F is reserved
        xx, frac = 127, 16382
    frac = max(frac, 0)
    return xx, frac >> 7, frac & 0x7F


def mts_to_hz(xx: int, yy: int, zz: int) -> float:
    """Frequency in Hz of an MTS frequency word (inverse of `hz_to_mts`)."""
    return 440.0 * 2.0 ** ((xx + ((yy << 7) | zz) / 16384 - 69) / 12)


def bend_value(semitones: float, bend_range_semitones: float) -> int:
    """Pitch-wheel value in mido's -8192..8191 for a bend of ``semitones``.

    ``round(8192 * semitones / range)``, clamped to 8191: the wheel is asymmetric, its top is
    8191/8192 of the range.
    """
    return max(-8192, min(8191, round(8192 * semitones / bend_range_semitones)))


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Event:
    tick: int
    order: int  # at one tick: note-offs (0), set-up (1), tuning/bend (2), note-ons (3)
    seq: int
    track: int
    message: mido.Message


def _rpn(channel: int, number: int, msb: int, lsb: int | None = 0) -> list[mido.Message]:
    msgs = [
        mido.Message("control_change", channel=channel, control=101, value=0),
        mido.Message("control_change", channel=channel, control=100, value=number),
        mido.Message("control_change", channel=channel, control=6, value=msb),
    ]
    if lsb is not None:
        msgs.append(mido.Message("control_change", channel=channel, control=38, value=lsb))
    msgs += [  # RPN null: later data-entry messages change nothing
        mido.Message("control_change", channel=channel, control=101, value=127),
        mido.Message("control_change", channel=channel, control=100, value=127),
    ]
    return msgs


def _seconds_to_tick(seconds: np.ndarray, tempo_us: int = TEMPO_US) -> np.ndarray:
    ticks_per_s = TICKS_PER_BEAT * 1e6 / tempo_us
    return np.rint(seconds * ticks_per_s).astype(np.int64)


def _tempo_us(tempo_bpm: float) -> int:
    return round(60e6 / tempo_bpm)


def _finest_keys(freq_hz: np.ndarray, bend_range: int) -> tuple[np.ndarray, np.ndarray]:
    """Per note, the key (near the pitch) whose bend lands closest to it, and that bend.

    A wide bend range quantises coarsely (48 semitones: 4800/8192 = 0.59 cents a step), but
    100 cents is not a whole number of steps (170 2/3 at range 48), so the neighbouring keys
    land on other sub-step phases: of the nearest key and the ``_MPE_KEY_SEARCH`` keys on each
    side, the one with the smallest rounding error is taken (the nearest on ties). At range 48
    the error is at most 1/6 of a step, 0.098 cents, instead of 0.29.
    """
    semis = 69.0 + 12.0 * np.log2(freq_hz / 440.0)  # (N,) fractional 12-EDO keys
    nearest = np.floor(semis + 0.5).astype(np.int64)  # (N,)
    offsets = np.array(
        sorted(range(-_MPE_KEY_SEARCH, _MPE_KEY_SEARCH + 1), key=lambda o: (abs(o), o))
    )  # (K,) nearest first
    keys = nearest[:, None] + offsets[None, :]  # (N, K)
    bend_semis = semis[:, None] - keys  # (N, K)
    bends = np.clip(np.rint(8192 * bend_semis / bend_range), -8192, 8191)  # (N, K) wheel units
    error = np.abs(bends * bend_range / 8192 - bend_semis)  # (N, K) semitones
    error = np.where((keys < 0) | (keys > 127), np.inf, error)
    best = np.argmin(np.round(error, 12), axis=1)  # (N,) first (nearest) of the smallest
    rows = np.arange(keys.shape[0])
    return keys[rows, best], bends[rows, best].astype(np.int64)


def _note_keys(freq_hz: np.ndarray) -> np.ndarray:
    """Nearest 12-EDO key of each frequency (A4 = 69 = 440 Hz)."""
    return np.floor(69.0 + 12.0 * np.log2(freq_hz / 440.0) + 0.5).astype(np.int64)


def _keep_off_before_on(events: list[_Event], index: int | None, tick: int, track: int) -> None:
    """Move a note-off that falls on the tick of the next note using its channel (or key) into
    that note's track: within one track note-offs come first at a tick, across tracks players
    go in track order, which could put the new bend or retuning before the old note-off."""
    if index is not None and events[index].tick == tick and events[index].track != track:
        events[index] = replace(events[index], track=track)


def _bend_events(
    notes: MidiNotes,
    on: np.ndarray,
    off: np.ndarray,
    bend_range: int,
    *,
    channels: tuple[int, ...] = MELODIC_CHANNELS,
    finest: bool = False,
) -> tuple[list[_Event], set[int]]:
    """One sounding note per channel; each new note takes the channel silent for longest.

    ``channels`` are the channels to rotate through; the GM drum channel, if among them, is
    taken last. ``finest`` picks the key with the smallest bend rounding error (`_finest_keys`)
    instead of the nearest key.
    """
    keys = _note_keys(notes.freq_hz)
    bad = np.flatnonzero((keys < 0) | (keys > 127))
    if bad.size:
        i = int(bad[0])
        raise MidiError(
            f"MIDI notes: freq_hz[{i}] = {notes.freq_hz[i]:.3f} Hz is outside the MIDI keyboard "
            "(8.18..12543.9 Hz); move the piece into that range"
        )
    semis = 69.0 + 12.0 * np.log2(notes.freq_hz / 440.0) - keys  # (N,) in [-0.5, 0.5]
    bends = [bend_value(float(x), bend_range) for x in semis]
    if finest:
        keys, fine = _finest_keys(notes.freq_hz, bend_range)
        bends = [int(b) for b in fine]
    free_since = dict.fromkeys(channels, -1)  # channel -> tick its last note ended
    busy_until: dict[int, int] = {}
    last_off: dict[int, int] = {}  # channel -> index in events of its last note-off
    bend_now: dict[int, int] = {}
    events: list[_Event] = []
    order = np.lexsort((notes.voice, on))
    for seq, i in enumerate(order):
        t0, t1 = int(on[i]), int(off[i])
        free = [c for c in channels if busy_until.get(c, -1) <= t0]
        if not free:
            raise MidiError(
                f"MIDI notes: more than {len(channels)} notes sound at once at "
                f"{notes.onset_s[i]:.3f} s; pitch-bend modes have one note per channel and "
                f"{len(channels)} channels: use mode='mts', or fewer voices"
            )
        # the longest silent (releases fade); the GM drum channel only when nothing else is free
        ch = min(free, key=lambda c: (c == DRUM_CHANNEL, free_since[c], c))
        busy_until[ch] = t1
        free_since[ch] = t1
        track = int(notes.voice[i]) + 1
        _keep_off_before_on(events, last_off.get(ch), t0, track)
        bend = bends[i]
        if bend_now.get(ch) != bend:
            msg = mido.Message("pitchwheel", channel=ch, pitch=bend)
            events.append(_Event(t0, 2, seq, track, msg))
            bend_now[ch] = bend
        key, vel = int(keys[i]), int(notes.velocity[i])
        events.append(
            _Event(t0, 3, seq, track, mido.Message("note_on", channel=ch, note=key, velocity=vel))
        )
        last_off[ch] = len(events)
        events.append(
            _Event(t1, 0, seq, track, mido.Message("note_off", channel=ch, note=key, velocity=0))
        )
    return events, set(busy_until)


def _mts_events(notes: MidiNotes, on: np.ndarray, off: np.ndarray) -> tuple[list[_Event], set[int]]:
    """One channel per voice; each note retunes a key that is not sounding, then plays it."""
    words = [hz_to_mts(float(f)) for f in notes.freq_hz]
    guard = int(_seconds_to_tick(np.array(KEY_RELEASE_GUARD_S)))
    key_busy_until: dict[int, int] = {}  # key -> tick its last note ends
    key_word: dict[int, tuple[int, int, int]] = {}
    last_off: dict[int, int] = {}  # key -> index in events of its last note-off
    events: list[_Event] = []
    channels: set[int] = set()
    order = np.lexsort((notes.voice, on))
    for seq, i in enumerate(order):
        t0, t1 = int(on[i]), int(off[i])
        word = words[i]
        nearest = min(max(round(69 + 12 * math.log2(notes.freq_hz[i] / 440.0)), 0), 127)
        candidates = sorted(range(128), key=lambda k: (abs(k - nearest), k))

        def ok(k: int, guard_ticks: int, t0: int = t0, word: tuple[int, int, int] = word) -> bool:
            end = key_busy_until.get(k)
            return end is None or (
                end <= t0 and (key_word.get(k) == word or end + guard_ticks <= t0)
            )

        key = next((k for k in candidates if ok(k, guard)), None)
        if key is None:
            key = next((k for k in candidates if ok(k, 0)), None)
        if key is None:
            raise MidiError(
                f"MIDI notes: more than 128 notes sound at once at {notes.onset_s[i]:.3f} s; "
                "MTS mode retunes one key per sounding note"
            )
        key_busy_until[key] = t1
        voice = int(notes.voice[i])
        ch = MELODIC_CHANNELS[voice % len(MELODIC_CHANNELS)]
        channels.add(ch)
        track = voice + 1
        _keep_off_before_on(events, last_off.get(key), t0, track)
        if key_word.get(key) != word:
            data = [0x7F, MTS_DEVICE_ALL, 0x08, 0x02, MTS_PROGRAM, 1, key, *word]
            events.append(_Event(t0, 2, seq, track, mido.Message("sysex", data=data)))
            key_word[key] = word
        vel = int(notes.velocity[i])
        events.append(
            _Event(t0, 3, seq, track, mido.Message("note_on", channel=ch, note=key, velocity=vel))
        )
        last_off[key] = len(events)
        events.append(
            _Event(t1, 0, seq, track, mido.Message("note_off", channel=ch, note=key, velocity=0))
        )
    return events, channels


def _build_file(
    notes: MidiNotes,
    *,
    mode: Literal["bend", "mts", "mpe"],
    bend_range_semitones: int,
    tempo_us: int = TEMPO_US,
) -> mido.MidiFile:
    on = _seconds_to_tick(notes.onset_s, tempo_us)  # (N,) ticks
    off = np.maximum(_seconds_to_tick(notes.onset_s + notes.duration_s, tempo_us), on + 1)
    if mode == "bend":
        events, channels = _bend_events(notes, on, off, bend_range_semitones)
    elif mode == "mpe":
        events, _ = _bend_events(
            notes, on, off, bend_range_semitones, channels=MPE_MEMBER_CHANNELS, finest=True
        )
        channels = set(MPE_MEMBER_CHANNELS)  # every member gets the bend range
    else:
        events, channels = _mts_events(notes, on, off)
    n_tracks = int(notes.voice.max()) + 1 if notes.n_notes else 1
    setup: list[_Event] = []
    if mode == "mpe":  # MPE Configuration Message first: a lower zone of 15 member channels
        mcm = _rpn(MPE_MANAGER_CHANNEL, _RPN_MPE_CONFIGURATION, len(MPE_MEMBER_CHANNELS), None)
        setup += [_Event(0, 1, -2, 1, m) for m in mcm]
    for ch in sorted(channels):  # set-up goes on the first voice track, at tick 0
        if mode in ("bend", "mpe"):
            msgs = _rpn(ch, _RPN_BEND_RANGE, bend_range_semitones, 0)
        else:  # select tuning bank, then program (FluidSynth activates on the program RPN)
            msgs = _rpn(ch, _RPN_TUNING_BANK, MTS_BANK, None) + _rpn(
                ch, _RPN_TUNING_PROGRAM, MTS_PROGRAM, None
            )
        msgs.append(mido.Message("program_change", channel=ch, program=0))
        setup += [_Event(0, 1, -1, 1, m) for m in msgs]
    mid = mido.MidiFile(type=1, ticks_per_beat=TICKS_PER_BEAT)
    conductor = mido.MidiTrack()
    conductor.append(mido.MetaMessage("track_name", name="xentune", time=0))
    conductor.append(mido.MetaMessage("set_tempo", tempo=tempo_us, time=0))
    conductor.append(mido.MetaMessage("time_signature", numerator=4, denominator=4, time=0))
    conductor.append(mido.MetaMessage("end_of_track", time=0))
    mid.tracks.append(conductor)
    by_track: dict[int, list[_Event]] = {t: [] for t in range(1, n_tracks + 1)}
    for ev in setup + events:
        by_track[ev.track].append(ev)
    for t in range(1, n_tracks + 1):
        track = mido.MidiTrack()
        track.append(mido.MetaMessage("track_name", name=f"voice {t}", time=0))
        last = 0
        for ev in sorted(by_track[t], key=lambda e: (e.tick, e.order, e.seq)):
            track.append(ev.message.copy(time=ev.tick - last))
            last = ev.tick
        track.append(mido.MetaMessage("end_of_track", time=0))
        mid.tracks.append(track)
    return mid


def write_midi(
    path: str | os.PathLike[str],
    notes: MidiNotes,
    *,
    mode: Literal["bend", "mts", "mpe"] = "bend",
    bend_range_semitones: int | None = None,
    tempo_bpm: float = 120.0,
    force: bool = False,
) -> Path:
    """Write notes of continuous pitch to a Standard MIDI File (type 1), atomically.

    Three encodings of the exact pitches (tuning.md §4):

    - ``mode="bend"``: each note is the nearest 12-EDO key plus a pitch bend of at most half a
      semitone, on a channel of its own (channels 1..16 without 10, the GM drum channel). The
      bend range is set with RPN 0 on every channel used, each bend is sent before its note-on,
      and a channel is reused only after its note ended, taking the channel silent longest so
      that a bend never moves a sounding note (nor, as far as possible, one in its release).
      Resolution 200/8192 = 0.024 cents at range 2. Plays in any synth; at most 15 notes at once.
    - ``mode="mts"``: a MIDI Tuning Standard real-time single-note tuning change
      (``F0 7F 7F 08 02 00 01 kk xx yy zz F7``) retunes key ``kk`` of tuning program 0 just before
      each note plays it (resolution 0.0061 cents). Each voice plays on its own channel, which
      selects tuning bank 0 / program 0 with RPN 4 / RPN 3 at the start: FluidSynth stores 08 02
      changes but applies them only to channels that selected the tuning (without the RPN it
      plays 12-EDO). A key is retuned only while silent, the nearest one to the pitch first.
    - ``mode="mpe"``: MIDI Polyphonic Expression (MMA/AMEI MPE 1.0), lower zone. The MPE
      Configuration Message (RPN 6 = 15 on manager channel 1) opens with member channels 2..16;
      RPN 0 sets each member's bend range (default 48 semitones, the MPE default that Ableton
      Live 12 needs for MPE tuning); each note then plays as in bend mode on a member channel
      of its own, so no two sounding notes share a channel. At range 48 a wheel step is 0.59
      cents, so the key whose bend rounds closest to the pitch is chosen among the nearest and
      its neighbours (at most 0.098 cents off, see `_finest_keys`); channel 10 is used last.

    Each voice is one track ("voice 1", ...), after a conductor track with the tempo. Times are
    rounded to ticks (1/1920 s at 120 bpm); the tempo changes the ticks, not the times.

    Parameters
    ----------
    path : path-like
        The ``.mid`` file to write.
    notes : MidiNotes
        The notes (N may be 0: a file with no notes).
    mode : {"bend", "mts", "mpe"}
        The encoding.
    bend_range_semitones : int, optional
        Pitch-bend range in semitones set with RPN 0: 1..24 in bend mode (default 2), 1..96 in
        MPE mode (default `DEFAULT_MPE_BEND_RANGE`, 48).
    tempo_bpm : float
        Tempo written to the file (a DAW's bar lines), > 0 and at most 1000 bpm.
    force : bool
        Replace an existing file.

    Returns
    -------
    Path

    Raises
    ------
    MidiError
        Unknown mode, bad bend range, pitches outside the MIDI range, too many simultaneous notes.
    OutputExistsError
        ``path`` exists and ``force`` is false.
    """
    if mode not in ("bend", "mts", "mpe"):
        raise MidiError(
            f"MIDI mode {mode!r}: must be 'bend' (pitch bend), 'mts' (tuning sysex) or 'mpe'"
        )
    top = MAX_MPE_BEND_RANGE if mode == "mpe" else 24
    if bend_range_semitones is None:
        bend_range_semitones = DEFAULT_MPE_BEND_RANGE if mode == "mpe" else 2
    if (
        isinstance(bend_range_semitones, bool)
        or not isinstance(bend_range_semitones, int)
        or not (1 <= bend_range_semitones <= top)
    ):
        raise MidiError(
            f"bend range {bend_range_semitones}: must be a whole number of semitones 1..{top} "
            f"(e.g. {DEFAULT_MPE_BEND_RANGE if mode == 'mpe' else 2})"
        )
    if not (
        isinstance(tempo_bpm, int | float)
        and not isinstance(tempo_bpm, bool)
        and math.isfinite(tempo_bpm)
        and 0 < tempo_bpm <= 1000
    ):
        raise MidiError(f"tempo {tempo_bpm} bpm: must be a number > 0 and <= 1000 (e.g. 120)")
    if not isinstance(notes, MidiNotes):
        raise MidiError(f"write_midi needs MidiNotes, got {type(notes).__name__}")
    mid = _build_file(
        notes,
        mode=mode,
        bend_range_semitones=bend_range_semitones,
        tempo_us=_tempo_us(float(tempo_bpm)),
    )
    with atomic_file(path, force=force) as tmp:
        mid.save(filename=str(tmp))
    return Path(path)


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@dataclass
class _ChannelState:
    bend: int = 0  # mido pitch, -8192..8191
    bend_range_semitones: int = 2  # RPN 0 data MSB (GM default 2)
    bend_range_cents: int = 0  # RPN 0 data LSB
    rpn: tuple[int, int] = (127, 127)
    tuning_bank: int = 0
    tuning_program: int | None = None  # None: no MTS tuning selected (plays 12-EDO keys)


def _absolute_events(mid: mido.MidiFile) -> Iterator[tuple[int, int, int, mido.Message]]:
    """(tick, track, index, message) of every event, in playing order."""
    events = []
    for t, track in enumerate(mid.tracks):
        tick = 0
        for j, msg in enumerate(track):
            tick += msg.time
            events.append((tick, t, j, msg))
    events.sort(key=lambda e: (e[0], e[1], e[2]))
    return iter(events)


def read_midi(path: str | os.PathLike[str]) -> MidiNotes:
    """Read the notes of a MIDI file back into frequencies (the inverse of `write_midi`).

    Follows what a synth does: the pitch of a note is fixed at its note-on by the channel's
    pitch bend (range from RPN 0, default 2 semitones) and, when the channel selected an MTS
    tuning program (RPN 3), that program's tuning of the key (08 02 and 08 07 single-note
    changes; untouched keys stay 12-EDO). Times follow the file's tempo map. The voice of a note
    is the index of its track among the tracks that have notes (channels rotate in bend mode,
    so they do not identify voices). A note still on at the end of the file ends there.

    Parameters
    ----------
    path : path-like
        A Standard MIDI File (type 0 or 1).

    Returns
    -------
    MidiNotes
        Sorted by onset, then voice, then frequency.

    Raises
    ------
    MidiError
        Missing, unreadable or malformed file.
    """
    p = Path(path)
    if not p.is_file():
        raise MidiError(f"{p}: no such MIDI file; check the path")
    try:
        mid = mido.MidiFile(filename=str(p))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as e:
        raise MidiError(f"{p}: not a readable Standard MIDI File ({e}); give a .mid file") from None
    if mid.type == 2:
        raise MidiError(
            f"{p}: MIDI file type 2 (independent sequences) is not supported; use type 0 or 1"
        )

    # tempo map: seconds at each tick, from set_tempo events of any track
    tempo_changes = sorted(
        (tick, msg.tempo) for tick, _, _, msg in _absolute_events(mid) if msg.type == "set_tempo"
    )
    seg_ticks, seg_seconds, seg_tempo = [0], [0.0], [500_000]
    for tick, tempo in tempo_changes:
        seg_seconds.append(
            seg_seconds[-1] + (tick - seg_ticks[-1]) * seg_tempo[-1] / 1e6 / mid.ticks_per_beat
        )
        seg_ticks.append(tick)
        seg_tempo.append(tempo)

    def seconds(tick: int) -> float:
        k = int(np.searchsorted(seg_ticks, tick, side="right")) - 1
        return seg_seconds[k] + (tick - seg_ticks[k]) * seg_tempo[k] / 1e6 / mid.ticks_per_beat

    channels = [_ChannelState() for _ in range(16)]
    tunings: dict[tuple[int, int], dict[int, float]] = {}
    sounding: dict[tuple[int, int], list[tuple[int, float, int, int]]] = {}
    out: list[tuple[float, float, float, int, int]] = []  # onset, duration, freq, velocity, track
    last_tick = 0
    for tick, track, _, msg in _absolute_events(mid):
        last_tick = max(last_tick, tick)
        if msg.type == "sysex":
            _apply_sysex(msg.data, tunings)
        elif msg.type == "control_change":
            _apply_cc(channels[msg.channel], msg.control, msg.value)
        elif msg.type == "pitchwheel":
            channels[msg.channel].bend = msg.pitch
        elif msg.type == "note_on" and msg.velocity > 0:
            st = channels[msg.channel]
            hz = 440.0 * 2.0 ** ((msg.note - 69) / 12)
            if st.tuning_program is not None:
                hz = tunings.get((st.tuning_bank, st.tuning_program), {}).get(msg.note, hz)
            bend_range = st.bend_range_semitones + st.bend_range_cents / 100
            hz *= 2.0 ** (st.bend / 8192 * bend_range / 12)
            sounding.setdefault((msg.channel, msg.note), []).append((tick, hz, msg.velocity, track))
        elif msg.type in ("note_off", "note_on"):
            started = sounding.get((msg.channel, msg.note))
            if started:
                t0, hz, vel, tr = started.pop(0)
                out.append((seconds(t0), seconds(tick) - seconds(t0), hz, vel, tr))
    for started in sounding.values():
        for t0, hz, vel, tr in started:
            out.append((seconds(t0), seconds(last_tick) - seconds(t0), hz, vel, tr))
    out = [o for o in out if o[1] > 0]  # a note-off at its own note-on tick is a zero-length note
    tracks_with_notes = sorted({o[4] for o in out})
    voice_of = {t: v for v, t in enumerate(tracks_with_notes)}
    notes = MidiNotes(
        freq_hz=np.array([o[2] for o in out], dtype=np.float64),
        onset_s=np.array([o[0] for o in out], dtype=np.float64),
        duration_s=np.array([o[1] for o in out], dtype=np.float64),
        velocity=np.array([o[3] for o in out], dtype=np.int64),
        voice=np.array([voice_of[o[4]] for o in out], dtype=np.int64),
    )
    return notes.sorted()


def _apply_cc(st: _ChannelState, control: int, value: int) -> None:
    if control == 101:
        st.rpn = (value, st.rpn[1])
    elif control == 100:
        st.rpn = (st.rpn[0], value)
    elif control in (6, 38):
        msb, lsb = st.rpn
        if msb != 0:
            return
        if lsb == _RPN_BEND_RANGE and control == 6:
            st.bend_range_semitones = value
        elif lsb == _RPN_BEND_RANGE:
            st.bend_range_cents = value
        elif lsb == _RPN_TUNING_PROGRAM and control == 6:
            st.tuning_program = value
        elif lsb == _RPN_TUNING_BANK and control == 6:
            st.tuning_bank = value


def _apply_sysex(data: tuple[int, ...], tunings: dict[tuple[int, int], dict[int, float]]) -> None:
    """Single-note tuning changes (08 02, and 08 07 with a bank) into ``tunings``."""
    if len(data) < 6 or data[0] not in (0x7E, 0x7F) or data[2] != 0x08:
        return
    if data[3] == 0x02:
        bank, prog, count, body = 0, data[4], data[5], data[6:]
    elif data[3] == 0x07 and len(data) >= 7:
        bank, prog, count, body = data[4], data[5], data[6], data[7:]
    else:
        return
    table = tunings.setdefault((bank, prog), {})
    for j in range(min(count, len(body) // 4)):
        kk, xx, yy, zz = body[4 * j : 4 * j + 4]
        if (xx, yy, zz) != (0x7F, 0x7F, 0x7F):  # 7F 7F 7F: no change
            table[kk] = mts_to_hz(xx, yy, zz)
