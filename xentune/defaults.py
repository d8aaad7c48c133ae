"""Defaults that the CLI shows in ``--help``: plain numbers, importable without torch.

The library modules take their defaults from here (one truth per number), and the command
modules read them at import time, so ``xentune --help`` answers without loading torch.
"""

from __future__ import annotations

__all__ = [
    "CONSONANCE_MODEL_NAMES",
    "MAX_LENGTH_S",
    "MAX_PIECES",
    "MAX_REFINE_STEPS",
    "MAX_RENDER_S",
    "MAX_RUN_AUDIO_S",
    "MAX_SAMPLED_PITCHES",
    "MAX_SEED",
    "MAX_STEPS",
    "MAX_STEP_S",
    "MAX_TEMPERATURE",
    "MAX_TRAIN_STEPS",
    "MAX_VOICES",
    "DEFAULT_LENGTH_S",
    "DEFAULT_LUFS",
    "DEFAULT_MPE_BEND_RANGE",
    "DEFAULT_PIECES",
    "DEFAULT_ANALYSIS_PIECES",
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
DEFAULT_TRAIN_STEPS = 600

#: Final temperature of ``p(x) ~ exp(-E(x) / T)`` (energy in R0 per chord); see `TrainConfig`.
DEFAULT_TEMPERATURE = 0.175

#: Pieces composed, rendered and exported by ``xentune generate``.
DEFAULT_PIECES = 16

#: Raw samples of the generator the emergent scale, the criteria and the controls are read from
#: (the played pieces are drawn apart, one seed per piece). The scale is the generator's, so it
#: is read from enough of its draws to see every degree it uses: on held-out seeds 10-19 the
#: harmonic raw samples met the criteria in 7 of 10 runs read from 16 draws and in 9 of 10 read
#: from 64 of the same models (2026-12-04); the controls get as many.
DEFAULT_ANALYSIS_PIECES = 64

#: Audio sample rate of rendered pieces, in Hz.
DEFAULT_SAMPLE_RATE = 48000

#: Gradient steps on the energy after sampling (0 = raw samples).
DEFAULT_REFINE_STEPS = 50

#: Duration of one sampled chord, in seconds.
DEFAULT_STEP_S = 0.6

#: Integrated loudness that rendered audio is normalised to (LUFS, ITU-R BS.1770).
DEFAULT_LUFS = -16.0

#: Length of each composed piece in seconds (``--length``), and the longest allowed.
DEFAULT_LENGTH_S = 30.0
MAX_LENGTH_S = 600.0

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

# Caps on every size a user controls. Each is checked before anything is allocated and shown
# in --help; the peak memory of each command at its cap is measured in the note of issue 16.

#: Most voices per chord and chords per piece (and at most 512 pitches per piece in all).
MAX_VOICES = 16
MAX_STEPS = 64

#: Most pieces one generate or sample run makes.
MAX_PIECES = 999

#: Most optimiser steps of one training run (about 5 ms each at the defaults on one thread).
MAX_TRAIN_STEPS = 100_000

#: Most gradient steps of refinement per sampled piece.
MAX_REFINE_STEPS = 10_000

#: Largest seed: torch generators take a signed 64-bit seed.
MAX_SEED = 2**63 - 1

#: Highest temperature (energy in R0 per chord; above ~10 the target is already flat).
MAX_TEMPERATURE = 1000.0

#: Longest chord of a sampled piece, in seconds.
MAX_STEP_S = 60.0

#: Longest audio `xentune render` writes, in seconds (all pieces and gaps): 10 minutes is
#: 230 MB of float32 stereo at 48 kHz before the file is written.
MAX_RENDER_S = 600.0

#: Most audio a generate run renders in all (pieces x chords x chord length), in seconds: the
#: same 10 minutes as `MAX_RENDER_S` (16 voices over 600 s peaked at 4.2 GB when rendered).
MAX_RUN_AUDIO_S = 600.0

#: Most pitches sampled and refined in one batch (pieces x voices x chords): refinement holds
#: the energy's graph of every piece at once, about 18 kB per pitch (999 pieces of 16 x 32
#: pitches peaked at 9.3 GB); 65,536 pitches is 128 such pieces, or 999 of the default 4 x 8.
MAX_SAMPLED_PITCHES = 65_536
