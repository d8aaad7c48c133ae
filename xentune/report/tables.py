"""The report's tables: every number of report.json in rows and cells, for the HTML and Markdown views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from xentune.report.plots import PLOTS

__all__ = ["Cell", "Table", "plot_caption", "report_tables", "report_value"]


_MISSING = "—"


@dataclass(frozen=True)
class Cell:
    """A table cell: the JSON pointer of its value in report.json and the text shown."""

    pointer: str
    text: str


@dataclass(frozen=True)
class Table:
    """A titled table; ``key_value`` tables have a header column of labels instead of a header row."""

    anchor: str
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str | Cell, ...], ...]  # str: a label (rendered as a header cell)
    key_value: bool = False


def report_value(report: dict[str, Any], pointer: str) -> Any:  # noqa: ANN401 - JSON value
    node: Any = report
    for part in pointer.strip("/").split("/"):
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node


def _fmt(value: Any, spec: str) -> str:  # noqa: ANN401 - JSON scalar or list
    if value is None:
        return _MISSING
    if isinstance(value, list):
        return ", ".join(_fmt(v, spec) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and spec.endswith("f"):
        value = round(value, int(spec.rsplit(".", 1)[1][:-1])) + 0.0  # no "-0.00"
    if isinstance(value, (int, float)) and spec:
        return format(value, spec)
    return str(value)


def _cell(report: dict[str, Any], pointer: str, spec: str = "") -> Cell:
    return Cell(pointer, _fmt(report_value(report, pointer), spec))


_C = ".2f"  # cents


_E = "+.2f"  # signed errors and offsets in cents


def report_tables(report: dict[str, Any]) -> list[Table]:
    """The report's tables, built from the report.json dict alone (one source of truth)."""
    r = report
    tables: list[Table] = []
    summary: list[tuple[str | Cell, ...]] = [
        ("source", _cell(r, "/kind")),
        ("timbre", _cell(r, "/timbre/name") if r["timbre"] else Cell("/timbre", _MISSING)),
        ("period (cents)", _cell(r, "/period/cents", _C)),
        ("period (ratio)", _cell(r, "/period/ratio", ".5f")),
        ("period kind", _cell(r, "/period/kind")),
        ("period minus 1200 cents", _cell(r, "/period/octave_offset_cents", _E)),
        ("timbre's pseudo-octave (cents)", _cell(r, "/period/timbre_pseudo_octave_cents", _C)),
    ]
    if r["edo"]["best"]:
        summary.append(("best EDO (n)", _cell(r, "/edo/best/0/n", "d")))
    if r["agreement"]:
        summary += [
            ("degrees follow", _cell(r, "/agreement/follows")),
            ("degrees near a curve minimum", _cell(r, "/agreement/n_near_minimum", "d")),
            ("degrees near a ≤9-odd-limit ratio", _cell(r, "/agreement/n_near_simple_ratio", "d")),
            ("degrees compared", _cell(r, "/agreement/n_degrees", "d")),
        ]
    if r["emergence"]:
        summary += [
            ("pieces pooled", _cell(r, "/emergence/n_pieces", "d")),
            ("voices", _cell(r, "/emergence/n_voices", "d")),
            ("intervals pooled", _cell(r, "/emergence/n_intervals", "d")),
        ]
    tables.append(Table("summary", "Summary", ("", ""), tuple(summary), key_value=True))

    if r.get("controls"):
        rows = []
        for i in range(len(r["controls"]["rows"])):
            p = f"/controls/rows/{i}"
            rows.append(
                (
                    _cell(r, f"{p}/source"),
                    _cell(r, f"{p}/stage"),
                    _cell(r, f"{p}/peakedness_nats", ".2f"),
                    Cell(
                        f"{p}/near_minimum_fraction",
                        f"{100 * report_value(r, f'{p}/near_minimum_fraction'):.1f}",
                    ),
                    Cell(
                        f"{p}/chance_fraction",
                        f"{100 * report_value(r, f'{p}/chance_fraction'):.1f}",
                    ),
                    _cell(r, f"{p}/period_cents", ".1f"),
                    _cell(r, f"{p}/period_source"),
                    Cell(f"{p}/steps_cents", str(len(report_value(r, f"{p}/steps_cents")))),
                    _cell(r, f"{p}/best_edo", "d"),
                    _cell(r, f"{p}/distinct_chord_fraction", ".2f"),
                    _cell(r, f"{p}/criteria_passed"),
                )
            )
        tables.append(
            Table(
                "controls",
                "The trained generator beside its controls (same run, same metrics)",
                (
                    "samples",
                    "stage",
                    "peakedness (nats)",
                    f"near a curve minimum (%, ±{r['controls']['near_minimum_cents']:g} c)",
                    "chance (%)",
                    "period (c)",
                    "period from",
                    "steps",
                    "best EDO",
                    f"distinct chords (±{r['controls']['distinct_chord_cents']:g} c)",
                    "criteria met",
                ),
                tuple(rows),
            )
        )

    c = r.get("controls")
    if c and c["generator_period_cents"] is not None:
        rows = [("period (c)", _cell(r, "/controls/generator_period_cents", ".1f"))]
        for i in range(len(c["generator_classes_cents"])):
            rows.append(
                (
                    f"class {i}: cents, share of notes",
                    Cell(
                        f"/controls/generator_classes_cents/{i}",
                        f"{c['generator_classes_cents'][i]:.1f} c, "
                        f"{100 * c['generator_class_usage'][i]:.0f}%",
                    ),
                )
            )
        tables.append(
            Table(
                "generator-scale",
                "The generator's own scale (its parameters: mean period and pitch classes)",
                ("", ""),
                tuple(rows),
                key_value=True,
            )
        )

    scale = r["kind"] == "scale"
    headers = ["degree", "cents"]
    headers += ["ratio in file"] if scale else ["strength"]
    headers += ["just ratio", "error (c)", "odd limit", "prime limit", "other ratios"]
    curve = r["curve"] is not None
    headers += ["≤9-odd-limit ratio", "error (c)"]
    headers += ["curve minimum (c)", "offset (c)"] if curve else []
    headers += ["best-EDO step", "EDO error (c)"]
    rows = []
    for i, s in enumerate(r["steps"]):
        p = f"/steps/{i}"
        row: list[str | Cell] = [_cell(r, f"{p}/degree", "d"), _cell(r, f"{p}/cents", _C)]
        row.append(_cell(r, f"{p}/source_ratio") if scale else _cell(r, f"{p}/strength", ".4g"))
        if s["just_ratios"]:
            j = f"{p}/just_ratios/0"
            row += [
                _cell(r, f"{j}/ratio"),
                _cell(r, f"{j}/error_cents", _E),
                _cell(r, f"{j}/odd_limit", "d"),
                _cell(r, f"{j}/prime_limit", "d"),
            ]
            others = [f"{p}/just_ratios/{k}/ratio" for k in range(1, len(s["just_ratios"]))]
            row.append(
                Cell(f"{p}/just_ratios", ", ".join(report_value(r, o) for o in others) or _MISSING)
            )
        else:
            row += [Cell(f"{p}/just_ratios", _MISSING)] * 5
        row += [_cell(r, f"{p}/simple_ratio"), _cell(r, f"{p}/simple_ratio_error_cents", _E)]
        if curve:
            row += [
                _cell(r, f"{p}/nearest_minimum_cents", _C),
                _cell(r, f"{p}/minimum_offset_cents", _E),
            ]
        row += [_cell(r, f"{p}/best_edo_degree", "d"), _cell(r, f"{p}/best_edo_error_cents", _E)]
        rows.append(tuple(row))
    tables.append(Table("degrees", "Degrees (the last is the period)", tuple(headers), tuple(rows)))

    if r["curve"]:
        rows = []
        for i in range(len(r["curve"]["minima"])):
            p = f"/curve/minima/{i}"
            rows.append(
                (
                    _cell(r, f"{p}/cents", _C),
                    _cell(r, f"{p}/ratio", ".4f"),
                    _cell(r, f"{p}/value", ".4g"),
                    _cell(r, f"{p}/depth", ".4g"),
                    _cell(r, f"{p}/nearest_degree", "d"),
                    _cell(r, f"{p}/offset_cents", _E),
                )
            )
        tables.append(
            Table(
                "minima",
                "Dissonance-curve minima of the timbre and the nearest degree",
                (
                    "minimum (c)",
                    "ratio",
                    "roughness",
                    "depth",
                    "nearest degree",
                    "degree − minimum (c)",
                ),
                tuple(rows),
            )
        )

    rows = []
    for i in range(len(r["landmarks"])):
        p = f"/landmarks/{i}"
        rows.append(
            (
                _cell(r, f"{p}/ratio"),
                _cell(r, f"{p}/cents", _C),
                _cell(r, f"{p}/nearest_degree", "d"),
                _cell(r, f"{p}/nearest_degree_cents", _C),
                _cell(r, f"{p}/degree_offset_cents", _E),
            )
            + (
                (
                    _cell(r, f"{p}/nearest_minimum_cents", _C),
                    _cell(r, f"{p}/minimum_offset_cents", _E),
                )
                if curve
                else ()
            )
        )
    tables.append(
        Table(
            "landmarks",
            "Classic just intervals: the nearest degree"
            + (" and the nearest curve minimum" if curve else ""),
            ("ratio", "cents", "nearest degree", "its cents", "degree − ratio (c)")
            + (("curve minimum (c)", "minimum − ratio (c)") if curve else ()),
            tuple(rows),
        )
    )

    rows = []
    for i in range(len(r["edo"]["best"])):
        p = f"/edo/best/{i}"
        rows.append(
            (
                _cell(r, f"{p}/n", "d"),
                _cell(r, f"{p}/step_cents", _C),
                _cell(r, f"{p}/rms_error_cents", _C),
                _cell(r, f"{p}/relative_rms_error", ".4f"),
                _cell(r, f"{p}/degree_steps", "d"),
                _cell(r, f"{p}/degree_errors_cents", "+.1f"),
            )
        )
    if rows:
        tables.append(
            Table(
                "edo",
                f"Best equal divisions of the period (n = {r['edo']['n_min']}..{r['edo']['n_max']})",
                (
                    "n",
                    "step (c)",
                    "RMS error (c)",
                    "RMS error / step",
                    "EDO step of each degree",
                    "errors (c)",
                ),
                tuple(rows),
            )
        )

    t = r["training"]
    if t:
        rows = [
            ("training steps", _cell(r, "/training/n_steps", "d")),
            ("initial energy", _cell(r, "/training/initial_energy", ".4g")),
            ("final energy", _cell(r, "/training/final_energy", ".4g")),
            ("lowest energy", _cell(r, "/training/min_energy", ".4g")),
            ("final entropy (nats)", _cell(r, "/training/final_entropy", ".4g")),
            ("final loss", _cell(r, "/training/final_loss", ".4g")),
            ("run time (s)", _cell(r, "/training/elapsed_s", ".1f")),
        ]
        tables.append(Table("training", "Training", ("", ""), tuple(rows), key_value=True))

    if r["pieces"]:
        rows = []
        for i in range(len(r["pieces"])):
            p = f"/pieces/{i}"
            rows.append(
                (
                    _cell(r, f"{p}/name"),
                    _cell(r, f"{p}/audio"),
                    _cell(r, f"{p}/duration_s", ".2f"),
                    _cell(r, f"{p}/n_voices", "d"),
                    _cell(r, f"{p}/n_notes", "d"),
                    _cell(r, f"{p}/lowest_cents", ".1f"),
                    _cell(r, f"{p}/highest_cents", ".1f"),
                    _cell(r, f"{p}/midi"),
                    _cell(r, f"{p}/midi_mts"),
                    _cell(r, f"{p}/midi_mpe"),
                )
            )
        tables.append(
            Table(
                "pieces",
                "Pieces",
                (
                    "piece",
                    "audio",
                    "length (s)",
                    "voices",
                    "notes",
                    "lowest (c)",
                    "highest (c)",
                    "MIDI (bend)",
                    "MIDI (MTS)",
                    "MIDI (MPE)",
                ),
                tuple(rows),
            )
        )

    if r["frequencies_hz"] is not None:
        rows = [
            (_cell_int(k), _cell(r, f"/frequencies_hz/{k}", ".4f"))
            for k in range(len(r["frequencies_hz"]))
        ]
        tables.append(
            Table(
                "frequencies",
                "Frequency of each MIDI key under the keyboard mapping (— : unmapped)",
                ("MIDI key", "frequency (Hz)"),
                tuple(rows),
            )
        )
    if r["settings"]:
        rows = [(k, _cell(r, "/settings/" + _escape_pointer(k))) for k in r["settings"]]
        tables.append(Table("settings", "Settings", ("", ""), tuple(rows), key_value=True))
    if r["versions"]:
        rows = [(k, _cell(r, "/versions/" + _escape_pointer(k))) for k in r["versions"]]
        tables.append(Table("versions", "Versions", ("", ""), tuple(rows), key_value=True))
    return tables


def plot_caption(report: dict[str, Any], name: str) -> str:
    """The caption of a plot (the density plot of a scale file shows its degrees instead)."""
    if name == "density" and report["emergence"] is None:
        return "The scale's degrees within one period, with just ratios and the best EDO"
    return PLOTS[name][0]


def _cell_int(k: int) -> str:
    """A row label that is an index, not a value (rendered as a header cell)."""
    return str(k)


def _escape_pointer(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")
