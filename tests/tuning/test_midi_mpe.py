"""MPE MIDI files (``write_midi(mode="mpe")``) decoded independently with mido.

The decoder below follows the MPE 1.0 specification (MMA/AMEI RP-053) and the MIDI 1.0 RPN
rules directly, not ``read_midi``: the MPE Configuration Message is RPN 6 on the manager
channel (channel 1 for a lower zone) with data entry MSB = the number of member channels;
RPN 0 sets a channel's pitch-bend range (MSB semitones, LSB cents); a note's pitch is its key
plus the channel's bend at its note-on.
"""

from __future__ import annotations

from pathlib import Path

import mido
import numpy as np
import pytest

from xentune.errors import MidiError
from xentune.tuning.midi import write_midi
from xentune.tuning.midi_notes import MidiNotes


def _notes(seed: int = 0, n: int = 300, voices: int = 6) -> MidiNotes:
    rng = np.random.default_rng(seed)
    onset = np.sort(rng.uniform(0.0, 30.0, n))
    return MidiNotes(
        freq_hz=261.6256 * 2 ** (rng.uniform(-2400.0, 2400.0, n) / 1200.0),
        onset_s=onset,
        duration_s=rng.uniform(0.05, 1.0, n),
        velocity=rng.integers(1, 128, n),
        voice=rng.integers(0, voices, n),
    )


def _decode(path: Path) -> dict:
    """Everything the MPE checks need, read with mido alone."""
    mid = mido.MidiFile(path)
    events = []  # (absolute tick, message) in playing order, merged by mido itself
    tick = 0
    for msg in mido.merge_tracks(mid.tracks):
        tick += msg.time
        events.append((tick, msg))
    tempos = [m.tempo for _, m in events if m.type == "set_tempo"]
    assert len(tempos) == 1
    tempo = tempos[0]
    rpn = {c: [127, 127] for c in range(16)}
    bend_range = dict.fromkeys(range(16), 2.0)  # GM default before any RPN 0
    bend = dict.fromkeys(range(16), 0)
    mcm: list[tuple[int, int, int]] = []  # (tick, channel, member count)
    sounding: dict[int, tuple[int, int]] = {}  # channel -> (key, start tick)
    notes = []  # (onset_s, freq_hz, velocity, channel)
    overlaps = 0
    for tick, msg in events:
        if msg.type == "control_change":
            c = msg.channel
            if msg.control == 101:
                rpn[c][0] = msg.value
            elif msg.control == 100:
                rpn[c][1] = msg.value
            elif msg.control == 6 and rpn[c] == [0, 6]:
                mcm.append((tick, c, msg.value))
            elif msg.control == 6 and rpn[c] == [0, 0]:
                bend_range[c] = float(msg.value)
            elif msg.control == 38 and rpn[c] == [0, 0]:
                bend_range[c] = int(bend_range[c]) + msg.value / 100
        elif msg.type == "pitchwheel":
            bend[msg.channel] = msg.pitch
        elif msg.type == "note_on" and msg.velocity > 0:
            if msg.channel in sounding:
                overlaps += 1
            sounding[msg.channel] = (msg.note, tick)
            semis = msg.note + bend[msg.channel] / 8192 * bend_range[msg.channel]
            hz = 440.0 * 2 ** ((semis - 69) / 12)
            seconds = tick * tempo / 1e6 / mid.ticks_per_beat
            notes.append((seconds, hz, msg.velocity, msg.channel))
        elif msg.type in ("note_on", "note_off"):
            if sounding.get(msg.channel, (None,))[0] == msg.note:
                del sounding[msg.channel]
    return {
        "tempo_bpm": 60e6 / tempo,
        "mcm": mcm,
        "bend_range": bend_range,
        "notes": notes,
        "overlaps": overlaps,
        "first_note_tick": min(t for t, m in events if m.type == "note_on"),
    }


@pytest.mark.parametrize("bend_range", [48, 24, 96, 2])
def test_mpe_file_decodes_with_mido(tmp_path: Path, bend_range: int) -> None:
    notes = _notes()
    path = write_midi(
        tmp_path / "piece-mpe.mid",
        notes,
        mode="mpe",
        bend_range_semitones=bend_range,
        tempo_bpm=100,
    )
    d = _decode(path)
    # MCM: RPN 6 on channel 1 (index 0), a lower zone of 15 member channels, before any note
    assert d["mcm"] == [(0, 0, 15)]
    assert d["first_note_tick"] >= d["mcm"][0][0]
    # bend range (RPN 0) on every member channel 2..16
    assert all(d["bend_range"][c] == bend_range for c in range(1, 16))
    # no two sounding notes share a channel; notes only on member channels
    assert d["overlaps"] == 0
    assert {n[3] for n in d["notes"]} <= set(range(1, 16))
    # every note within 0.1 cents, with the score's onsets, velocities and tempo
    ref = notes.sorted()
    got = sorted(d["notes"], key=lambda n: (round(n[0], 6), n[1]))
    order = np.lexsort((ref.freq_hz, np.round(ref.onset_s, 3)))
    assert len(got) == ref.n_notes
    got_hz = np.array([n[1] for n in got])
    want_hz = ref.freq_hz[order]
    cents = 1200 * np.abs(np.log2(np.sort(got_hz) / np.sort(want_hz)))
    per_note = 1200 * np.abs(np.log2(got_hz / want_hz))
    print(f"range {bend_range}: max |error| {per_note.max():.4f} cents over {len(got)} notes")
    # a wheel step is 100 * range / 8192 cents; the key choice cuts the rounding to 1/6 step
    # (0.098 cents at 48); at 96 that is 0.195 cents, so the 0.1-cent promise is for <= 48
    bound = 0.1 if bend_range <= 48 else 100 * bend_range / 8192 / 6 + 1e-9
    assert per_note.max() <= bound
    assert cents.max() <= bound
    assert np.allclose([n[0] for n in got], ref.onset_s[order], atol=1e-3)
    assert sorted(n[2] for n in got) == sorted(ref.velocity.tolist())
    assert d["tempo_bpm"] == pytest.approx(100.0, rel=1e-6)


def test_mpe_keeps_channel_10_for_last(tmp_path: Path) -> None:
    """With at most 14 notes at once, the GM drum channel (10) is never used."""
    d = _decode(write_midi(tmp_path / "a.mid", _notes(n=60, voices=4), mode="mpe"))
    assert 9 not in {n[3] for n in d["notes"]}


def test_mpe_too_many_notes_and_bad_ranges(tmp_path: Path) -> None:
    many = MidiNotes(
        freq_hz=np.full(16, 440.0),
        onset_s=np.zeros(16),
        duration_s=np.ones(16),
        velocity=np.full(16, 90),
        voice=np.arange(16),
    )
    with pytest.raises(MidiError, match="more than 15 notes sound at once"):
        write_midi(tmp_path / "x.mid", many, mode="mpe")
    for bad in (0, 97, 2.5, True):
        with pytest.raises(MidiError, match=r"1\.\.96"):
            write_midi(tmp_path / "x.mid", _notes(n=3), mode="mpe", bend_range_semitones=bad)
    with pytest.raises(MidiError, match=r"1\.\.24"):
        write_midi(tmp_path / "x.mid", _notes(n=3), mode="bend", bend_range_semitones=48)
    for bad_tempo in (0, -1, float("nan"), 5000):
        with pytest.raises(MidiError, match="tempo"):
            write_midi(tmp_path / "x.mid", _notes(n=3), mode="mpe", tempo_bpm=bad_tempo)
    assert not (tmp_path / "x.mid").exists()
