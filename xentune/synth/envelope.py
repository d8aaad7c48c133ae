"""Amplitude envelopes for notes: ADSR (linear segments) and exponential decay."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from xentune.errors import ConfigError

__all__ = ["Envelope", "adsr", "exponential_decay"]

#: Stand-in for a zero-length segment, so that ``t / length`` stays finite (a step).
_TINY_S = 1e-12


@dataclass(frozen=True)
class Envelope:
    """An ADSR envelope: linear attack to 1, linear decay to ``sustain``, linear release to 0.

    The note is held from its onset for its duration (note-on to note-off); the release starts at
    note-off from whatever level the envelope has reached, so a note shorter than its attack
    never jumps. Ramps of a few milliseconds take the click out of an onset: measured on a 440 Hz
    sine (Hann window over the onset), a 5 ms linear attack has 19 dB less energy above 1 kHz
    than a hard start, a 10 ms one 26 dB less (test_additive.py checks the synthesizer's).

    Parameters
    ----------
    attack_s : float
        Rise time from 0 to 1 in seconds, >= 0.
    decay_s : float
        Fall time from 1 to ``sustain`` in seconds, >= 0.
    sustain : float
        Level held until note-off, in [0, 1].
    release_s : float
        Fall time from the note-off level to 0 in seconds, >= 0 (the note sounds this long after
        its duration).
    """

    attack_s: float = 0.01
    decay_s: float = 0.08
    sustain: float = 0.7
    release_s: float = 0.08

    def __post_init__(self) -> None:
        for name in ("attack_s", "decay_s", "release_s"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ConfigError(
                    f"envelope {name}={value!r}: must be a finite time >= 0 s (e.g. 0.01)"
                )
        if not (isinstance(self.sustain, int | float) and 0 <= self.sustain <= 1):
            raise ConfigError(f"envelope sustain={self.sustain!r}: must be in [0, 1] (e.g. 0.7)")

    def __call__(self, t_s: torch.Tensor, duration_s: torch.Tensor) -> torch.Tensor:
        """The envelope at times ``t_s`` after onset of notes lasting ``duration_s`` (see `adsr`)."""
        return adsr(
            t_s,
            duration_s,
            attack_s=self.attack_s,
            decay_s=self.decay_s,
            sustain=self.sustain,
            release_s=self.release_s,
        )

    def breakpoints(self, duration_s: torch.Tensor) -> torch.Tensor:
        """Times after onset where the envelope's slope changes, shape (..., 5).

        Onset (0), end of attack, end of decay, note-off (``duration_s``), end of release. Between
        two breakpoints the envelope is linear in time (the synthesizer uses this to apply it per
        block instead of per sample).
        """
        d = duration_s.unsqueeze(-1)
        zeros = torch.zeros_like(d)
        return torch.cat(
            [
                zeros,
                zeros + self.attack_s,
                zeros + (self.attack_s + self.decay_s),
                d,
                d + self.release_s,
            ],
            dim=-1,
        )


def adsr(
    t_s: torch.Tensor,
    duration_s: torch.Tensor,
    *,
    attack_s: float,
    decay_s: float,
    sustain: float,
    release_s: float,
) -> torch.Tensor:
    """Linear ADSR envelope value at time ``t_s`` after a note's onset.

    Parameters
    ----------
    t_s : Tensor, shape (...)
        Time after onset in seconds (negative before the onset: the envelope is 0 there).
    duration_s : Tensor, broadcastable to ``t_s``
        Note-on to note-off time in seconds.
    attack_s, decay_s, sustain, release_s : float
        As in `Envelope`.

    Returns
    -------
    Tensor, shape (...)
        Envelope in [0, 1]; 0 before the onset and from ``duration_s + release_s`` on.
        Piecewise linear in ``t_s`` (differentiable almost everywhere).
    """
    held_t = torch.minimum(t_s, duration_s)  # s; the envelope freezes at note-off
    rise = torch.clamp(held_t / max(attack_s, _TINY_S), 0.0, 1.0)
    fall = sustain + (1.0 - sustain) * torch.clamp(
        1.0 - (held_t - attack_s) / max(decay_s, _TINY_S), 0.0, 1.0
    )
    held = torch.minimum(rise, fall)
    release = torch.clamp((duration_s + release_s - t_s) / max(release_s, _TINY_S), 0.0, 1.0)
    return held * release


def exponential_decay(t_s: torch.Tensor, time_constant_s: torch.Tensor) -> torch.Tensor:
    """``exp(-t / tau)``: a struck partial's amplitude ``t`` seconds after the onset.

    Not clamped before the onset (there the ADSR envelope is 0), so that
    ``decay(t0 + dt) == decay(t0) * decay(dt)`` holds exactly: the synthesizer factorises the
    decay into a per-block and a within-block part.

    Parameters
    ----------
    t_s : Tensor, shape (...)
        Time after onset in seconds.
    time_constant_s : Tensor, broadcastable to ``t_s``
        Time for the amplitude to fall by 1/e, > 0 (60 dB down after 6.9 tau).

    Returns
    -------
    Tensor, shape (...)
    """
    return torch.exp(-t_s / time_constant_s)
