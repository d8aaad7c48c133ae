"""The report's "Use this scale" section, in HTML and Markdown, from report.json's ``use``."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

__all__ = ["HOW_TO", "use_html", "use_markdown"]

#: How to load the files in each tool: (tool, text). ``{mpe}`` is the MPE bend range.
HOW_TO = (
    (
        "Surge XT",
        "In the main menu, Tuning > Load .scl Tuning... picks scale.scl and Tuning > Load .kbm "
        "Keyboard Mapping... picks scale.kbm (or drop both files onto Surge's window). Surge "
        "then plays the scale from your keyboard with the layout described above.",
    ),
    (
        "Ableton Live 12",
        "Drag scale.ascl into Live (Live 12 or later loads it as the Set's tuning system). Live's "
        "own instruments then play the scale, each key the next degree, degree 0 on C3 (middle "
        "C) at the reference frequency, with the degree names of the file. "
        "To hear a generated piece as written, drag piece-01-mpe.mid onto a MIDI track with an "
        "MPE-capable instrument: each note carries its exact pitch as a per-note pitch bend of "
        "range {mpe} semitones.",
    ),
    (
        "Scala",
        "Open scale.scl, then load scale.kbm as the keyboard mapping; Scala's own tools "
        "(analysis, retuning of MIDI files, export to other synths) take it from there.",
    ),
    (
        "Any MPE synth",
        "Set the synth to MPE (lower zone, member channels 2-16) with a pitch-bend range of "
        "{mpe} semitones and play piece-XX-mpe.mid. The file opens with the MPE Configuration "
        "Message and sets the bend range with RPN 0 itself; every sounding note has a channel of "
        "its own.",
    ),
    (
        "Other synths",
        "Synths that read AnaMark files load scale.tun (all 128 keys, the same pitches as "
        "scale.scl with scale.kbm). piece-XX.mid plays in any multi-timbral synth (one note per "
        "channel, pitch bend range 2 set with RPN 0); piece-XX-mts.mid retunes keys with MIDI "
        "Tuning Standard messages, for the few synths that honour them (e.g. FluidSynth).",
    ),
)


def _ratio_text(use: dict[str, Any]) -> str:
    if use["ratios"]:
        text = (
            f"--ratios was on: every degree within {use['ratio_tolerance_cents']:g} cents of a "
            "simple just ratio (odd limit 15 or less) is written as that exact ratio; the others "
            "keep their measured cents."
        )
    else:
        text = (
            "Degrees are written in cents, as measured (generate with --ratios to write those "
            "near a simple just ratio as exact ratios)."
        )
    if use["period_ratio"]:
        text += f" The period was set to exactly {use['period_ratio']} with --period-ratio."
    return text


def _summary(use: dict[str, Any]) -> str:
    *inner, period = use["degrees_in_file"]
    return (
        f"The scale has {use['n_notes']} notes per period: 1/1 {' '.join(inner)}, repeating at "
        f"{period}{'' if '/' in period else ' cents'}"
        + ("" if all("/" in d for d in use["degrees_in_file"]) else " (plain numbers are cents)")
        + "."
    )


def use_html(use: dict[str, Any], *, link: Callable[[str], str]) -> str:
    """The section as HTML; ``link`` turns a run-relative path into an escaped href."""
    e = html.escape
    mpe = use["mpe_bend_range"]
    parts = ['<h2 id="use">Use this scale</h2>', f"<p>{e(_summary(use))} {e(_ratio_text(use))}</p>"]
    parts.append('<ul class="files">')
    for f in use["files"]:
        parts.append(
            f'<li><a href="{link(f["path"])}">{e(f["path"])}</a>: {e(f["format"])}, '
            f"{e(f['what'])}</li>"
        )
    parts.append("</ul>")
    parts.append(
        f"<p><strong>Keyboard ({e(use['keyboard'])}).</strong> {e(use['keyboard_text'])}</p>"
    )
    if use["keyboard_options"]:
        parts.append("<p>Other layouts (<code>xentune generate --keyboard LAYOUT</code>):</p><ul>")
        parts += [
            f"<li><code>{e(o['layout'])}</code>: {e(o['text'])}</li>"
            for o in use["keyboard_options"]
        ]
        parts.append("</ul>")
    parts.append('<dl class="howto">')
    for tool, text in HOW_TO:
        parts.append(f"<dt>{e(tool)}</dt><dd>{e(text.format(mpe=mpe))}</dd>")
    parts.append("</dl>")
    if use["previews"]:
        parts.append("<h3>Hear the scale</h3>")
        parts.append(
            "<p>Each degree alone, and over 1/1 (a dyad), in the run's timbre, degree 0 at the "
            "reference frequency.</p>"
        )
        dyads = {p["degree"]: p for p in use["previews"] if p["kind"] == "dyad"}
        rows = ["<tr><th>degree</th><th>cents</th><th>alone</th><th>over 1/1</th></tr>"]
        for p in (p for p in use["previews"] if p["kind"] == "degree"):
            d = dyads.get(p["degree"])
            dyad = f'<audio controls preload="auto" src="{link(d["audio"])}"></audio>' if d else "—"
            rows.append(
                f"<tr><td>{p['degree']}</td><td>{p['cents']:.2f}</td>"
                f'<td><audio controls preload="auto" src="{link(p["audio"])}"></audio></td>'
                f"<td>{dyad}</td></tr>"
            )
        parts.append('<div class="scroll"><table id="table-previews" class="grid">')
        parts += rows
        parts.append("</table></div>")
    return "\n".join(parts)


def use_markdown(use: dict[str, Any], *, prefix: str = "") -> list[str]:
    """The section as Markdown lines; ``prefix`` is the path from the report to the run folder."""
    mpe = use["mpe_bend_range"]
    out = ["## Use this scale", "", f"{_summary(use)} {_ratio_text(use)}", ""]
    out += [
        f"- [{f['path']}]({prefix}{f['path']}): {f['format']}, {f['what']}" for f in use["files"]
    ]
    out += ["", f"**Keyboard ({use['keyboard']}).** {use['keyboard_text']}", ""]
    if use["keyboard_options"]:
        out += ["Other layouts (`xentune generate --keyboard LAYOUT`):", ""]
        out += [f"- `{o['layout']}`: {o['text']}" for o in use["keyboard_options"]]
        out.append("")
    out += [f"- **{tool}**: {text.format(mpe=mpe)}" for tool, text in HOW_TO]
    out.append("")
    if use["previews"]:
        out += ["### Hear the scale", ""]
        for p in use["previews"]:
            label = (
                f"degree {p['degree']} alone"
                if p["kind"] == "degree"
                else f"degree {p['degree']} over 1/1"
            )
            out.append(f"- [{label} ({p['cents']:.2f} cents)]({prefix}{p['audio']})")
        out.append("")
    return out
