"""Tests of listening: partials measured from audio, and roughness measured on rendered audio."""

from __future__ import annotations

import math
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
from scipy.signal import find_peaks, welch

from tests.conftest import APT_LINE, assert_one_line_error, require_tool
from xentune.errors import AudioError, SpecError
from xentune.psychoacoustics.listen import (
    audio_roughness,
    measure_partials,
    spectrum_from_audio,
)
from xentune.psychoacoustics.pool import chord_partials
from xentune.psychoacoustics.roughness import roughness
from xentune.timbre import parse_timbre

SR = 48000
SOUNDFONT = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")


def _render(
    spec: str, f0_hz: float = 220.0, duration_s: float = 2.0, *, decay: bool = True
) -> np.ndarray:
    """One note of ``spec`` rendered by xentune's synthesizer (mono, float64)."""
    from xentune.synth.additive import render_notes

    s = parse_timbre(spec)
    ratios, amps = s.tensors(dtype=torch.float64)
    decay_s = None
    if decay and s.decay_s is not None:
        decay_s = torch.tensor(s.decay_s, dtype=torch.float64)
    y = render_notes(
        torch.tensor([f0_hz], dtype=torch.float64),
        torch.tensor([0.0], dtype=torch.float64),
        torch.tensor([duration_s], dtype=torch.float64),
        torch.tensor([0.5], dtype=torch.float64),
        ratios,
        amps,
        sample_rate=SR,
        n_samples=int(SR * (duration_s + 0.3)),
        decay_s=decay_s,
    )
    return y.double().numpy()


@pytest.mark.parametrize(
    "spec", ["harmonic:partials=8,rolloff=0.8", "stretched:octave=2.1", "bar", "bell"]
)
def test_extract_rendered_known_spectrum(spec):
    truth = parse_timbre(spec)
    measured = spectrum_from_audio(_render(spec), SR, threshold_db=-40.0)
    # The same number of partials: none missed, no spurious one above the threshold.
    assert measured.n_partials == truth.n_partials, (measured.ratios, truth.ratios)
    # Ratios are relative to the lowest partial within 20 dB of the strongest (documented rule;
    # for the bell that is the hum, at 0.5 of the prime).
    top_amp = max(truth.amplitudes)
    ref = min(r for r, a in zip(truth.ratios, truth.amplitudes, strict=True) if a >= 0.1 * top_amp)
    for got, want in zip(measured.ratios, truth.ratios, strict=True):
        assert abs(1200 * math.log2(got / (want / ref))) < 1.0, (got, want)
    top = max(truth.amplitudes)
    for got, want in zip(measured.amplitudes, truth.amplitudes, strict=True):
        assert abs(20 * math.log10(got / (want / top))) < 1.0, (got, want)


def test_decay_times_recovered_for_struck_timbre():
    truth = parse_timbre("bar")
    m = measure_partials(_render("bar", duration_s=3.0), SR)
    assert m.decay_s.shape == (truth.n_partials,)
    for got, want in zip(m.decay_s, truth.decay_s, strict=True):
        assert got == pytest.approx(want, rel=0.1)


def test_silent_and_empty_audio_rejected():
    with pytest.raises(AudioError, match="silent"):
        measure_partials(np.zeros(SR), SR)
    with pytest.raises(AudioError, match="empty"):
        measure_partials(np.zeros(0), SR)
    x = np.sin(2 * np.pi * 440 * np.arange(SR) / SR)
    with pytest.raises(AudioError, match="outside the recording"):
        measure_partials(x, SR, start_s=5.0)


