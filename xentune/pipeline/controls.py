"""The run's controls: the trained generator's samples beside the untrained generator and random chords."""

from __future__ import annotations

from typing import Any

import torch

from xentune.generator.controls import SampleScore, random_chords, score_samples
from xentune.generator.energy import Energy
from xentune.generator.sample import refine, sample_pieces
from xentune.generator.train import untrained_model
from xentune.pipeline.config import RunConfig
from xentune.spectrum import Spectrum

__all__ = ["controls_dict", "score_controls"]

#: Seed offset of the random-chords control (so that it never shares noise with the generator).
_RANDOM_CONTROL_SEED_OFFSET = 7919


def score_controls(
    config: RunConfig,
    *,
    spectrum: Spectrum,
    trained_raw: torch.Tensor,
    trained_refined: torch.Tensor | None,
    energy: Energy,
    minima_cents: tuple[float, ...],
    device: torch.device,
) -> tuple[SampleScore, ...]:
    """The trained generator's samples and its controls, raw and refined, scored alike.

    Controls (DESIGN section 4, "Emergence"): the generator before training (its seed's initial
    weights) and uniform random chords over the energy's range, as many pieces of the same shape,
    each put through the same refinement as the generator's samples.
    """
    t = config.train
    untrained = sample_pieces(
        untrained_model(t, spectrum=spectrum, device=device),
        n_pieces=config.sampled_pieces,
        seed=t.seed,
        device=device,
    )
    generator = torch.Generator(device=device)
    generator.manual_seed(t.seed + _RANDOM_CONTROL_SEED_OFFSET)
    chords = random_chords(
        config.sampled_pieces,
        voices=t.voices,
        steps=t.steps,
        low_cents=t.energy.range_low_cents,
        high_cents=t.energy.range_high_cents,
        generator=generator,
    )
    rows = []
    for source, raw, refined in (
        ("trained", trained_raw, trained_refined),
        ("untrained", untrained, None),
        ("random", chords, None),
    ):
        stages: list[tuple[str, torch.Tensor]] = [("raw", raw)]
        if config.refine_steps > 0:
            if refined is None:
                refined = refine(raw, energy, steps=config.refine_steps)
            stages.append(("refined", refined))
        for stage, x in stages:
            rows.append(
                score_samples(
                    x,
                    source=source,
                    stage=stage,
                    timbre=t.timbre,
                    spectrum=spectrum,
                    minima_cents=minima_cents,
                )
            )
    return tuple(rows)


def controls_dict(config: RunConfig, controls: tuple[SampleScore, ...]) -> dict[str, Any]:
    from xentune.generator.controls import DISTINCT_CHORD_CENTS, NEAR_MINIMUM_CENTS

    return {
        "format": "xentune-controls",
        "version": 1,
        "pieces": config.sampled_pieces,
        "refine_steps": config.refine_steps,
        "near_minimum_cents": NEAR_MINIMUM_CENTS,
        "distinct_chord_cents": DISTINCT_CHORD_CENTS,
        "rows": [row.to_dict() for row in controls],
    }
