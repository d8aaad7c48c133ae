"""``report.html`` (self-contained) and ``report.md`` from ``report.json``, and the report writers."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xentune.atomic import atomic_dir, write_text_atomic
from xentune.errors import OutputExistsError
from xentune.report.model import Analysis
from xentune.report.plots import PLOTS, figure_png
from xentune.report.run_analysis import analysis_for_run
from xentune.report.use_section import use_html, use_markdown

__all__ = [
    "REPORT_FILES",
    "render_html",
    "render_markdown",
    "report_tables",
    "write_analysis_report",
    "write_report",
    "write_scale_report",
]

#: What a report writes into its folder.
REPORT_FILES = ("report.json", "report.html", "report.md", "plots")

_MISSING = "—"


# ---------------------------------------------------------------------------------------------
# Tables: one model rendered to HTML and Markdown; every cell names the report.json field it shows
# ---------------------------------------------------------------------------------------------


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


def _get(report: dict[str, Any], pointer: str) -> Any:  # noqa: ANN401 - JSON value
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
    return Cell(pointer, _fmt(_get(report, pointer), spec))


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
                        f"{100 * _get(r, f'{p}/near_minimum_fraction'):.1f}",
                    ),
                    Cell(f"{p}/chance_fraction", f"{100 * _get(r, f'{p}/chance_fraction'):.1f}"),
                    _cell(r, f"{p}/period_cents", ".1f"),
                    _cell(r, f"{p}/period_source"),
                    Cell(f"{p}/steps_cents", str(len(_get(r, f"{p}/steps_cents")))),
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
                    "distinct chords",
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
            row.append(Cell(f"{p}/just_ratios", ", ".join(_get(r, o) for o in others) or _MISSING))
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


# ---------------------------------------------------------------------------------------------
# HTML
# ---------------------------------------------------------------------------------------------

_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2em auto; max-width: 1100px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; margin-top: 1.8em; border-bottom: 1px solid #ddd; }
.source { color: #666; font-size: 0.9em; }
.notes { background: #fff7e0; border-left: 4px solid #f0b400; padding: 0.5em 1em; }
.findings li { margin: 0.3em 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
td { white-space: nowrap; }
th { background: #f4f4f4; }
td:first-child, th:first-child { text-align: left; }
.kv th { text-align: left; font-weight: normal; }
.scroll { overflow-x: auto; }
figure { margin: 1em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; }
audio { height: 2em; vertical-align: middle; }
.howto dt { font-weight: bold; margin-top: 0.5em; }
.howto dd { margin-left: 1.5em; }
"""


def _html_table(t: Table, *, cell_html: Callable[[Cell], str]) -> str:
    out = [
        f'<div class="scroll"><table id="table-{t.anchor}" class="{"kv" if t.key_value else "grid"}">'
    ]
    if not t.key_value:
        out.append("<tr>" + "".join(f"<th>{html.escape(h)}</th>" for h in t.headers) + "</tr>")
    for row in t.rows:
        cells = []
        for c in row:
            if isinstance(c, Cell):
                cells.append(f'<td data-src="{html.escape(c.pointer)}">{cell_html(c)}</td>')
            else:
                cells.append(f"<th>{html.escape(c)}</th>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table></div>")
    return "\n".join(out)


