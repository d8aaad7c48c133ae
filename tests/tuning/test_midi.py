"""Tests of xentune.tuning.midi: files decoded by an independent mido-based reader in this test."""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import mido
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from xentune.errors import MidiError, OutputExistsError
from xentune.tuning.midi import bend_value, hz_to_mts, mts_to_hz, write_midi
from xentune.tuning.midi_notes import MidiNotes
from xentune.tuning.midi_read import read_midi

TICK_S = 0.5 / 960  # the writer's time grid: 960 ticks per beat at 120 bpm
C4 = 261.6255653005986


# --- an independent decoder: mido's own merged, tempo-aware playback order -------------------


@dataclass
class Decoded:
    freq: list[float] = field(default_factory=list)
    onset: list[float] = field(default_factory=list)
    duration: list[float] = field(default_factory=list)
    channel: list[int] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    pitchwheels: int = 0
    sysex: int = 0


def decode(path: Path, mode: str) -> Decoded:
    """Replay the file as a synth would, checking the channel rules on the way."""
    out = Decoded()
    bend = [0] * 16
    bend_range = [None] * 16  # None: never set by RPN 0
    rpn = [(127, 127)] * 16
    program_selected = [False] * 16
    table: dict[int, float] = {}
    sounding: dict[tuple[int, int], tuple[float, float]] = {}  # (ch, key) -> (onset, hz)
    now = 0.0
    for msg in mido.MidiFile(path):  # iteration merges tracks; msg.time is seconds since last
        now += msg.time
        if msg.type == "control_change":
            msb, lsb = rpn[msg.channel]
            if msg.control == 101:
                rpn[msg.channel] = (msg.value, lsb)
            elif msg.control == 100:
                rpn[msg.channel] = (msb, msg.value)
            elif msg.control == 6 and (msb, lsb) == (0, 0):
                bend_range[msg.channel] = msg.value
            elif msg.control == 6 and (msb, lsb) == (0, 3):
                program_selected[msg.channel] = msg.value == 0
        elif msg.type == "pitchwheel":
            out.pitchwheels += 1
            if any(ch == msg.channel for ch, _ in sounding):
                out.violations.append(f"bend on channel {msg.channel} while a note sounds")
            bend[msg.channel] = msg.pitch
        elif msg.type == "sysex":
            out.sysex += 1
            d = msg.data
            assert d[:6] == (0x7F, 0x7F, 0x08, 0x02, 0x00, 0x01), d  # real-time 08 02, 1 change
            key, xx, yy, zz = d[6:10]
            if any(k == key for _, k in sounding):
                out.violations.append(f"key {key} retuned while sounding")
            table[key] = 440 * 2 ** ((xx + (yy * 128 + zz) / 16384 - 69) / 12)
        elif msg.type == "note_on" and msg.velocity > 0:
            ch = msg.channel
            if ch == 9:
                out.violations.append("note on the GM drum channel 10")
            if any(c == ch for c, _ in sounding) and mode == "bend":
                out.violations.append(f"two notes at once on channel {ch}")
            hz = 440 * 2 ** ((msg.note - 69) / 12)
            if mode == "bend":
                if bend_range[ch] is None:
                    out.violations.append(f"channel {ch}: note before RPN 0 set the bend range")
                hz *= 2 ** (bend[ch] / 8192 * (bend_range[ch] or 2) / 12)
            else:
                if not program_selected[ch]:
                    out.violations.append(f"channel {ch}: note before RPN 3 selected tuning 0")
                hz = table.get(msg.note, hz)
            assert (ch, msg.note) not in sounding
            sounding[(ch, msg.note)] = (now, hz)
        elif msg.type in ("note_on", "note_off"):
            t0, hz = sounding.pop((msg.channel, msg.note))
            out.freq.append(hz)
            out.onset.append(t0)
            out.duration.append(now - t0)
            out.channel.append(msg.channel)
    assert not sounding
    return out


def cents_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return 1200 * np.log2(np.asarray(a) / np.asarray(b))


