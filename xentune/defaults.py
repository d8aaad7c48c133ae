"""Defaults that the CLI shows in ``--help``: plain numbers, importable without torch.

The library modules take their defaults from here (one truth per number), and the command
modules read them at import time, so ``xentune --help`` answers without loading torch.
"""

from __future__ import annotations

__all__ = [
    "CONSONANCE_MODEL_NAMES",
    "DEFAULT_LUFS",
    "DEFAULT_MPE_BEND_RANGE",
    "DEFAULT_PIECES",
    "DEFAULT_RATIO_TOLERANCE_CENTS",
    "DEFAULT_REFERENCE_HZ",
    "DEFAULT_REFINE_STEPS",
    "DEFAULT_SAMPLE_RATE",
    "DEFAULT_STEPS",
    "DEFAULT_STEP_S",
    "DEFAULT_TEMPERATURE",
    "DEFAULT_TRAIN_STEPS",
    "DEFAULT_VOICES",
]

#: Middle C (C4) in 12-EDO at A4 = 440 Hz: the default pitch reference, 0 cents.
DEFAULT_REFERENCE_HZ = 261.6255653005986

#: Voices per chord and chords per piece of the generator.
DEFAULT_VOICES = 4
DEFAULT_STEPS = 8

#: Optimiser steps of training.
DEFAULT_TRAIN_STEPS = 300

#: Final temperature of ``p(x) ~ exp(-E(x) / T)`` (energy in R0 per chord); see `TrainConfig`.
DEFAULT_TEMPERATURE = 0.15

#: Pieces sampled, rendered and analysed by ``xentune generate``.
DEFAULT_PIECES = 16

#: Audio sample rate of rendered pieces, in Hz.
DEFAULT_SAMPLE_RATE = 48000

#: Gradient steps on the energy after sampling (0 = raw samples).
DEFAULT_REFINE_STEPS = 50

#: Duration of one sampled chord, in seconds.
DEFAULT_STEP_S = 0.6

#: Integrated loudness that rendered audio is normalised to (LUFS, ITU-R BS.1770).
DEFAULT_LUFS = -16.0

#: Default tolerance of ``--ratios``: a degree within 5 cents of a simple ratio is written as it.
#: Well inside the 20-cent smallest step, and above the 0.1..0.7-cent errors of a default harmonic
#: run's degrees (6/5 5/4 4/3 3/2 5/3).
DEFAULT_RATIO_TOLERANCE_CENTS = 5.0

#: The MPE default pitch-bend range of member channels, in semitones (what Live 12 expects).
DEFAULT_MPE_BEND_RANGE = 48

#: Every model ``xentune score`` knows (see `xentune.psychoacoustics.consonance`).
CONSONANCE_MODEL_NAMES = (
    "sethares",
    "sethares1993",
    "vassilakis",
    "hutchinson",
    "harmonicity",
    "harmonicity_peak",
    "spectral_similarity",
    "composite",
)
