"""The JSON schema of ``report.json`` (version ``SCHEMA_VERSION``), documented field by field."""

from __future__ import annotations

from typing import Any

from xentune.errors import ConfigError

__all__ = ["REPORT_SCHEMA", "report_schema_json", "validate_report"]

_SCHEMA_VERSION = 2  # equal to xentune.report.analysis.SCHEMA_VERSION (a test checks it)


def _num(description: str, *, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["number", "null"] if nullable else "number", "description": description}


def _int(description: str, *, nullable: bool = False, minimum: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": ["integer", "null"] if nullable else "integer",
        "description": description,
    }
    if minimum is not None:
        out["minimum"] = minimum
    return out


def _str(description: str, *, nullable: bool = False) -> dict[str, Any]:
    return {"type": ["string", "null"] if nullable else "string", "description": description}


def _arr(items: dict[str, Any], description: str, *, nullable: bool = False) -> dict[str, Any]:
    return {
        "type": ["array", "null"] if nullable else "array",
        "items": items,
        "description": description,
    }


def _obj(properties: dict[str, Any], description: str, *, nullable: bool = False) -> dict[str, Any]:
    return {
        "type": ["object", "null"] if nullable else "object",
        "description": description,
        "properties": properties,
        "required": sorted(properties),
        "additionalProperties": False,
    }


_JUST_RATIO = _obj(
    {
        "ratio": _str("The just ratio p/q, in lowest terms, e.g. '3/2'."),
        "cents": _num("Size of the ratio in cents, 1200 * log2(p/q)."),
        "error_cents": _num(
            "The degree minus the ratio, in cents (positive: the degree is sharp)."
        ),
        "odd_limit": _int("Largest odd factor of p and q.", minimum=1),
        "prime_limit": _int("Largest prime factor of p * q (1 for 1/1).", minimum=1),
        "tenney_height": _num("log2(p * q): the ratio's complexity."),
    },
    "A just ratio within 15 cents of a degree.",
)

_STEP = _obj(
    {
        "degree": _int("1-based scale degree (0 would be the unison 1/1).", minimum=1),
        "cents": _num("The degree above the tonic, in cents."),
        "is_period": {"type": "boolean", "description": "True for the last degree, the period."},
        "strength": _num(
            "Emergent peak height relative to a flat density; null for a scale file.", nullable=True
        ),
        "source_ratio": _str(
            "The exact ratio of the .scl degree, when it was given as one.", nullable=True
        ),
        "just_ratios": _arr(
            _JUST_RATIO, "Just ratios within 15 cents, simplest (Tenney height) first."
        ),
        "nearest_minimum_cents": _num(
            "The timbre's nearest dissonance-curve minimum, cents.", nullable=True
        ),
        "minimum_offset_cents": _num("The degree minus that minimum, cents.", nullable=True),
        "simple_ratio": _str("The nearest ratio of odd limit <= 9.", nullable=True),
        "simple_ratio_error_cents": _num("The degree minus that ratio, cents.", nullable=True),
        "best_edo_degree": _int(
            "Nearest step of the best-fitting EDO (null for the period).", nullable=True
        ),
        "best_edo_error_cents": _num("The degree minus that EDO step, cents.", nullable=True),
    },
    "One degree of the scale with its comparisons.",
)

_EDO_FIT = _obj(
    {
        "n": _int("Number of equal divisions of the period.", minimum=1),
        "period_cents": _num("The period divided, cents."),
        "step_cents": _num("period_cents / n."),
        "degree_steps": _arr(
            {"type": "integer"}, "Nearest EDO step of each degree below the period."
        ),
        "degree_errors_cents": _arr({"type": "number"}, "Each degree minus its EDO step, cents."),
        "rms_error_cents": _num("Root-mean-square of degree_errors_cents."),
        "relative_rms_error": _num("rms_error_cents / step_cents (0 perfect, 0.29 random)."),
    },
    "The fit of one EDO.",
)

