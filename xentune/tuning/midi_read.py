"""Read a Standard MIDI File back as notes in Hz: pitch bend, MPE and MIDI Tuning Standard sysex."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import mido
import numpy as np

from xentune.errors import MidiError
from xentune.tuning.midi import (
    _RPN_BEND_RANGE,
    _RPN_TUNING_BANK,
    _RPN_TUNING_PROGRAM,
    mts_to_hz,
)
from xentune.tuning.midi_notes import MidiNotes
from xentune.units import midi_to_hz

__all__ = ["read_midi"]


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
            hz = midi_to_hz(msg.note)
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
