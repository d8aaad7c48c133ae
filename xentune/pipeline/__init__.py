"""The composition root: train -> sample -> render -> export -> analyse -> report, in one run folder."""

from __future__ import annotations

from xentune.pipeline.config import RunConfig
from xentune.pipeline.run import RunResult, generate_run, piece_midi_notes

__all__ = ["RunConfig", "RunResult", "generate_run", "piece_midi_notes"]