def test_audio_roughness_matches_analytic_on_random_chords():
    """Roughness measured from rendered audio agrees with the analytic roughness within 5%.

    50 random chords (2-4 voices, continuous fundamentals over two octaves) of the harmonic
    timbre, rendered with a flat envelope for 3 s and analysed over 2 s frames. Chords with two
    partials closer than 3 Hz are redrawn: a 3-second recording cannot resolve them (Fourier
    uncertainty), and acoustically they ARE one partial beating slower than 3 Hz.
    """
    from xentune.synth.additive import render_notes
    from xentune.synth.envelope import Envelope

    spectrum = parse_timbre("harmonic")
    ratios, amps = spectrum.tensors(dtype=torch.float64)
    flat = Envelope(attack_s=0.01, decay_s=0.0, sustain=1.0, release_s=0.05)
    g = torch.Generator().manual_seed(7)
    duration, gain = 3.0, 0.2
    errors: list[float] = []
    while len(errors) < 50:
        v = int(torch.randint(2, 5, (1,), generator=g))
        f0 = 130.0 * 2 ** (2 * torch.rand(v, generator=g, dtype=torch.float64))
        f, a = chord_partials(f0, ratios, amps * gain)
        if torch.diff(torch.sort(f).values).min() < 3.0:
            continue
        y = render_notes(
            f0,
            torch.zeros(v, dtype=torch.float64),
            torch.full((v,), duration + 0.5, dtype=torch.float64),
            torch.full((v,), gain, dtype=torch.float64),
            ratios,
            amps,
            sample_rate=SR,
            n_samples=int(SR * (duration + 0.5)),
            envelope=flat,
            dtype=torch.float64,
        )
        seg = y[SR // 4 : SR // 4 + int(SR * duration)].numpy()  # skip the attack
        measured = audio_roughness(seg, SR, model="sethares", frame_s=2.0)
        analytic = float(roughness(f, a, model="sethares"))
        errors.append(abs(measured - analytic) / analytic)
    err = np.asarray(errors)
    assert err.max() < 0.05, f"max relative error {err.max():.4f}, median {np.median(err):.5f}"


# ------------------------------------------------------------------------------------------
# Sounds xentune did not make: FluidSynth GM instruments and sox's plucked string


def _independent_peaks(
    x: np.ndarray, sr: int, start_s: float, end_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Welch PSD (Hann, 0.5 s segments) of the same segment: its local maxima (Hz) and levels
    (dB re the strongest), an independent peak list computed the obvious way."""
    seg = x[int(start_s * sr) : int(end_s * sr)]
    f, p = welch(
        seg, fs=sr, window="hann", nperseg=min(len(seg), sr // 2), nfft=4 * sr, scaling="spectrum"
    )
    db = 10 * np.log10(p + 1e-30)
    idx, props = find_peaks(db, height=db.max() - 60.0, prominence=10.0)
    return f[idx], db[idx] - db.max()


@pytest.fixture(scope="module")
def gm_notes(tmp_path_factory) -> dict[str, Path]:
    require_tool("fluidsynth")
    if not SOUNDFONT.exists():
        pytest.skip(f"the GM sound font {SOUNDFONT} is absent; the external tests need: {APT_LINE}")
    import mido

    folder = tmp_path_factory.mktemp("gm")
    out: dict[str, Path] = {}
    for name, program, note in [
        ("tubular_bells", 14, 60),
        ("glockenspiel", 9, 72),
        ("marimba", 12, 60),
        ("piano", 0, 48),
    ]:
        mid = mido.MidiFile(ticks_per_beat=480)
        track = mido.MidiTrack()
        mid.tracks.append(track)
        track.append(mido.Message("program_change", program=program, channel=0, time=0))
        track.append(mido.Message("note_on", note=note, velocity=100, channel=0, time=0))
        track.append(mido.Message("note_off", note=note, velocity=0, channel=0, time=480 * 4))
        mid.save(folder / f"{name}.mid")
        wav = folder / f"{name}.wav"
        subprocess.run(
            [
                "fluidsynth",
                "-ni",
                "-g",
                "0.8",
                "-R",
                "0",
                "-C",
                "0",
                "-r",
                str(SR),
                "-F",
                str(wav),
                str(SOUNDFONT),
                str(folder / f"{name}.mid"),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        out[name] = wav
    return out


@pytest.mark.external
@pytest.mark.parametrize("name", ["tubular_bells", "glockenspiel", "marimba", "piano"])
def test_extract_gm_instrument_matches_independent_peaks(gm_notes, name):
    x, sr = sf.read(gm_notes[name], always_2d=True)
    x = x.mean(axis=1)
    m = measure_partials(x, sr, threshold_db=-40.0, max_partials=64)
    peaks_hz, peaks_db = _independent_peaks(x, sr, m.start_s, m.end_s)
    assert len(m.freqs_hz) >= 2
    # every strong partial we report (within 20 dB of the strongest) is a peak that the
    # independent analysis sees too (within 2 Hz)...
    strong = m.freqs_hz[m.amps >= m.amps.max() * 10 ** (-20 / 20)]
    for f in strong:
        assert np.min(np.abs(peaks_hz - f)) < 2.0, (name, f, peaks_hz)
    # ...and every clear independent peak (within 15 dB of the strongest) is one we report.
    for f in peaks_hz[peaks_db >= -15.0]:
        assert np.min(np.abs(m.freqs_hz - f)) < 2.0, (name, f, m.freqs_hz)


@pytest.mark.external
def test_sox_pluck_is_harmonic(tmp_path):
    require_tool("sox")
    wav = tmp_path / "pluck.wav"
    subprocess.run(
        ["sox", "-n", "-r", str(SR), str(wav), "synth", "2", "pluck", "220"], check=True, timeout=30
    )
    x, sr = sf.read(wav)
    s = spectrum_from_audio(x, sr)
    assert s.ratios[0] == 1.0
    for r in s.ratios[:8]:
        assert abs(1200 * math.log2(r / round(r))) < 2.0, s.ratios


@pytest.mark.external
def test_curve_of_inharmonic_recording_differs_from_harmonic(gm_notes, cli, tmp_path):
    """`xentune curve --timbre audio:...` on tubular bells: minima unlike the harmonic ones."""
    from xentune.psychoacoustics.curve import curve_minima

    bells = parse_timbre(f"audio:{gm_notes['tubular_bells']}")
    harmonic = [m.cents for m in curve_minima(parse_timbre("harmonic"))]
    inharmonic = [m.cents for m in curve_minima(bells)]
    unmatched = [c for c in inharmonic if min(abs(c - h) for h in harmonic) > 15]
    assert len(unmatched) >= 2, (inharmonic, harmonic)
    r = cli("curve", "--timbre", f"audio:{gm_notes['tubular_bells']}")
    assert r.code == 0, r.stderr


# ------------------------------------------------------------------------------------------
# CLI: xentune timbre extract


def test_cli_extract_roundtrip(cli, tmp_path):
    wav = tmp_path / "stretched.wav"
    sf.write(wav, _render("stretched:octave=2.1"), SR, subtype="FLOAT")
    out = tmp_path / "t.json"
    r = cli("timbre", "extract", wav, "--out", out)
    assert r.code == 0, r.stderr
    s = parse_timbre(str(out))
    assert 1200 * math.log2(s.ratios[1]) == pytest.approx(1284.47, abs=1.0)
    # and audio:PATH works wherever a timbre is accepted
    assert parse_timbre(f"audio:{wav}").ratios == pytest.approx(s.ratios)
    # an existing output is not replaced without --force
    assert_one_line_error(cli("timbre", "extract", wav, "--out", out), "--force")


def test_cli_extract_bad_inputs(cli, tmp_path):
    out = tmp_path / "t.json"
    assert_one_line_error(cli("timbre", "extract", tmp_path / "missing.wav", "--out", out))
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    assert_one_line_error(cli("timbre", "extract", empty, "--out", out))
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros(SR), SR)
    assert_one_line_error(cli("timbre", "extract", silent, "--out", out), "silent")
    text = tmp_path / "notes.wav"
    text.write_text("this is not audio\n")
    assert_one_line_error(cli("timbre", "extract", text, "--out", out))
    tone = tmp_path / "tone.wav"
    sf.write(tone, 0.3 * np.sin(2 * np.pi * 440 * np.arange(SR) / SR), SR)
    assert_one_line_error(cli("timbre", "extract", tone, "--out", out, "--start", "3"), "outside")
    assert not out.exists()
    assert list(tmp_path.glob(".t.json*")) == []
    with pytest.raises(SpecError, match="audio:"):
        parse_timbre(f"audio:{silent}")
