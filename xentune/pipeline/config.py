"""The settings of a `xentune generate` run: one frozen, validated `RunConfig`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from xentune import defaults
from xentune.errors import ConfigError
from xentune.generator.exports import ExportConfig
from xentune.generator.sample import DEFAULT_REFINE_STEPS, DEFAULT_STEP_S
from xentune.generator.train_config import TrainConfig

__all__ = [
    "DEFAULT_CPU_THREADS",
    "DEFAULT_PIECES",
    "DEFAULT_SAMPLE_RATE",
    "RunConfig",
    "SCALE_FROM",
]


#: Pieces composed, rendered and exported by default. The emergent scale is read from
#: ``analysis_pieces`` raw samples (64: about 4,000 intervals), saved as ``score-raw.json`` so that
#: ``xentune analyze RUN_DIR`` finds the same scale.
DEFAULT_PIECES = defaults.DEFAULT_PIECES


#: Torch CPU threads while training and sampling on the CPU. The generator's tensors are small
#: (128 pieces x 32 pitches), so intra-op threads mostly wait for each other: measured on the
#: 2-core development box under a load average of ~8, 60 default training steps took 4.1 s of CPU
#: and 12 s of wall time with 1 thread against 64 s of CPU and 220 s of wall time with 2.
DEFAULT_CPU_THREADS = 1


#: Audio sample rate in Hz.
DEFAULT_SAMPLE_RATE = defaults.DEFAULT_SAMPLE_RATE


#: Which samples the exported scale (scale.scl, the report) is read from: the generator's own
#: ``raw`` samples (the default: the emergence xentune reports is the generator's) or the
#: ``refined`` ones (after gradient descent on the energy, which finds the dyad-curve minima by
#: construction, whatever the generator learned).
SCALE_FROM = ("raw", "refined")


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs besides its output folder.

    Parameters
    ----------
    train : TrainConfig
        Timbre, voices, steps, training steps, temperature, seed, reference frequency, energy.
    pieces : int
        Number of pieces to compose, render and export, 1..999.
    analysis_pieces : int
        Raw samples of the generator the scale, the criteria and the controls are read from,
        1..999 (`defaults.DEFAULT_ANALYSIS_PIECES`); at least ``pieces`` are drawn
        (`sampled_pieces`), saved as ``score-raw.json`` and, refined, ``score-chords.json``.
    sample_rate : int
        Audio sample rate in Hz, 8000..192000.
    step_s : float
        Length of one chord in seconds, > 0.
    device : str
        ``auto``, ``cpu`` or ``cuda`` (see ``xentune.device.resolve_device``).
    cpu_threads : int
        Torch CPU threads for sampling, rendering and exports (see `DEFAULT_CPU_THREADS`; training
        always uses one, see `xentune.generator.train`): part of what makes a run reproducible.
    exports : ExportConfig
        How the scale files and the MIDI files are written.
    refine_steps : int
        Gradient steps on the energy applied to each sampled piece for listening (0: the
        model's raw samples). Refinement settles each sample into the minimum of its own basin
        of the energy; since the chord energy is the dyad curve summed over voice pairs, refined
        intervals sit on the curve minima by construction, so the run reports raw and refined
        samples separately, beside the same refinement applied to its controls.
    scale_from : str
        ``raw`` (default) or ``refined``: which samples the exported scale and the report's
        analysis are read from (see `SCALE_FROM`).
    controls : bool
        Score the controls (uniform random chords and the untrained generator, raw and refined)
        in the same run (`xentune.generator.controls`).
    length_s : float
        Length of each composed piece in seconds, 1..600 (pieces end at a phrase's end, so a
        little longer); ``pieces * length_s`` is at most `defaults.MAX_RUN_AUDIO_S`.
    scale_mode : str
        ``fixed`` (every note on a degree of the run's scale.scl) or ``adaptive`` (free
        continuous pitch, as the generator sampled it).
    time_train_steps : int
        Training steps of the time model (`xentune.pipeline.music.TimeConfig`), 0..100000.
    """

    train: TrainConfig
    pieces: int = DEFAULT_PIECES
    analysis_pieces: int = defaults.DEFAULT_ANALYSIS_PIECES
    sample_rate: int = DEFAULT_SAMPLE_RATE
    step_s: float = DEFAULT_STEP_S
    device: str = "auto"
    refine_steps: int = DEFAULT_REFINE_STEPS
    cpu_threads: int = DEFAULT_CPU_THREADS
    exports: ExportConfig = field(default_factory=ExportConfig)
    scale_from: str = "raw"
    controls: bool = True
    length_s: float = defaults.DEFAULT_LENGTH_S
    scale_mode: str = "fixed"
    time_train_steps: int = 300

    def __post_init__(self) -> None:
        if (
            isinstance(self.pieces, bool)
            or not isinstance(self.pieces, int)
            or not 1 <= self.pieces <= 999
        ):
            raise ConfigError(
                f"--pieces {self.pieces}: must be an integer in 1..999 (e.g. --pieces {DEFAULT_PIECES})"
            )
        n = self.analysis_pieces
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 999:
            raise ConfigError(
                f"--analysis-pieces {n}: must be an integer in 1..999 "
                f"(e.g. --analysis-pieces {defaults.DEFAULT_ANALYSIS_PIECES})"
            )
        sr = self.sample_rate
        if isinstance(sr, bool) or not isinstance(sr, int) or not 8000 <= sr <= 192000:
            raise ConfigError(
                f"--sample-rate {sr}: must be an integer in 8000..192000 Hz (e.g. 48000)"
            )
        if not (math.isfinite(self.step_s) and self.step_s > 0):
            raise ConfigError(
                f"step_s={self.step_s}: a chord must last a finite time > 0 s (e.g. 0.6)"
            )
        r = self.refine_steps
        if isinstance(r, bool) or not isinstance(r, int) or not 0 <= r <= 10_000:
            raise ConfigError(
                f"--refine-steps {r}: must be an integer in 0..10000 (e.g. {DEFAULT_REFINE_STEPS})"
            )
        n_pitches = self.sampled_pieces * self.train.voices * self.train.steps
        if n_pitches > defaults.MAX_SAMPLED_PITCHES:
            raise ConfigError(
                f"{self.sampled_pieces} pieces (--pieces, --analysis-pieces) x {self.train.voices} "
                f"voices x {self.train.steps} chords = {n_pitches} pitches; a run samples at most "
                f"{defaults.MAX_SAMPLED_PITCHES}: use fewer pieces, voices or steps"
            )
        length = self.length_s
        if (
            isinstance(length, bool)
            or not isinstance(length, int | float)
            or not (math.isfinite(length) and 1 <= length <= defaults.MAX_RUN_AUDIO_S)
        ):
            raise ConfigError(
                f"--length {length}: must be a number of seconds in 1..{defaults.MAX_RUN_AUDIO_S:g} (e.g. 30)"
            )
        audio_s = self.pieces * float(length)
        if audio_s > defaults.MAX_RUN_AUDIO_S:
            raise ConfigError(
                f"--pieces {self.pieces} x --length {length:g} s = {audio_s:g} s of music; a run "
                f"composes and renders at most {defaults.MAX_RUN_AUDIO_S:g} s: use fewer pieces "
                "or a shorter --length"
            )
        n = self.time_train_steps
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= 100_000:
            raise ConfigError(f"time_train_steps={n}: must be an integer in 0..100000 (e.g. 300)")
        if self.scale_mode not in ("fixed", "adaptive"):
            raise ConfigError(f"--scale {self.scale_mode}: must be fixed or adaptive (e.g. fixed)")
        if self.train.voices < 2:
            raise ConfigError(
                f"--voices {self.train.voices}: a run needs at least 2 voices (the emergent scale is read "
                "from the intervals between simultaneous voices); e.g. --voices 4"
            )
        n = self.cpu_threads
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 256:
            raise ConfigError(f"cpu_threads={n}: must be an integer in 1..256 (e.g. 1)")
        if self.scale_from not in SCALE_FROM:
            raise ConfigError(
                f"--scale-from {self.scale_from}: must be one of {', '.join(SCALE_FROM)} (e.g. raw)"
            )
        if self.device not in ("auto", "cpu") and not self.device.startswith("cuda"):
            raise ConfigError(f"--device {self.device}: unknown device; use auto, cpu or cuda")

    @property
    def sampled_pieces(self) -> int:
        """Raw samples drawn from the generator: the analysed ones, and at least the played ones."""
        return max(self.pieces, self.analysis_pieces)
