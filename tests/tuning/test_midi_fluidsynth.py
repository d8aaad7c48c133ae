"""Render-and-measure: MIDI files written both ways play in tune in a real synth (FluidSynth).

Follows shared/reference/tuning.md §4.4: FluidSynth 2.3 with FluidR3_GM, GM program 0 (piano,
whose samples are within 0.5 cents of 12-EDO; other programs are detuned by up to 11 cents), no
reverb or chorus (chorus detunes), and a Hann-windowed, 8x zero-padded FFT peak within +-2
semitones of the target with parabolic interpolation (pyin quantises or biases piano pitch).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import mido
import numpy as np
import pytest
import soundfile

from tests.conftest import APT_LINE, require_tool
from xentune.tuning.midi import write_midi
from xentune.tuning.midi_notes import MidiNotes
from xentune.units import hz_to_cents

pytestmark = pytest.mark.external

SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
TOLERANCE_CENTS = 3.0
SAMPLE_RATE = 44100


def _need_fluidsynth() -> str:
    exe = require_tool("fluidsynth")
    if not SOUNDFONT.is_file():
        pytest.skip(
            f"the GM sound font {SOUNDFONT} is missing; the external tests need: {APT_LINE}"
        )
    return exe


def render(exe: str, midi: Path, wav: Path) -> tuple[np.ndarray, int]:
    cmd = [exe, "-ni", "-R", "0", "-C", "0", "-g", "0.8", "-r", str(SAMPLE_RATE), "-F", str(wav),
           str(SOUNDFONT), str(midi)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True, timeout=120)
    audio, sr = soundfile.read(wav, dtype="float64", always_2d=True)
    return audio.mean(axis=1), sr


def fft_peak_hz(x: np.ndarray, sr: int, target_hz: float) -> float:
    """Frequency of the strongest peak within +-2 semitones of the target (Hann, 8x zero-pad,
    parabolic interpolation of the log magnitude)."""
    n_fft = 8 * len(x)
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n=n_fft))
    freqs = np.fft.rfftfreq(n_fft, 1.0 / sr)
    band = np.flatnonzero(
        (freqs > target_hz * 2 ** (-2 / 12)) & (freqs < target_hz * 2 ** (2 / 12))
    )
    k = int(band[np.argmax(spec[band])])
    a, b, c = np.log(spec[k - 1 : k + 2] + 1e-300)
    offset = 0.5 * (a - c) / (a - 2 * b + c)
    return float((k + offset) * sr / n_fft)


def _half_second_notes(freq: np.ndarray, onset: np.ndarray, *, voice: list[int]) -> MidiNotes:
    """Notes of 0.5 s at velocity 100: ``freq`` Hz starting at ``onset`` s, shape (N,) each."""
    return MidiNotes(
        freq_hz=freq,
        onset_s=onset,
        duration_s=np.full(freq.shape, 0.5),
        velocity=np.full(freq.shape, 100),
        voice=np.array(voice),
    )


def _pitch_errors_cents(exe: str, mid: Path, wav: Path, notes: MidiNotes) -> np.ndarray:
    """Render ``mid`` with FluidSynth and measure each note's pitch error in cents, shape (N,)."""
    audio, sr = render(exe, mid, wav)
    assert np.max(np.abs(audio)) > 1e-3, f"{wav.stem}: FluidSynth rendered silence"
    errs = []
    for f, t0 in zip(notes.freq_hz, notes.onset_s, strict=True):
        # skip the attack (50 ms) and stop before the note-off
        seg = audio[int((t0 + 0.05) * sr) : int((t0 + 0.45) * sr)]
        errs.append(hz_to_cents(fft_peak_hz(seg, sr, f), reference_hz=f))
    print(wav.stem, "cents error per note:", np.round(errs, 2).tolist())
    return np.array(errs)


def test_both_encodings_play_in_tune_in_fluidsynth(tmp_path):
    exe = _need_fluidsynth()
    # tuning.md's targets: 11-EDO steps from 220 Hz, then 7/4 and 5/4 over C4 (all far from
    # 12-EDO keys), one after the other; then a dyad (two channels / two retuned keys at once).
    c4 = 261.6255653005986
    solo = [220.0 * 2 ** (k / 11) for k in range(7)] + [c4 * 7 / 4, c4 * 5 / 4]
    freq = np.array([*solo, 249.549, 364.211])
    onset = np.array([0.6 * i for i in range(len(solo))] + [0.6 * len(solo)] * 2)
    notes = _half_second_notes(freq, onset, voice=[0] * len(solo) + [0, 1])
    errors = {}
    for mode in ("bend", "mts", "mts-without-rpn3"):
        mid = write_midi(tmp_path / f"{mode}.mid", notes, mode=mode.split("-")[0])
        if mode == "mts-without-rpn3":  # negative control: FluidSynth then plays 12-EDO keys
            mid = _strip_controllers(mid)
        errors[mode] = _pitch_errors_cents(exe, mid, tmp_path / f"{mode}.wav", notes)
    for mode in ("bend", "mts"):
        assert np.all(np.abs(errors[mode]) < TOLERANCE_CENTS), (mode, np.round(errors[mode], 2))
    # The check can fail: without the RPN 3 tuning select, the 11-EDO notes (3 to 35 cents from
    # any 12-EDO key) come out as plain keys.
    assert np.sum(np.abs(errors["mts-without-rpn3"]) > TOLERANCE_CENTS) >= 5


def _strip_controllers(path: Path) -> Path:
    mid = mido.MidiFile(path)
    for track in mid.tracks:
        kept, carry = [], 0
        for msg in track:
            if msg.type == "control_change":
                carry += msg.time
                continue
            kept.append(msg.copy(time=msg.time + carry))
            carry = 0
        track[:] = kept
    out = path.with_name(path.stem + "-stripped.mid")
    mid.save(out)
    return out


def test_mpe_plays_in_tune_in_fluidsynth(tmp_path):
    """The MPE file (bend range 48 set with RPN 0) plays within 3 cents; without its RPN 0
    FluidSynth keeps the default range of 2 and the notes come out wrong, so RPN 0 is honoured."""
    exe = _need_fluidsynth()
    c4 = 261.6255653005986
    solo = [220.0 * 2 ** (k / 11) for k in range(7)] + [c4 * 7 / 4, c4 * 5 / 4, c4 * 6 / 5]
    freq = np.array([*solo, 249.549, 364.211, 413.13])
    onset = np.array([0.6 * i for i in range(len(solo))] + [0.6 * len(solo)] * 3)
    notes = _half_second_notes(freq, onset, voice=[0] * len(solo) + [0, 1, 2])
    mid = write_midi(tmp_path / "mpe.mid", notes, mode="mpe", bend_range_semitones=48)
    errors = {}
    for name, path in (("mpe", mid), ("mpe-without-rpn", _strip_controllers(mid))):
        errors[name] = _pitch_errors_cents(exe, path, tmp_path / f"{name}.wav", notes)
    assert np.all(np.abs(errors["mpe"]) < TOLERANCE_CENTS), np.round(errors["mpe"], 2)
    assert np.sum(np.abs(errors["mpe-without-rpn"]) > TOLERANCE_CENTS) >= 5
