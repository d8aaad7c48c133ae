"""Microtonal MIDI files: one note per channel with pitch bend (plain or MPE), or MTS sysex."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import mido
import numpy as np

from xentune import defaults
from xentune.atomic import atomic_file
from xentune.errors import MidiError
from xentune.tuning.midi_notes import MidiNotes
from xentune.units import hz_to_midi, midi_to_hz

__all__ = [
    "DEFAULT_MPE_BEND_RANGE",
    "DRUM_CHANNEL",
    "MELODIC_CHANNELS",
    "MPE_MANAGER_CHANNEL",
    "MPE_MEMBER_CHANNELS",
    "bend_value",
    "hz_to_mts",
    "mts_to_hz",
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
MTS_MIN_HZ = midi_to_hz(0.0)
MTS_MAX_HZ = midi_to_hz(127 + 16382 / 16384)
#: A key retuned in MTS mode is not reused for another pitch until this long after its note-off
#: (when a free key nearby allows): real-time tuning changes also move notes still in release.
KEY_RELEASE_GUARD_S = 1.0

_RPN_BEND_RANGE = 0
_RPN_TUNING_PROGRAM = 3
_RPN_TUNING_BANK = 4
_RPN_MPE_CONFIGURATION = 6
#: Keys tried on each side of the nearest one when a wide bend range quantises coarsely.
_MPE_KEY_SEARCH = 2


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
    note = hz_to_midi(freq_hz)
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
    return midi_to_hz(xx + ((yy << 7) | zz) / 16384)


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
    semis = hz_to_midi(freq_hz)  # (N,) fractional 12-EDO keys
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
    return np.floor(hz_to_midi(freq_hz) + 0.5).astype(np.int64)


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
    semis = hz_to_midi(notes.freq_hz) - keys  # (N,) in [-0.5, 0.5]
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
        nearest = min(max(round(hz_to_midi(notes.freq_hz[i])), 0), 127)
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
