"""``report.html`` (self-contained) and ``report.md`` from ``report.json``, and the report writers."""

from __future__ import annotations

import base64
import html
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from xentune.atomic import atomic_dir, write_text_atomic
from xentune.errors import OutputExistsError
from xentune.report.model import Analysis
from xentune.report.music_plots import roll_pngs
from xentune.report.music_view import music_html, music_markdown
from xentune.report.plots import PLOTS, figure_png
from xentune.report.run_analysis import analysis_for_run
from xentune.report.tables import Cell, Table, plot_caption, report_tables, report_value
from xentune.report.use_section import use_html, use_markdown
from xentune.score import load_scores

__all__ = [
    "REPORT_FILES",
    "render_html",
    "render_markdown",
    "write_analysis_report",
    "write_report",
    "write_scale_report",
]

#: What a report writes into its folder.
REPORT_FILES = ("report.json", "report.html", "report.md", "plots")


# ---------------------------------------------------------------------------------------------
# Tables: one model rendered to HTML and Markdown; every cell names the report.json field it shows
# ---------------------------------------------------------------------------------------------


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
        value = report_value(report, c.pointer)
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
            if anchor == "pieces":
                parts.append(music_html(report, link=link, plots_png=plots_png))
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
            out += music_markdown(report, prefix=link_prefix, plot_files=plot_files)
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


def _rolls(analysis: Analysis, run_dir: str | Path | None) -> dict[str, bytes]:
    """Piano rolls of the run's composed pieces (its score.json), when the report has music."""
    if analysis.music is None or run_dir is None:
        return {}
    path = Path(run_dir) / "score.json"
    if not path.is_file():
        return {}
    return roll_pngs(load_scores(path), period_cents=analysis.period.cents)


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
    rolls = _rolls(analysis, run_dir)
    with atomic_dir(out / "plots", force=force) as tmp:
        for name, png in {**plots_png, **rolls}.items():
            (tmp / f"{name}.png").write_bytes(png)
    written += [out / "plots" / f"{name}.png" for name in {**plots_png, **rolls}]
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
            render_html(report, plots_png={**plots_png, **rolls}, link_prefix=prefix),
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