def match(t_got, f_got, d_got, t_want, f_want, d_want, v_got=None, v_want=None):
    """Pair decoded notes with intended ones (an assignment: equal notes are interchangeable);
    every pair must agree within 0.1 cent, half a tick in onset, a tick in duration (and voice)."""
    cents = np.abs(cents_between(f_got[:, None], f_want[None, :]))  # (N, N)
    dt = np.abs(t_got[:, None] - t_want[None, :])
    dd = np.abs(d_got[:, None] - d_want[None, :])
    ok = (cents < 0.1) & (dt <= TICK_S / 2 + 1e-9) & (dd <= TICK_S + 1e-9)
    if v_got is not None:
        ok &= v_got[:, None] == v_want[None, :]
    rows, cols = linear_sum_assignment(np.where(ok, cents / 0.1 + dt + dd, 1e6))
    assert np.all(ok[rows, cols]), "some note was not decoded to its intended pitch and time"
    return list(zip(rows.tolist(), cols.tolist(), strict=True))


def check_file(path: Path, mode: str, notes: MidiNotes) -> Decoded:
    dec = decode(path, mode)
    assert dec.violations == []
    assert len(dec.freq) == notes.n_notes
    pairs = match(
        np.array(dec.onset), np.array(dec.freq), np.array(dec.duration),
        notes.onset_s, notes.freq_hz, notes.duration_s,
    )  # fmt: skip
    assert len(pairs) == notes.n_notes
    if mode == "bend":
        assert dec.sysex == 0
    else:
        assert dec.pitchwheels == 0
    return dec


def piece(n_voices: int = 3, n_steps: int = 6, seed: int = 0) -> MidiNotes:
    """A chord progression of continuous pitches: every voice changes at every step."""
    rng = np.random.default_rng(seed)
    cents = rng.uniform(-1200, 1900, size=(n_voices, n_steps))  # (V, T)
    freq = C4 * 2 ** (cents / 1200)
    onset = np.broadcast_to(np.arange(n_steps) * 0.4, (n_voices, n_steps))
    return MidiNotes(
        freq_hz=freq.ravel(),
        onset_s=onset.ravel(),
        duration_s=np.full(freq.size, 0.4),  # legato: each note ends where the next begins
        velocity=rng.integers(40, 120, size=freq.size),
        voice=np.repeat(np.arange(n_voices), n_steps),
    )


# --- Must show (issue 4, item 4) -------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bend", "mts"])
def test_written_file_decodes_to_the_intended_frequencies(tmp_path, mode):
    notes = piece()
    path = write_midi(tmp_path / f"{mode}.mid", notes, mode=mode)
    check_file(path, mode, notes)


@pytest.mark.parametrize("mode", ["bend", "mts"])
def test_fifteen_legato_voices_never_share_a_channel_while_bent(tmp_path, mode):
    # 15 voices, legato: in bend mode every channel but 10 is reused at the very tick another
    # note on it ends; the bend must come after that note-off in playing order.
    notes = piece(n_voices=15, n_steps=4, seed=3)
    path = write_midi(tmp_path / f"{mode}.mid", notes, mode=mode)
    dec = check_file(path, mode, notes)
    if mode == "bend":
        assert sorted(set(dec.channel)) == [c for c in range(16) if c != 9]


def test_channel_handed_to_another_voice_at_the_tick_its_note_ends(tmp_path):
    # Staggered entries give voice 14 channel 1, voice 13 channel 2, ...; all notes end together
    # and the next chord takes the channels in order, so voice 0 gets voice 14's channel at the
    # very tick voice 14's note ends. Its bend must not come before that note-off in playing
    # order (tracks at one tick play in track order, and voice 0's track comes first).
    n = 15
    first_onset = (n - 1 - np.arange(n)) * 0.01  # voice v enters at (14 - v) * 10 ms
    notes = MidiNotes(
        freq_hz=np.concatenate(
            [300 * 2 ** (np.arange(n) * 0.37 / 12), 310 * 2 ** (np.arange(n) * 0.41 / 12)]
        ),
        onset_s=np.concatenate([first_onset, np.full(n, 0.5)]),
        duration_s=np.concatenate([0.5 - first_onset, np.full(n, 0.5)]),
        velocity=np.full(2 * n, 80),
        voice=np.tile(np.arange(n), 2),
    )
    path = write_midi(tmp_path / "handover.mid", notes, mode="bend")
    dec = check_file(path, "bend", notes)
    first = dict(zip(dec.onset, dec.channel, strict=True))
    assert first[min(dec.onset)] == 0  # voice 14 entered first, on channel 1


