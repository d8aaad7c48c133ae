"""Tests of the additive synthesizer against closed-form numpy sines (float64 references)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.rendering import render_score, render_scores
from xentune.score import Score
from xentune.synth.additive import equal_power_pan, render_notes, voice_pans
from xentune.synth.envelope import Envelope
from xentune.synth.nyquist import nyquist_gain
from xentune.timbre import parse_timbre

SR = 48000


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small tensors: on the shared 2-core box, intra-op threads cost more than they give (6x)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


def np_envelope(t: np.ndarray, d: float, env: Envelope) -> np.ndarray:
    """ADSR written independently of xentune: np.interp over the breakpoints (needs attack, decay > 0)."""
    a, k, s, r = env.attack_s, env.decay_s, env.sustain, env.release_s
    held = np.interp(np.minimum(t, d), [0.0, a, a + k], [0.0, 1.0, s], left=0.0)
    release = np.clip((d + r - t) / r, 0.0, 1.0) if r > 0 else (t < d).astype(float)
    return held * release


def np_render(notes, ratios, amps, n_samples, env, *, sr=SR, decay=None, phases=None) -> np.ndarray:
    """Slow obvious reference: per note, per partial, np.sin of the float64 closed-form phase."""
    y = np.zeros(n_samples)
    n = np.arange(n_samples)
    for i, (f, onset, d, amp) in enumerate(notes):
        t = n / sr - onset
        e = np_envelope(t, d, env) * amp
        for k, (r, a) in enumerate(zip(ratios, amps, strict=True)):
            g = a * (np.exp(-t / decay[k]) if decay is not None else 1.0)
            phi = 0.0 if phases is None else phases[i][k]
            y += e * g * np.sin(2 * np.pi * r * f * t + phi)
    return y


def t64(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float64))


def render(notes, ratios, amps, n_samples, env, *, device="cpu", **kw) -> np.ndarray:
    notes = np.asarray(notes, dtype=np.float64)
    y = render_notes(
        *(t64(notes[:, c]).to(device) for c in range(4)),
        t64(ratios).to(device),
        t64(amps).to(device),
        sample_rate=kw.pop("sr", SR),
        n_samples=n_samples,
        envelope=env,
        **kw,
    )
    return y.cpu().numpy()


ENV = Envelope(attack_s=0.01, decay_s=0.05, sustain=0.6, release_s=0.03)


# ---------------------------------------------------------------------------------------------
# Must-show 1: one partial, one note equals the closed-form sine.


@pytest.mark.parametrize("block_size", [256, 97])
def test_one_partial_one_note_equals_numpy_sine(block_size, device) -> None:
    note = [(440.123, 0.10001, 0.5, 0.9)]  # onset between two samples
    n = int(0.8 * SR)
    y = render(note, [1.0], [1.0], n, ENV, device=device, block_size=block_size)
    ref = np_render(note, [1.0], [1.0], n, ENV)
    assert y.dtype == np.float32 and y.shape == (n,)
    assert np.max(np.abs(y - ref)) < 1e-5
    assert np.max(np.abs(ref)) > 0.8  # the note is really there


def test_sustained_sine_without_envelope_shape() -> None:
    # Envelope with a 1-sample attack: the sound is the bare sine from the onset on.
    env = Envelope(attack_s=1 / SR, decay_s=0.0, sustain=1.0, release_s=0.0)
    n = 4800
    y = render([(1000.0, 0.0, 0.1, 1.0)], [1.0], [1.0], n, env)
    t = np.arange(n) / SR
    ref = np.sin(2 * np.pi * 1000.0 * t)
    ref[0] = 0.0  # the attack starts at 0
    assert np.max(np.abs(y[1:] - ref[1:])) < 1e-5


# ---------------------------------------------------------------------------------------------
# Must-show 2: phase accuracy over a long note.


def _phase_accuracy(device) -> float:
    f = 4000.123
    env = Envelope(attack_s=0.005, decay_s=0.0, sustain=1.0, release_s=0.05)
    n = 60 * SR
    y = render([(f, 0.0, 60.0, 1.0)], [1.0], [1.0], n, env, device=device)
    last = np.arange(n - SR, n)
    ref = np.sin(2 * np.pi * ((f * last) % SR) / SR)  # exact float64: f * n in whole samples
    return float(np.max(np.abs(y[-SR:] - ref)))


def test_phase_accuracy_60_s_cpu() -> None:
    err = _phase_accuracy("cpu")
    assert err < 1e-4, err


@pytest.mark.cuda
def test_phase_accuracy_60_s_cuda(cuda_device) -> None:
    # CUDA's float32 cumsum accumulates in float32; this synth has no cumsum, so no drift.
    err = _phase_accuracy(cuda_device)
    assert err < 1e-4, err


def test_the_phase_check_can_fail() -> None:
    """A float32 running phase (what a naive scan does) misses the 1e-4 bar by far."""
    f, n = 4000.123, 60 * SR
    step = np.full(n, 2 * np.pi * f / SR, dtype=np.float32)
    phase32 = np.cumsum(step, dtype=np.float32)
    last = np.arange(n - SR, n)
    exact = 2 * np.pi * ((f * (last + 1)) % SR) / SR
    assert np.max(np.abs(np.sin(phase32[-SR:]) - np.sin(exact))) > 1e-2


# ---------------------------------------------------------------------------------------------
# Must-show 3: no aliasing, and a smooth cut at Nyquist.


def _band_energy(
    x: np.ndarray, freqs_hz, *, half_width_hz: float = 60.0, sr: int = SR
) -> np.ndarray:
    window = np.blackman(x.size)
    spec = np.abs(np.fft.rfft(x * window)) ** 2
    bins = np.fft.rfftfreq(x.size, 1 / sr)
    return np.array([spec[np.abs(bins - f) <= half_width_hz].sum() for f in freqs_hz])


def test_partials_above_nyquist_leave_no_alias() -> None:
    f0 = 4100.0
    ratios = np.arange(1, 13, dtype=float)  # 4.1 .. 49.2 kHz: partials 6..12 are above 24 kHz
    env = Envelope(attack_s=0.01, decay_s=0.01, sustain=1.0, release_s=0.01)
    n = SR
    y = render([(f0, 0.0, 1.0, 1.0)], ratios, np.ones(12), n, env)
    middle = y[SR // 4 : 3 * SR // 4].astype(np.float64)
    present = _band_energy(middle, f0 * ratios[:5])
    aliases = [
        abs(SR * round(f0 * k / SR) - f0 * k) for k in ratios[5:]
    ]  # where they would fold to
    assert sorted(round(a) for a in aliases) == [1200, 2900, 7000, 11100, 15200, 19300, 23400]
    folded = _band_energy(middle, aliases)
    assert folded.max() < 1e-9 * present.min()
    # The measurement sees aliasing where it exists: the same tone with every partial kept.
    t = np.arange(n)[SR // 4 : 3 * SR // 4] / SR
    naive = sum(np.sin(2 * np.pi * f0 * k * t) for k in ratios)
    assert _band_energy(naive, aliases).min() > 1e-2 * present.min()


def test_attack_takes_the_click_out_of_an_onset() -> None:
    def splatter(attack_s: float) -> float:
        env = Envelope(attack_s=attack_s, decay_s=0.0, sustain=1.0, release_s=0.01)
        y = render([(440.0, 0.05, 0.2, 1.0)], [1.0], [1.0], int(0.1 * SR), env).astype(np.float64)
        spec = np.abs(np.fft.rfft(y * np.hanning(y.size))) ** 2
        return float(spec[np.fft.rfftfreq(y.size, 1 / SR) > 1000].sum() / spec.sum())

    hard, soft = splatter(1 / SR), splatter(0.01)
    assert 10 * np.log10(hard / soft) > 20  # measured 26 dB for a 10 ms attack


def test_nyquist_gain_closed_form() -> None:
    f = torch.tensor([0.0, 21000.0, 21600.0, 22800.0, 24000.0, 30000.0], dtype=torch.float64)
    g = nyquist_gain(f, sample_rate=48000, rolloff=0.1)  # fade over 21.6 .. 24 kHz
    expected = [1.0, 1.0, 1.0, 0.5, 0.0, 0.0]
    np.testing.assert_allclose(g.numpy(), expected, atol=1e-12)
    fine = torch.linspace(21000, 25000, 4001, dtype=torch.float64)
    assert torch.all(torch.diff(nyquist_gain(fine, sample_rate=48000)) <= 0)  # monotone fade


def _low_band_energy_of_glide(y: np.ndarray) -> float:
    """Energy below 16 kHz around the Nyquist crossing (a click is broadband; the tone is not)."""
    seg = y[int(0.9 * SR) : int(1.5 * SR)].astype(np.float64)
    spec = np.abs(np.fft.rfft(seg * np.hanning(seg.size))) ** 2
    bins = np.fft.rfftfreq(seg.size, 1 / SR)
    return float(spec[bins < 16000].sum() / spec.sum())


def test_glide_across_nyquist_has_no_click() -> None:
    f_start, f_end, dur = 20000.0, 27000.0, 2.0
    glide = 1200 * math.log2(f_end / f_start)
    env = Envelope(attack_s=0.01, decay_s=0.01, sustain=1.0, release_s=0.01)
    n = int(2.2 * SR)
    y = render([(f_start, 0.0, dur, 1.0)], [1.0], [1.0], n, env, glide_cents=t64([glide]))
    # Closed-form reference glide with a hard cut at Nyquist (what DDSP/torchaudio do).
    t = np.arange(n) / SR
    kappa = math.log(f_end / f_start) / dur
    inst = f_start * np.exp(kappa * np.minimum(t, dur))
    phase = 2 * np.pi * f_start * np.expm1(kappa * np.minimum(t, dur)) / kappa
    hard = np.where(inst < SR / 2, np.sin(phase), 0.0) * np_envelope(t, dur, env)
    # Before the fade region the two agree (the glide itself is right).
    early = t < 0.4  # 20 -> 21.1 kHz, below the 21.6 kHz start of the fade
    assert np.max(np.abs(y[early] - hard[early])) < 1e-4
    assert np.max(np.abs(y[t > 1.6])) < 1e-6  # above Nyquist: gone
    ours, hard_cut = _low_band_energy_of_glide(y), _low_band_energy_of_glide(hard)
    # Measured: hard cut 2.5e-5 of the energy below 16 kHz (-46 dB), ours 6e-15 (float32 noise).
    assert hard_cut > 1e-6  # the hard cut clicks: broadband energy in the audible band
    assert ours < 1e-4 * hard_cut, (ours, hard_cut)


# ---------------------------------------------------------------------------------------------
# Must-show 4: batched equals one-by-one; CPU equals CUDA.


def _random_notes(rng: np.random.Generator, n_notes: int, *, span_s: float) -> np.ndarray:
    f = 110 * 2 ** rng.uniform(0, 4, n_notes)
    onset = rng.uniform(0, span_s, n_notes)
    dur = rng.uniform(0.0, 0.4, n_notes)
    amp = rng.uniform(0, 1, n_notes)
    return np.stack([f, onset, dur, amp], axis=1)


def test_batched_equals_one_by_one() -> None:
    rng = np.random.default_rng(1)
    batch = np.stack([_random_notes(rng, 7, span_s=0.5) for _ in range(3)])  # (3, 7, 4)
    ratios, amps = [1.0, 2.0, 3.0, 4.5], [1.0, 0.5, 0.3, 0.2]
    phase = t64(rng.uniform(0, 2 * np.pi, (3, 7, 4)))
    pan = t64(rng.uniform(-1, 1, (3, 7)))
    n = int(0.9 * SR)
    kw = {"sample_rate": SR, "n_samples": n, "envelope": ENV, "decay_s": t64([0.5, 0.3, 0.2, 0.1])}
    together = render_notes(
        *(t64(batch[..., c]) for c in range(4)),
        t64(ratios),
        t64(amps),
        phase_rad=phase,
        pan=pan,
        **kw,
    )
    assert together.shape == (3, 2, n)
    for b in range(3):
        alone = render_notes(
            *(t64(batch[b, :, c]) for c in range(4)),
            t64(ratios),
            t64(amps),
            phase_rad=phase[b],
            pan=pan[b],
            chunk_samples=1 << 15,  # different chunking, same result
            **kw,
        )
        torch.testing.assert_close(together[b], alone, atol=1e-6, rtol=0)


@pytest.mark.cuda
def test_cpu_equals_cuda(cuda_device) -> None:
    rng = np.random.default_rng(2)
    notes = _random_notes(rng, 40, span_s=2.0)
    ratios, amps = np.arange(1, 17, dtype=float), 0.88 ** np.arange(16)
    cpu = render(notes, ratios, amps, 3 * SR, ENV)
    gpu = render(notes, ratios, amps, 3 * SR, ENV, device=cuda_device)
    assert np.max(np.abs(cpu - gpu)) < 1e-5


def test_render_scores_equals_render_score() -> None:
    rng = np.random.default_rng(3)
    spectrum = parse_timbre("harmonic:partials=5")
    scores = [
        Score.from_chords(rng.uniform(-600, 600, (3, 4)), step_s=0.2, timbre="harmonic"),
        Score.from_chords(rng.uniform(-600, 600, (2, 6)), step_s=0.15, timbre="harmonic"),
    ]
    together = render_scores(scores, spectrum, sample_rate=16000, seed=7)
    for k, s in enumerate(scores):
        alone = render_score(s, spectrum, sample_rate=16000, seed=7 + k)
        assert together[k].shape == alone.shape
        torch.testing.assert_close(together[k], alone, atol=1e-6, rtol=0)


# ---------------------------------------------------------------------------------------------
# Everything together against the slow reference (random notes, envelopes, decays, phases).


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_notes=st.integers(1, 6),
    block_size=st.sampled_from([2, 16, 61, 256]),
    attack=st.floats(1e-3, 0.05),
    decay=st.floats(1e-3, 0.05),
    sustain=st.floats(0, 1),
    release=st.floats(1e-3, 0.05),
    struck=st.booleans(),
)
def test_matches_slow_reference(
    seed, n_notes, block_size, attack, decay, sustain, release, struck
) -> None:
    sr = 8000
    rng = np.random.default_rng(seed)
    notes = _random_notes(rng, n_notes, span_s=0.2)
    notes[:, 0] = rng.uniform(50, 1000, n_notes)
    ratios = np.array([1.0, 2.76, 3.5])  # all below 0.9 * Nyquist (gain 1) for f <= 1000 Hz
    amps = np.array([1.0, 0.5, 0.25])
    decay_s = np.array([0.3, 0.1, 0.05]) if struck else None
    phases = rng.uniform(0, 2 * np.pi, (n_notes, 3))
    env = Envelope(attack_s=attack, decay_s=decay, sustain=sustain, release_s=release)
    n = int(0.5 * sr)
    y = render(
        notes,
        ratios,
        amps,
        n,
        env,
        sr=sr,
        block_size=block_size,
        decay_s=None if decay_s is None else t64(decay_s),
        phase_rad=t64(phases),
    )
    ref = np_render(notes, ratios, amps, n, env, sr=sr, decay=decay_s, phases=phases)
    assert np.max(np.abs(y - ref)) < 2e-5


def np_glide(
    notes, glides, ratios, amps, n_samples, env, *, sr, decay=None, phases=None
) -> np.ndarray:
    """Closed-form exponential glides: f(t) = f exp(kappa min(t, d)), phase = its integral."""
    y = np.zeros(n_samples)
    n = np.arange(n_samples)
    for i, ((f, onset, d, amp), g) in enumerate(zip(notes, glides, strict=True)):
        t = n / sr - onset
        kappa = g * math.log(2) / 1200 / d
        held = np.minimum(t, d)
        cycles = f * np.expm1(kappa * held) / kappa + f * math.exp(kappa * d) * np.maximum(t - d, 0)
        e = np_envelope(t, d, env) * amp
        for k, (r, a) in enumerate(zip(ratios, amps, strict=True)):
            gk = a * (np.exp(-t / decay[k]) if decay is not None else 1.0)
            y += e * gk * np.sin(2 * np.pi * r * cycles + phases[i][k])
    return y


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**31), n_notes=st.integers(1, 4), struck=st.booleans())
def test_glides_match_closed_form(seed, n_notes, struck) -> None:
    sr = 8000
    rng = np.random.default_rng(seed)
    notes = _random_notes(rng, n_notes, span_s=0.2)
    notes[:, 0] = rng.uniform(50, 600, n_notes)
    notes[:, 2] = rng.uniform(0.05, 0.4, n_notes)
    glides = rng.uniform(-1200, 1200, n_notes)  # up to an octave either way: <= 1200 Hz * 2.5
    ratios, amps = np.array([1.0, 2.5]), np.array([1.0, 0.4])
    decay_s = np.array([0.3, 0.1]) if struck else None
    phases = rng.uniform(0, 2 * np.pi, (n_notes, 2))
    n = int(0.7 * sr)
    y = render(
        notes,
        ratios,
        amps,
        n,
        ENV,
        sr=sr,
        glide_cents=t64(glides),
        decay_s=None if decay_s is None else t64(decay_s),
        phase_rad=t64(phases),
    )
    ref = np_glide(notes, glides, ratios, amps, n, ENV, sr=sr, decay=decay_s, phases=phases)
    assert np.max(np.abs(y - ref)) < 2e-5


def test_glide_path_without_glide_equals_block_path() -> None:
    rng = np.random.default_rng(4)
    notes = _random_notes(rng, 5, span_s=0.3)
    tiny = t64(np.full(5, 1e-300))  # nonzero: forces the direct path, musically no glide
    a = render(notes, [1.0, 2.0], [1.0, 0.5], SR // 2, ENV)
    b = render(notes, [1.0, 2.0], [1.0, 0.5], SR // 2, ENV, glide_cents=tiny)
    assert np.max(np.abs(a - b)) < 1e-5


def test_glide_reaches_target_pitch() -> None:
    # A one-octave glide: the instantaneous frequency at note-off is twice the start.
    n = SR
    y = render([(500.0, 0.0, 0.5, 1.0)], [1.0], [1.0], n, ENV, glide_cents=t64([1200.0]))
    tail = y[int(0.5 * SR) : int(0.52 * SR)].astype(np.float64)  # during the release: 1000 Hz
    spec = np.abs(np.fft.rfft(tail * np.hanning(tail.size), n=1 << 16))
    peak_hz = np.argmax(spec) * SR / (1 << 16)
    assert abs(peak_hz - 1000.0) < 5.0


# ---------------------------------------------------------------------------------------------
# Details.


def test_notes_outside_and_silent_notes() -> None:
    n = 1000
    y = render([(440.0, 1.0, 0.5, 1.0), (440.0, 0.0, 0.5, 0.0)], [1.0], [1.0], n, ENV)
    assert y.shape == (n,) and not np.any(y)
    # A note that runs past the end is cut, not wrapped or dropped.
    y = render([(440.0, 0.0, 1.0, 1.0)], [1.0], [1.0], n, ENV)
    np.testing.assert_allclose(
        y, np_render([(440.0, 0.0, 1.0, 1.0)], [1.0], [1.0], n, ENV), atol=1e-5
    )


def test_long_notes_are_split_into_segments() -> None:
    note = [(261.6, 0.05, 1.5, 1.0)]
    n = 2 * SR
    a = render(note, [1.0, 3.0], [1.0, 0.3], n, ENV)
    b = render(note, [1.0, 3.0], [1.0, 0.3], n, ENV, chunk_samples=1 << 14)  # 63-block segments
    assert np.max(np.abs(a - b)) < 1e-6


def test_pan_is_equal_power() -> None:
    g = equal_power_pan(torch.linspace(-1, 1, 11, dtype=torch.float64))
    torch.testing.assert_close((g**2).sum(-1), torch.ones(11, dtype=torch.float64))
    assert g[0].tolist() == pytest.approx([1.0, 0.0], abs=1e-12)
    assert g[5].tolist() == pytest.approx([math.sqrt(0.5)] * 2)
    notes = np.array([(440.0, 0.0, 0.2, 1.0)])
    y = render(notes, [1.0], [1.0], SR // 2, ENV, pan=t64([-1.0]))
    assert y.shape == (2, SR // 2) and not np.any(y[1]) and np.any(y[0])
    assert voice_pans(1).tolist() == [0.0]
    assert voice_pans(3).tolist() == [-0.5, 0.0, 0.5]


def test_render_score_seeded_phases() -> None:
    spectrum = parse_timbre("harmonic:partials=6")
    s = Score.from_chords(np.array([[0.0, 386.0], [702.0, 1200.0]]), step_s=0.25, timbre="harmonic")
    a = render_score(s, spectrum, sample_rate=16000, seed=1)
    b = render_score(s, spectrum, sample_rate=16000, seed=1)
    c = render_score(s, spectrum, sample_rate=16000, seed=2)
    assert a.shape == (2, math.ceil((0.5 + 0.08) * 16000))
    assert torch.equal(a, b) and not torch.equal(a, c)
    # Random phases change the waveform, not the level: energies agree to a few per cent.
    assert float((a**2).sum() / (c**2).sum()) == pytest.approx(1.0, rel=0.1)
    mono = render_score(s, spectrum, sample_rate=16000, stereo=False, random_phase=False)
    assert mono.shape == (1, a.shape[1])


def test_struck_timbre_decays_per_partial() -> None:
    bell = parse_timbre("bell")
    s = Score(cents=[[0.0]], onset_s=[[0.0]], duration_s=[[3.0]], amplitude=[[1.0]], timbre="bell")
    y = (
        render_score(s, bell, sample_rate=16000, stereo=False, random_phase=False)[0]
        .double()
        .numpy()
    )
    # Partial 7 (tau 0.7 s) has fallen by e^(-2/0.7 + 0.5/0.7) between 0.5 s and 2 s; partial 1
    # (tau 6 s) only by e^(-1.5/6): measure both with narrow bands.
    f0 = s.hz()[0, 0]

    def level(t0: float, ratio: float) -> float:
        seg = y[int(t0 * 16000) : int((t0 + 0.25) * 16000)]
        return math.sqrt(_band_energy(seg, [f0 * ratio], half_width_hz=30, sr=16000)[0])

    fast = level(2.0, 4.17) / level(0.5, 4.17)
    slow = level(2.0, 0.5) / level(0.5, 0.5)
    assert fast == pytest.approx(math.exp(-1.5 / 0.7), rel=0.05)
    assert slow == pytest.approx(math.exp(-1.5 / 6.0), rel=0.05)


_MEMORY_SCRIPT = """
import resource, sys
import numpy as np
from xentune.score import Score
from xentune.rendering import render_score
from xentune.timbre import parse_timbre
sp = parse_timbre("harmonic:partials=16")
rng = np.random.default_rng(0)
render_score(Score.from_chords(rng.uniform(-1200, 1200, (8, 4)), step_s=0.5, timbre="h"), sp)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
y = render_score(Score.from_chords(rng.uniform(-1200, 1200, (8, 1200)), step_s=0.5, timbre="h"), sp)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert y.shape == (2, 28803840), y.shape
print((peak - base) / 1024)
"""


@pytest.mark.slow
def test_ten_minute_piece_renders_in_bounded_memory() -> None:
    """10 min, 8 voices x 16 partials, stereo at 48 kHz: measured 541 MiB over the warm process."""
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-c", _MEMORY_SCRIPT], capture_output=True, text=True, check=True
    )
    extra_mib = float(done.stdout.strip().splitlines()[-1])
    output_mib = 2 * 28803840 * 4 / 2**20  # 220 MiB of float32 audio is the floor
    assert output_mib < extra_mib < 1536, extra_mib
