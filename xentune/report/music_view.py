"""The report's music section (HTML and Markdown): rhythm beside its control, scale use, piano rolls with audio."""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from typing import Any

__all__ = ["music_html", "music_markdown", "music_summary_lines"]


def _facts(m: dict[str, Any]) -> list[str]:
    drift = (
        f"; mean |drift| {m['mean_abs_drift_cents']:.1f} c (mean offset from the degrees, last "
        "quarter of a piece minus its first)"
        if m["scale_mode"] == "adaptive"
        else ""
    )
    scale = (
        "fixed: every note is moved to the nearest degree of scale.scl (1/1 at the reference)"
        if m["scale_mode"] == "fixed"
        else "adaptive: the generator's free continuous pitch (adaptive just intonation)"
    )
    return [
        f"Scale: {scale}; {100 * m['on_scale_fraction']:.1f}% of notes lie within "
        f"{m['degree_tolerance_cents']:g} c of a degree of scale.scl{drift}.",
        f"Form of each section: {m['form']} (a repeated letter reuses its chords with the time "
        f"noise varied); asked length {m['length_s']} s per piece.",
        f"Rhythm: {m['n_ratios']} ratios I1/(I1+I2) of successive inter-onset intervals pooled; "
        f"{100 * m['near_integer_fraction']:.1f}% within {m['ratio_tolerance']} of a "
        f"small-integer ratio (shuffled onsets: {100 * m['control_near_integer_fraction']:.1f}%); "
        f"peakedness {m['ratio_peakedness_nats']:.2f} nats (shuffled onsets: "
        f"{m['control_peakedness_nats']:.2f} nats), the same measure as the interval density's.",
    ]


def _piece_line(p: dict[str, Any]) -> str:
    tempo = f"{p['tempo_bpm']:.1f} bpm" if p["tempo_bpm"] else "no tempo"
    return (
        f"{p['duration_s']:.1f} s, {p['n_notes']} notes, {p['distinct_durations']} distinct "
        f"durations, {p['distinct_amplitudes']} distinct amplitudes, "
        f"{100 * p['all_voices_onset_fraction']:.0f}% of onsets shared by every voice, {tempo}, "
        f"{100 * p['on_scale_fraction']:.0f}% on the scale"
    )


def music_html(
    report: dict[str, Any],
    *,
    link: Callable[[str], str],
    plots_png: dict[str, bytes],
) -> str:
    """The HTML of the music section (empty when the report has none)."""
    m = report.get("music")
    if not m:
        return ""
    e = html.escape
    audio = {p["index"]: p["audio"] for p in report["pieces"]}
    parts = ['<h2 id="music">The pieces as music</h2>', "<ul>"]
    parts += [f"<li>{e(f)}</li>" for f in _facts(m)] + ["</ul>"]
    if "ioi" in plots_png:
        data = base64.b64encode(plots_png["ioi"]).decode("ascii")
        parts.append(
            f'<figure id="plot-ioi"><img src="data:image/png;base64,{data}" alt="inter-onset '
            'ratio density"><figcaption>Inter-onset-interval ratios of the pieces, pooled, '
            "beside the same pieces with shuffled onsets</figcaption></figure>"
        )
    for p in m["pieces"]:
        a = audio.get(p["index"])
        player = (
            f'<audio controls preload="metadata" src="{link(a)}"></audio>'
            if isinstance(a, str)
            else ""
        )
        png = plots_png.get(f"piece-{p['index']:02d}-roll")
        src = (
            "data:image/png;base64," + base64.b64encode(png).decode("ascii")
            if png is not None
            else e(p["roll"])
        )
        parts.append(
            f"<h3>piece {p['index']:02d}</h3><p>{player} {e(_piece_line(p))}</p>"
            f'<figure id="plot-roll-{p["index"]:02d}"><img src="{src}" alt="piano roll of piece '
            f'{p["index"]:02d}" style="max-width:100%"><figcaption>piano roll: time across, '
            "pitch in cents up, one colour per voice, opacity = loudness</figcaption></figure>"
        )
    return "\n".join(parts)


def music_markdown(report: dict[str, Any], *, prefix: str, plot_files: dict[str, str]) -> list[str]:
    """The Markdown lines of the music section (none when the report has none)."""
    m = report.get("music")
    if not m:
        return []
    audio = {p["index"]: p["audio"] for p in report["pieces"]}
    out = ["## The pieces as music", ""] + [f"- {f}" for f in _facts(m)] + [""]
    if "ioi" in plot_files:
        out += [
            f"![Inter-onset-interval ratios, pooled, beside shuffled onsets]({plot_files['ioi']})",
            "",
        ]
    for p in m["pieces"]:
        a = audio.get(p["index"])
        link = f" ([audio]({prefix}{a}))" if isinstance(a, str) else ""
        out += [
            f"### piece {p['index']:02d}{link}",
            "",
            _piece_line(p),
            "",
            f"![piano roll of piece {p['index']:02d}]({p['roll']})",
            "",
        ]
    return out


def music_summary_lines(music: Any) -> list[str]:  # noqa: ANN401 - a report.music.Music
    """The terminal summary's lines on the music (``music`` a `Music`, or None)."""
    if music is None:
        return []
    durations = [p.duration_s for p in music.pieces]
    drift = (
        f", mean |drift| {music.mean_abs_drift_cents:.1f} c"
        if music.scale_mode == "adaptive"
        else ""
    )
    return [
        f"music: {len(durations)} pieces of {min(durations):.1f}-{max(durations):.1f} s, form "
        f"{music.form}; {music.scale_mode} scale, {100 * music.on_scale_fraction:.1f}% of notes "
        f"within {music.degree_tolerance_cents:g} c of a degree{drift}",
        f"rhythm: {music.n_ratios} inter-onset ratios, {100 * music.near_integer_fraction:.1f}% "
        f"within {music.ratio_tolerance} of a small-integer ratio (shuffled onsets "
        f"{100 * music.control_near_integer_fraction:.1f}%), peakedness "
        f"{music.ratio_peakedness_nats:.2f} nats (shuffled {music.control_peakedness_nats:.2f})",
    ]