def render_html(
    report: dict[str, Any],
    *,
    plots_png: dict[str, bytes],
    link_prefix: str = "",
) -> str:
    """The self-contained ``report.html``: plots inline (base64 PNG), audio players linking the run.

    Parameters
    ----------
    report : dict
        The report.json content (``Analysis.to_dict()``); every number shown comes from it.
    plots_png : dict
        Plot stem (a key of `PLOTS`) -> PNG bytes.
    link_prefix : str
        Path from the report's folder to the run folder (``""`` when they are the same), for the
        audio and MIDI links.
    """
    e = html.escape

    def link(rel: str) -> str:
        return e(link_prefix + rel)

    def cell_html(c: Cell) -> str:
        value = _get(report, c.pointer)
        if c.pointer.endswith("/audio") and isinstance(value, str):
            return (
                f'<audio controls preload="metadata" src="{link(value)}"></audio> '
                f'<a href="{link(value)}">{e(c.text)}</a>'
            )
        if c.pointer.endswith(("/midi", "/midi_mts", "/midi_mpe")) and isinstance(value, str):
            return f'<a href="{link(value)}">{e(c.text)}</a>'
        return e(c.text)

    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(report['title'])}</title>",
        f"<style>{_CSS}</style>",
        "</head><body>",
        f"<h1>{e(report['title'])}</h1>",
        f'<p class="source">{e(report["kind"])} report from <code>{e(report["source"])}</code>, '
        f"xentune {e(report['xentune_version'])}, report schema {report['schema_version']}</p>",
    ]
    if report["notes"]:
        parts.append(
            '<div class="notes"><ul>'
            + "".join(f"<li>{e(n)}</li>" for n in report["notes"])
            + "</ul></div>"
        )
    parts.append("<h2>Findings</h2>")
    parts.append(
        '<ul class="findings">' + "".join(f"<li>{e(f)}</li>" for f in report["findings"]) + "</ul>"
    )
    if report.get("use"):
        parts.append(use_html(report["use"], link=link))
    tables = {t.anchor: t for t in report_tables(report)}
    order = [
        ("summary", []),
        ("controls", []),
        ("generator-scale", []),
        ("degrees", ["density", "curve"]),
        ("minima", []),
        ("landmarks", []),
        ("edo", ["edo"]),
        ("pieces", ["piece"]),
        ("training", ["training"]),
        ("timbre", ["partials"]),
        ("frequencies", []),
        ("settings", []),
        ("versions", []),
    ]
    for anchor, plot_names in order:
        t = tables.get(anchor)
        if t is not None:
            parts.append(f'<h2 id="{anchor}">{e(t.title)}</h2>')
            if anchor == "frequencies":  # 128 rows: folded
                parts.append("<details><summary>show the 128 keys</summary>")
            parts.append(_html_table(t, cell_html=cell_html))
            if anchor == "frequencies":
                parts.append("</details>")
        elif anchor == "timbre" and "partials" in plots_png:
            parts.append('<h2 id="timbre">Timbre</h2>')
        for name in plot_names:
            if name in plots_png:
                caption = plot_caption(report, name)
                data = base64.b64encode(plots_png[name]).decode("ascii")
                parts.append(
                    f'<figure id="plot-{name}"><img src="data:image/png;base64,{data}" alt="{e(caption)}">'
                    f"<figcaption>{e(caption)}</figcaption></figure>"
                )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


# ---------------------------------------------------------------------------------------------
# Markdown
# ---------------------------------------------------------------------------------------------


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(t: Table) -> str:
    def text(c: str | Cell) -> str:
        return _md_escape(c.text if isinstance(c, Cell) else c)

    if t.key_value:
        lines = ["| | |", "|---|---|"]
    else:
        lines = [
            "| " + " | ".join(_md_escape(h) for h in t.headers) + " |",
            "|" + "---|" * len(t.headers),
        ]
    lines += ["| " + " | ".join(text(c) for c in row) + " |" for row in t.rows]
    return "\n".join(lines)


def render_markdown(
    report: dict[str, Any], *, plot_files: dict[str, str], link_prefix: str = ""
) -> str:
    """``report.md``: the same findings and tables as the HTML, the plots as PNG links."""
    out = [f"# {_md_escape(report['title'])}", ""]
    out += [
        f"{report['kind']} report from `{report['source']}`, xentune {report['xentune_version']}, "
        f"report schema {report['schema_version']}.",
        "",
    ]
    for n in report["notes"]:
        out.append(f"> **Note:** {_md_escape(n)}")
    if report["notes"]:
        out.append("")
    out += ["## Findings", ""] + [f"- {f}" for f in report["findings"]] + [""]
    if report.get("use"):
        out += use_markdown(report["use"], prefix=link_prefix)
    plot_after = {
        "degrees": ["density", "curve"],
        "edo": ["edo"],
        "pieces": ["piece"],
        "training": ["training"],
    }
    for t in report_tables(report):
        out += [f"## {t.title}", "", _md_table(t), ""]
        if t.anchor == "pieces":
            for p in report["pieces"]:
                if p["audio"]:
                    out.append(f"- [{p['name']} audio]({link_prefix}{p['audio']})")
            out.append("")
        for name in plot_after.get(t.anchor, []):
            if name in plot_files:
                out += [f"![{plot_caption(report, name)}]({plot_files[name]})", ""]
    if "partials" in plot_files:
        out += [
            "## Timbre",
            "",
            f"![{plot_caption(report, 'partials')}]({plot_files['partials']})",
            "",
        ]
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------------------


