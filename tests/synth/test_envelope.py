"""Tests of the envelopes against hand-computed values and an independent np.interp ADSR."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from xentune.errors import ConfigError
from xentune.synth.envelope import Envelope, adsr, exponential_decay


def test_adsr_hand_values() -> None:
    env = Envelope(attack_s=0.1, decay_s=0.2, sustain=0.5, release_s=0.4)
    t = torch.tensor([-0.1, 0.0, 0.05, 0.1, 0.2, 0.3, 0.9, 1.0, 1.2, 1.4, 2.0], dtype=torch.float64)
    got = env(t, torch.tensor(1.0, dtype=torch.float64))
    expected = [0.0, 0.0, 0.5, 1.0, 0.75, 0.5, 0.5, 0.5, 0.25, 0.0, 0.0]
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)


def test_release_starts_from_the_level_reached() -> None:
    # A note shorter than its attack releases from where it got to: no jump.
    env = Envelope(attack_s=0.1, decay_s=0.0, sustain=1.0, release_s=0.1)
    t = torch.linspace(0, 0.2, 2001, dtype=torch.float64)
    y = env(t, torch.tensor(0.05, dtype=torch.float64))
    assert float(y.max()) == pytest.approx(0.5, abs=1e-3)
    assert float(torch.diff(y).abs().max()) < 1.001e-3  # continuous: slope 10/s on a 0.1 ms grid


def test_zero_length_segments_are_steps() -> None:
    y = adsr(
        torch.tensor([0.0, 1e-9, 0.5, 1.0 - 1e-9, 1.0 + 1e-9], dtype=torch.float64),
        torch.tensor(1.0),
        attack_s=0.0,
        decay_s=0.0,
        sustain=0.7,
        release_s=0.0,
    )
    np.testing.assert_allclose(y.numpy(), [0.0, 0.7, 0.7, 0.7, 0.0], atol=1e-6)


@settings(max_examples=60, deadline=None)
@given(
    attack=st.floats(1e-3, 1),
    decay=st.floats(1e-3, 1),
    sustain=st.floats(0, 1),
    release=st.floats(1e-3, 1),
    duration=st.floats(0, 3),
)
def test_matches_interp_reference(attack, decay, sustain, release, duration) -> None:
    env = Envelope(attack_s=attack, decay_s=decay, sustain=sustain, release_s=release)
    t = np.linspace(-0.5, 5.0, 3001)
    held = np.interp(np.minimum(t, duration), [0, attack, attack + decay], [0, 1, sustain], left=0)
    ref = held * np.clip((duration + release - t) / release, 0, 1)
    got = env(torch.tensor(t), torch.tensor(duration, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(got, ref, atol=1e-12)
    assert got.min() >= 0 and got.max() <= 1


def test_breakpoints() -> None:
    env = Envelope(attack_s=0.01, decay_s=0.1, sustain=0.5, release_s=0.2)
    bp = env.breakpoints(torch.tensor([1.0, 2.0], dtype=torch.float64))
    np.testing.assert_allclose(bp.numpy(), [[0, 0.01, 0.11, 1.0, 1.2], [0, 0.01, 0.11, 2.0, 2.2]])


def test_exponential_decay_factorises() -> None:
    tau = torch.tensor([0.5, 2.0], dtype=torch.float64)
    t0, dt = torch.tensor(1.3, dtype=torch.float64), torch.tensor(0.7, dtype=torch.float64)
    torch.testing.assert_close(
        exponential_decay(t0 + dt, tau), exponential_decay(t0, tau) * exponential_decay(dt, tau)
    )
    assert float(exponential_decay(torch.tensor(0.5), torch.tensor(0.5))) == pytest.approx(
        np.exp(-1)
    )


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"attack_s": -0.1}, "attack_s=-0.1"),
        ({"release_s": float("nan")}, "release_s=nan"),
        ({"sustain": 1.5}, "sustain=1.5"),
    ],
)
def test_invalid_envelopes(kwargs, fragment) -> None:
    with pytest.raises(ConfigError, match=fragment):
        Envelope(**kwargs)