@given(
    st.lists(
        st.tuples(
            st.floats(30.0, 4000.0),  # Hz
            st.integers(0, 3000),  # onset in ms
            st.integers(1, 1500),  # duration in ms
            st.integers(1, 127),  # velocity
            st.integers(0, 3),  # voice
        ),
        min_size=1,
        max_size=15,  # at most 15 notes: never more than 15 at once
    ),
    st.sampled_from(["bend", "mts"]),
    st.sampled_from([1, 2, 12]),  # range 24: 0.29-cent steps, so up to 0.15 cents off
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_any_piece_round_trips(rows, mode, bend_range):
    notes = MidiNotes(
        freq_hz=np.array([r[0] for r in rows]),
        onset_s=np.array([r[1] for r in rows]) / 1000,
        duration_s=np.array([r[2] for r in rows]) / 1000,
        velocity=np.array([r[3] for r in rows]),
        voice=np.array([r[4] for r in rows]),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = write_midi(Path(tmp) / "x.mid", notes, mode=mode, bend_range_semitones=bend_range)
        check_file(path, mode, notes)
        back = read_midi(path)
    assert back.n_notes == notes.n_notes
    # voices are tracks; read_midi numbers the tracks that have notes 0, 1, ...
    voice = np.searchsorted(np.unique(notes.voice), notes.voice)
    pairs = match(
        back.onset_s, back.freq_hz, back.duration_s, notes.onset_s, notes.freq_hz, notes.duration_s,
        back.voice * 1000 + back.velocity, voice * 1000 + notes.velocity,
    )  # fmt: skip
    assert len(pairs) == notes.n_notes


def test_read_midi_round_trip_of_a_piece(tmp_path):
    notes = piece(n_voices=4, n_steps=5)
    for mode in ("bend", "mts"):
        back = read_midi(write_midi(tmp_path / f"{mode}.mid", notes, mode=mode))
        want = notes.sorted()
        assert np.max(np.abs(cents_between(back.freq_hz, want.freq_hz))) < 0.03
        np.testing.assert_allclose(back.onset_s, want.onset_s, atol=TICK_S)
        np.testing.assert_allclose(back.duration_s, want.duration_s, atol=TICK_S)
        np.testing.assert_array_equal(back.voice, want.voice)
        np.testing.assert_array_equal(back.velocity, want.velocity)


def test_read_midi_of_a_plain_12edo_file(tmp_path):
    # A file another tool might write: type 0, no RPN, no tuning; a tempo change half-way.
    mid = mido.MidiFile(type=0, ticks_per_beat=480)
    tr = mido.MidiTrack()
    tr += [
        mido.MetaMessage("set_tempo", tempo=1_000_000, time=0),  # 60 bpm
        mido.Message("note_on", channel=9, note=69, velocity=80, time=0),
        mido.Message("note_on", channel=9, note=69, velocity=0, time=480),  # 1 s
        mido.MetaMessage("set_tempo", tempo=250_000, time=0),  # 240 bpm
        mido.Message("note_on", channel=0, note=60, velocity=64, time=0),
        mido.Message("pitchwheel", channel=1, pitch=4096, time=0),  # other channel: no effect
        mido.Message("note_off", channel=0, note=60, velocity=0, time=960),  # 0.5 s
    ]
    mid.tracks.append(tr)
    mid.save(tmp_path / "plain.mid")
    back = read_midi(tmp_path / "plain.mid")
    np.testing.assert_allclose(back.freq_hz, [440.0, C4])
    np.testing.assert_allclose(back.onset_s, [0.0, 1.0])
    np.testing.assert_allclose(back.duration_s, [1.0, 0.5])


# --- encodings --------------------------------------------------------------------------------


def test_mts_word_hand_values():
    assert hz_to_mts(440.0) == (69, 0, 0)
    assert hz_to_mts(C4) == (60, 0, 0)
    # 50 cents above A4: half a semitone = 8192 = 0x40 << 7
    assert hz_to_mts(440 * 2 ** (0.5 / 12)) == (69, 0x40, 0)
    assert mts_to_hz(69, 0x40, 0) == pytest.approx(440 * 2 ** (0.5 / 12))
    # just below a key: the fraction carries into the next key
    assert hz_to_mts(440 * 2 ** (-1e-7 / 12)) == (69, 0, 0)


@given(st.floats(8.18, 13289.0))
def test_mts_word_round_trip_within_resolution(hz):
    xx, yy, zz = hz_to_mts(hz)
    assert 0 <= xx <= 127 and 0 <= yy <= 127 and 0 <= zz <= 127
    assert (xx, yy, zz) != (127, 127, 127)
    assert abs(1200 * math.log2(mts_to_hz(xx, yy, zz) / hz)) <= 100 / 16384 / 2 + 1e-9


@pytest.mark.parametrize("hz", [8.0, 13300.0])
def test_mts_range(hz):
    with pytest.raises(MidiError, match="MIDI Tuning Standard covers"):
        hz_to_mts(hz)


def test_bend_value_is_clamped_and_centred():
    assert bend_value(0.0, 2) == 0
    assert bend_value(2.0, 2) == 8191  # +range is 8191/8192 of full scale
    assert bend_value(-2.0, 2) == -8192
    assert bend_value(0.5, 2) == 2048


# --- errors -----------------------------------------------------------------------------------


def _notes(**over):
    kw = {
        "freq_hz": [440.0, 500.0],
        "onset_s": [0.0, 0.5],
        "duration_s": [0.5, 0.5],
        "velocity": [64, 64],
        "voice": [0, 0],
    }
    kw.update(over)
    return MidiNotes(**{k: np.asarray(v) for k, v in kw.items()})


@pytest.mark.parametrize(
    ("over", "match"),
    [
        ({"freq_hz": [440.0, -1.0]}, r"freq_hz\[1\] = -1.0"),
        ({"freq_hz": [440.0, np.nan]}, "finite"),
        ({"onset_s": [-0.1, 0.5]}, "onset"),
        ({"duration_s": [0.5, 0.0]}, "duration"),
        ({"velocity": [0, 64]}, "1..127"),
        ({"velocity": [64, 128]}, "1..127"),
        ({"velocity": [64.5, 64]}, "integers"),
        ({"voice": [0, -1]}, "voices"),
        ({"voice": [0]}, "one value per note"),
        ({"freq_hz": [[440.0, 500.0]]}, "1-D"),
    ],
)
def test_bad_notes(over, match):
    with pytest.raises(MidiError, match=match):
        _notes(**over)


def test_write_errors(tmp_path):
    notes = _notes()
    with pytest.raises(MidiError, match="'bend'"):
        write_midi(tmp_path / "a.mid", notes, mode="cents")  # type: ignore[arg-type]
    with pytest.raises(MidiError, match="1..24"):
        write_midi(tmp_path / "a.mid", notes, bend_range_semitones=0)
    with pytest.raises(MidiError, match="outside the MIDI keyboard"):
        write_midi(tmp_path / "a.mid", _notes(freq_hz=[440.0, 20000.0]))
    with pytest.raises(MidiError, match="MIDI Tuning Standard"):
        write_midi(tmp_path / "a.mid", _notes(freq_hz=[440.0, 5.0]), mode="mts")
    many = MidiNotes(
        freq_hz=np.linspace(200, 800, 16), onset_s=np.zeros(16), duration_s=np.ones(16),
        velocity=np.full(16, 64), voice=np.arange(16),
    )  # fmt: skip
    with pytest.raises(MidiError, match="more than 15 notes sound at once"):
        write_midi(tmp_path / "a.mid", many)
    write_midi(tmp_path / "many-mts.mid", many, mode="mts")  # MTS has no such limit
    assert list(tmp_path.iterdir()) == [tmp_path / "many-mts.mid"]  # nothing else left behind


def test_existing_file_needs_force(tmp_path):
    path = tmp_path / "x.mid"
    path.write_bytes(b"keep")
    with pytest.raises(OutputExistsError):
        write_midi(path, _notes())
    assert path.read_bytes() == b"keep"
    write_midi(path, _notes(), force=True)
    assert read_midi(path).n_notes == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.mid"]


def test_read_errors(tmp_path):
    with pytest.raises(MidiError, match="no such MIDI file"):
        read_midi(tmp_path / "missing.mid")
    junk = tmp_path / "junk.mid"
    junk.write_bytes(b"\x00\x01 not a midi file at all" * 10)
    with pytest.raises(MidiError, match="not a readable Standard MIDI File"):
        read_midi(junk)
    truncated = tmp_path / "cut.mid"
    write_midi(truncated, _notes(), force=True)
    truncated.write_bytes(truncated.read_bytes()[:40])
    with pytest.raises(MidiError, match="not a readable"):
        read_midi(truncated)


def test_empty_piece(tmp_path):
    empty = MidiNotes(
        freq_hz=np.zeros(0), onset_s=np.zeros(0), duration_s=np.zeros(0),
        velocity=np.zeros(0, dtype=int), voice=np.zeros(0, dtype=int),
    )  # fmt: skip
    for mode in ("bend", "mts"):
        assert read_midi(write_midi(tmp_path / f"{mode}.mid", empty, mode=mode)).n_notes == 0