def _check_outputs(out_dir: Path, *, force: bool, names: tuple[str, ...] = REPORT_FILES) -> None:
    existing = [n for n in names if (out_dir / n).exists()]
    if existing and not force:
        raise OutputExistsError(
            f"{out_dir}: {', '.join(existing)} already exist; pass --force to rebuild the report"
        )


def write_analysis_report(
    analysis: Analysis,
    out_dir: str | Path,
    *,
    run_dir: str | Path | None = None,
    force: bool = False,
    write_json: bool = True,
) -> list[Path]:
    """Write ``report.json`` (unless ``write_json`` is false), ``plots/*.png``, ``report.html``, ``report.md``.

    The HTML and Markdown are rendered from the JSON text of the analysis (read back), so every
    number they show is the one in report.json.

    Parameters
    ----------
    analysis : Analysis
        What to report.
    out_dir : path-like
        The folder to write into (created if missing; its parent must exist).
    run_dir : path-like, optional
        The run folder holding the audio and MIDI files the HTML links to (relative links).
    force : bool
        Replace existing report files.
    write_json : bool
        Also write report.json (false when re-rendering an existing report.json).

    Returns
    -------
    list of Path
        The files written.
    """
    out = Path(out_dir)
    if not out.exists():  # a new folder: built under a temp name, so a failure leaves nothing
        with atomic_dir(out) as tmp:
            written = _write_analysis_files(
                analysis, tmp, link_from=out, run_dir=run_dir, force=force, write_json=write_json
            )
        return [out / p.relative_to(tmp) for p in written]
    return _write_analysis_files(
        analysis, out, link_from=out, run_dir=run_dir, force=force, write_json=write_json
    )


def _write_analysis_files(
    analysis: Analysis,
    out: Path,
    *,
    link_from: Path,
    run_dir: str | Path | None,
    force: bool,
    write_json: bool,
) -> list[Path]:
    """The body of `write_analysis_report`: write into ``out``; links are relative to ``link_from``."""
    names = REPORT_FILES if write_json else tuple(n for n in REPORT_FILES if n != "report.json")
    _check_outputs(out, force=force, names=names)
    text = analysis.to_json()
    report = json.loads(text)
    plots_png = {}
    for name, (_, make) in PLOTS.items():
        fig = make(analysis)
        if fig is not None:
            plots_png[name] = figure_png(fig)
    prefix = ""
    if run_dir is not None:
        rel = os.path.relpath(Path(run_dir).resolve(), link_from.resolve())
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
    written: list[Path] = []
    if write_json:
        written.append(write_text_atomic(out / "report.json", text, force=force))
    with atomic_dir(out / "plots", force=force) as tmp:
        for name, png in plots_png.items():
            (tmp / f"{name}.png").write_bytes(png)
    written += [out / "plots" / f"{name}.png" for name in plots_png]
    plot_files = {name: f"plots/{name}.png" for name in plots_png}
    written.append(
        write_text_atomic(
            out / "report.md",
            render_markdown(report, plot_files=plot_files, link_prefix=prefix),
            force=force,
        )
    )
    written.append(
        write_text_atomic(
            out / "report.html",
            render_html(report, plots_png=plots_png, link_prefix=prefix),
            force=force,
        )
    )
    return written


def write_report(run_dir: str | Path, *, force: bool = False) -> list[Path]:
    """Analyse a run folder and write its report into it (``xentune generate`` calls this last).

    Returns
    -------
    list of Path
        report.json, the plots, report.md and report.html.
    """
    d = Path(run_dir)
    _check_outputs(d, force=force)  # fail before the analysis work
    return write_analysis_report(analysis_for_run(d), d, run_dir=d, force=force)


def write_scale_report(
    out_dir: str | Path, analysis: Analysis, *, force: bool = False
) -> list[Path]:
    """Write the report of a scale (or score) analysis into ``out_dir``; no run files are linked."""
    return write_analysis_report(analysis, out_dir, force=force)