_MINIMUM = _obj(
    {
        "cents": _num("Interval of the minimum, cents."),
        "ratio": _num("Interval of the minimum as a frequency ratio."),
        "value": _num("Dyad roughness at the minimum (model units)."),
        "depth": _num("Prominence of the minimum (model units)."),
        "nearest_degree": _int("The scale degree nearest to this minimum.", nullable=True),
        "offset_cents": _num("That degree minus the minimum, cents.", nullable=True),
    },
    "A local minimum of the dissonance curve.",
)

_NUMS = {"type": "number"}

_CONTROL_ROW = _obj(
    {
        "source": {
            "enum": ["trained", "untrained", "random"],
            "description": "The trained generator, the same generator untrained, or uniform "
            "random chords.",
        },
        "stage": {"enum": ["raw", "refined"], "description": "As sampled, or refined."},
        "period_cents": _num("Period found in these samples, cents."),
        "period_source": _str("data, timbre, given or default."),
        "period_similarity": _num("Self-similarity at the period lag.", nullable=True),
        "steps_cents": _arr(_NUMS, "Emergent steps, cents."),
        "peakedness_nats": _num("KL divergence of the interval density from flat, nats."),
        "near_minimum_fraction": _num("Share of sounding intervals near a curve minimum."),
        "chance_fraction": _num("That share for a uniform spread of intervals."),
        "distinct_chord_fraction": _num("Distinct chords over all chords."),
        "best_edo": _int("Best equal division of the period (5..31).", nullable=True),
        "criteria_passed": {
            "type": ["boolean", "null"],
            "description": "The timbre's emergence criteria met (null: none for this timbre).",
        },
        "criteria_failures": _arr({"type": "string"}, "Failed criteria, one line each."),
    },
    "One set of samples scored by the emergence metrics.",
)

REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://xentune.invalid/report.schema.json",
    "title": "xentune tuning report",
    "description": (
        "report.json written by `xentune generate` and `xentune analyze`: the tuning analysis of a run, "
        "a score or a scale. All intervals are in cents above the tonic (1200 per 2/1). Fields that a "
        "kind of source cannot provide are null or empty (e.g. no training for a .scl), and 'notes' "
        "says so. Readers must check schema_version."
    ),
    **_obj(
        {
            "schema_version": {
                "const": _SCHEMA_VERSION,
                "description": "Layout version of this file.",
            },
            "kind": {
                "enum": ["run", "score", "scale"],
                "description": "What the report was made from.",
            },
            "source": _str("Path of the run folder, score.json or .scl."),
            "title": _str("Title of the report."),
            "xentune_version": _str("Version of xentune that wrote the report."),
            "timbre": _obj(
                {
                    "name": _str("The timbre spec, e.g. 'harmonic' or 'stretched:octave=2.1'."),
                    "pseudo_octave": _num(
                        "The timbre's period ratio by construction.", nullable=True
                    ),
                    "ratios": _arr(_NUMS, "Partial frequency ratios to the fundamental."),
                    "amplitudes": _arr(_NUMS, "Linear partial amplitudes."),
                },
                "The timbre's partials; null for a scale file analysed without a timbre.",
                nullable=True,
            ),
            "period": _obj(
                {
                    "cents": _num("The period, cents."),
                    "ratio": _num("The period as a frequency ratio."),
                    "kind": {
                        "enum": [
                            "octave",
                            "stretched octave",
                            "compressed octave",
                            "tritave",
                            "non-octave period",
                        ],
                        "description": "What kind of period: octave within 5 cents of 1200, else stretched/...",
                    },
                    "octave_offset_cents": _num("cents - 1200."),
                    "timbre_pseudo_octave_cents": _num(
                        "The timbre's own period in cents.", nullable=True
                    ),
                    "description": _str("One sentence saying what the period is."),
                },
                "The period of the scale.",
            ),
            "steps": _arr(_STEP, "Every degree after 1/1; the last is the period."),
            "edo": _obj(
                {
                    "n_min": _int("Smallest n tried."),
                    "n_max": _int("Largest n tried."),
                    "best": _arr(
                        _EDO_FIT, "The best EDOs by relative RMS error, ties to the smallest n."
                    ),
                    "n": _arr({"type": "integer"}, "Every n tried."),
                    "rms_error_cents": _arr(_NUMS, "RMS error of each n, cents."),
                    "relative_rms_error": _arr(_NUMS, "RMS error of each n relative to its step."),
                },
                "Equal divisions of the period fitted to the degrees below the period.",
            ),
            "curve": _obj(
                {
                    "model": _str("Roughness model of the curve."),
                    "f0_hz": _num("Lower note of the dyads, Hz."),
                    "cents": _arr(_NUMS, "Interval of each sample, cents."),
                    "values": _arr(_NUMS, "Dyad roughness of each sample (model units)."),
                    "minima": _arr(_MINIMUM, "Local minima (the unison excluded), ascending."),
                },
                "The timbre's dissonance curve; null without a timbre.",
                nullable=True,
            ),
            "landmarks": _arr(
                _obj(
                    {
                        "ratio": _str("A classic just interval."),
                        "cents": _num("Its size, cents."),
                        "nearest_degree": _int("The degree nearest to it.", nullable=True),
                        "nearest_degree_cents": _num("That degree, cents.", nullable=True),
                        "degree_offset_cents": _num("Degree minus ratio, cents.", nullable=True),
                        "nearest_minimum_cents": _num(
                            "The curve minimum nearest to it.", nullable=True
                        ),
                        "minimum_offset_cents": _num("Minimum minus ratio, cents.", nullable=True),
                    },
                    "A just interval and what sits near it.",
                ),
                "6/5, 5/4, 4/3, 3/2, 5/3, 2/1 against the degrees and the curve minima.",
            ),
            "agreement": _obj(
                {
                    "n_degrees": _int("Degrees compared (the period included).", minimum=1),
                    "tolerance_cents": _num("'Near' means within this many cents."),
                    "n_near_minimum": _int("Degrees near a curve minimum.", minimum=0),
                    "n_near_simple_ratio": _int(
                        "Degrees near a ratio of odd limit <= 9.", minimum=0
                    ),
                    "mean_abs_minimum_offset_cents": _num(
                        "Mean |degree - nearest curve minimum|, cents."
                    ),
                    "max_abs_minimum_offset_cents": _num(
                        "Largest |degree - nearest curve minimum|, cents."
                    ),
                    "mean_abs_simple_ratio_error_cents": _num(
                        "Mean |degree - nearest 9-odd-limit ratio|."
                    ),
                    "follows": {
                        "enum": ["curve minima", "just ratios", "both", "neither"],
                        "description": "Which explains more degrees (both: all near both).",
                    },
                    "verdict": _str("One sentence."),
                },
                "Do the degrees follow the curve minima or simple just ratios? Null without a curve.",
                nullable=True,
            ),
            "emergence": _obj(
                {
                    "n_pieces": _int("Pieces pooled.", minimum=1),
                    "n_voices": _int("Voices per piece.", minimum=1),
                    "n_chords": _int("Chords (time steps) per piece.", minimum=1),
                    "n_intervals": _int("Intervals pooled.", minimum=0),
                    "period_source": _str(
                        "How the period was found: data (the lag of best self-similarity of the "
                        "interval density, 1000-1450 cents), timbre (the data showed none), given "
                        "or default."
                    ),
                    "period_similarity": _num(
                        "Self-similarity (correlation) of the density at the period lag; null "
                        "unless the period came from the data.",
                        nullable=True,
                    ),
                    "samples": {
                        "enum": ["raw", "refined", "score"],
                        "description": "Which pieces were pooled: the generator's raw samples, "
                        "refined ones, or a score.json as given.",
                    },
                    "bandwidth_cents": _num("Kernel width of the density, cents."),
                    "peakedness_nats": _num(
                        "KL divergence of the density from a flat one (0 = flat)."
                    ),
                    "grid_cents": _arr(_NUMS, "Density grid over one period, cents."),
                    "density": _arr(
                        _NUMS, "Circular kernel density of the pooled intervals, 1/cent."
                    ),
                },
                "The pooled intervals of the pieces; null for a scale file.",
                nullable=True,
            ),
            "training": _obj(
                {
                    "n_steps": _int("Training steps.", minimum=0),
                    "initial_energy": _num("Mean energy at the first logged step."),
                    "final_energy": _num("Mean energy at the last logged step."),
                    "min_energy": _num("Lowest logged mean energy."),
                    "final_entropy": _num(
                        "Entropy estimate at the last step (nats).", nullable=True
                    ),
                    "final_loss": _num("Loss at the last step.", nullable=True),
                    "elapsed_s": _num("Wall time of the run, seconds.", nullable=True),
                    "step": _arr({"type": "integer"}, "Logged steps (thinned)."),
                    "energy": _arr(_NUMS, "Mean energy at each logged step."),
                    "entropy": _arr(_NUMS, "Entropy at each logged step (empty if not logged)."),
                    "temperature": _arr(
                        _NUMS, "Temperature T at each logged step (empty if not logged)."
                    ),
                },
                "Training summary; null without a run.",
                nullable=True,
            ),
            "pieces": _arr(
                _obj(
                    {
                        "index": _int("1-based piece number.", minimum=1),
                        "name": _str("File stem, e.g. 'piece-01'."),
                        "audio": _str("Audio file relative to the run folder.", nullable=True),
                        "midi": _str(
                            "Pitch-bend MIDI file relative to the run folder.", nullable=True
                        ),
                        "midi_mts": _str(
                            "MTS MIDI file relative to the run folder.", nullable=True
                        ),
                        "midi_mpe": _str(
                            "MPE MIDI file relative to the run folder.", nullable=True
                        ),
                        "n_voices": _int("Voices.", minimum=1),
                        "n_notes": _int("Notes in all voices.", minimum=0),
                        "duration_s": _num("Length, seconds."),
                        "lowest_cents": _num("Lowest pitch, cents above the reference."),
                        "highest_cents": _num("Highest pitch, cents above the reference."),
                    },
                    "One piece.",
                ),
                "The pieces (empty for a scale file).",
            ),
            "example_piece": _obj(
                {
                    "index": _int("Which piece.", minimum=1),
                    "cents": _arr(
                        _arr(_NUMS, "One voice."), "Pitches (V, N), cents above the reference."
                    ),
                    "onset_s": _arr(_arr(_NUMS, "One voice."), "Onsets (V, N), seconds."),
                    "duration_s": _arr(_arr(_NUMS, "One voice."), "Durations (V, N), seconds."),
                    "grid_offset_cents": _num(
                        "Tonic of the scale grid that fits the piece best, cents."
                    ),
                },
                "The piece drawn in the pitch-time plot; null for a scale file.",
                nullable=True,
            ),
            "frequencies_hz": _arr(
                {"type": ["number", "null"]},
                "The 128 MIDI keys' frequencies under the keyboard mapping (null: unmapped); scale files only.",
                nullable=True,
            ),
            "settings": {
                "type": "object",
                "description": "The run's settings, flat key -> scalar (nested keys joined by dots).",
                "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
            },
            "versions": {
                "type": "object",
                "description": "Package versions that made the run.",
                "additionalProperties": {"type": "string"},
            },
            "notes": _arr(
                {"type": "string"}, "What the report lacks and why (e.g. no run for a .scl)."
            ),
            "findings": _arr({"type": "string"}, "The report's headline sentences."),
            "use": _obj(
                {
                    "files": _arr(
                        _obj(
                            {
                                "path": _str("File relative to the run folder."),
                                "format": _str("Its format, e.g. 'Scala scale'."),
                                "what": _str("What it is for."),
                            },
                            "A scale file of the run.",
                        ),
                        "The run's scale files present in its folder.",
                    ),
                    "n_notes": _int("Degrees per period in the files.", minimum=1),
                    "degrees_in_file": _arr(
                        {"type": "string"},
                        "Degrees 1..N as scale.scl writes them: a ratio 'n/d' or cents.",
                    ),
                    "keyboard": {
                        "enum": ["consecutive", "white-keys", "12-key"],
                        "description": "Keyboard layout of scale.kbm and scale.tun.",
                    },
                    "keyboard_text": _str("How the keys play the scale, in words."),
                    "keyboard_options": _arr(
                        _obj(
                            {
                                "layout": _str("A --keyboard value."),
                                "text": _str("How its keys would play the scale."),
                            },
                            "Another layout.",
                        ),
                        "The other layouts that can hold this scale.",
                    ),
                    "ratios": {"type": "boolean", "description": "Whether --ratios was on."},
                    "ratio_tolerance_cents": _num("Tolerance of --ratios, cents."),
                    "period_ratio": _str("Period asked for with --period-ratio.", nullable=True),
                    "mpe_bend_range": _int("MPE member bend range, semitones.", minimum=1),
                    "previews": _arr(
                        _obj(
                            {
                                "kind": {
                                    "enum": ["degree", "dyad"],
                                    "description": "A degree alone, or the degree over 1/1.",
                                },
                                "degree": _int("The degree, 0..N.", minimum=0),
                                "cents": _num("Its pitch above 1/1, cents."),
                                "audio": _str("Audio file relative to the run folder."),
                            },
                            "An audio preview.",
                        ),
                        "Audio previews of the degrees and dyads.",
                    ),
                },
                "How to use the run's scale; null without a run folder.",
                nullable=True,
            ),
            "controls": _obj(
                {
                    "pieces": _int("Pieces in each set of samples.", minimum=1),
                    "refine_steps": _int("Refinement steps of the refined rows.", minimum=0),
                    "near_minimum_cents": _num("'Near a curve minimum' means within this, cents."),
                    "rows": _arr(_CONTROL_ROW, "trained, untrained and random; raw and refined."),
                    "verdict": _str("How far the trained generator is beyond its controls."),
                    "generator_period_cents": _num(
                        "The scale generator's own mean period, cents (null for a flow).",
                        nullable=True,
                    ),
                    "generator_classes_cents": _arr(
                        _NUMS, "Its mean pitch classes above the root (0 first), cents."
                    ),
                    "generator_class_usage": _arr(_NUMS, "Share of notes on each class."),
                },
                "The trained generator's samples beside its controls (the untrained generator "
                "and uniform random chords, each raw and through the same refinement), scored "
                "alike; null without a run that scored them.",
                nullable=True,
            ),
        },
        "The tuning report.",
    ),
}


def report_schema_json() -> str:
    """The schema as JSON text (for documentation and external validators)."""
    import json

    return json.dumps(REPORT_SCHEMA, indent=1) + "\n"


def validate_report(data: object, *, source: str = "report.json") -> None:
    """Check ``data`` against `REPORT_SCHEMA`.

    Raises
    ------
    ConfigError
        The first schema violation, with its JSON path.
    """
    import jsonschema

    if (
        isinstance(data, dict)
        and "schema_version" in data
        and data["schema_version"] != _SCHEMA_VERSION
    ):
        raise ConfigError(
            f"{source}: report schema version {data['schema_version']!r} is not supported (this xentune "
            f"reads {_SCHEMA_VERSION}); rebuild the report with `xentune analyze --force`"
        )
    validator = jsonschema.Draft202012Validator(REPORT_SCHEMA)
    error = jsonschema.exceptions.best_match(validator.iter_errors(data))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        raise ConfigError(
            f"{source}: not a valid xentune report (at {where}: {error.message[:200]}); "
            "rebuild it with `xentune analyze RUN_DIR --force`"
        )
