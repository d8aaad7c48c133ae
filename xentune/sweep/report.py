"""The sweep report: rate tables (Markdown and HTML) and a plot of the rates with their CIs."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from xentune.atomic import atomic_file, write_text_atomic

__all__ = ["rate_tables_md", "write_sweep_report"]


def _pct(rate: dict[str, Any]) -> str:
    lo, hi = rate["ci95"]
    return f"{rate['k']}/{rate['n']} ({100 * rate['rate']:.0f} %, 95 % CI {100 * lo:.0f}-{100 * hi:.0f} %)"


def _title(group: dict[str, Any]) -> str:
    t = group["temperature"]
    return f"`{group['timbre']}`" + ("" if t is None else f", T = {t:g}")


def rate_tables_md(result: dict[str, Any]) -> str:
    """The rates of every (timbre, temperature) group as Markdown tables."""
    lines = []
    for g in result["rates"]["groups"]:
        lines += [
            f"### {_title(g)}: {g['n_ok']} of {g['n_runs']} runs finished",
            "",
            f"A step within {g['tolerance_cents']:g} cents of the timbre's interval counts as emerged.",
            "",
            "| expected interval (curve minimum) | runs where it emerged |",
            "|---|---|",
        ]
        lines += [f"| {i['cents']:.1f} c | {_pct(i)} |" for i in g["intervals"]]
        p = g["period"]
        lines.append(f"| period = pseudo-octave {p['pseudo_octave_cents']:.1f} c | {_pct(p)} |")
        lines += ["", "| best equal division | runs |", "|---|---|"]
        lines += [f"| {e['edo']}-EDO | {_pct(e)} |" for e in g["best_edo"]]
        if g["controls"]:
            lines += [
                "",
                "| samples (each run's own controls) | criteria met | mean share near a curve minimum |",
                "|---|---|---|",
            ]
            for key, c in g["controls"].items():
                crit = _pct(c["criteria"]) if c["criteria"] else "no criteria for this timbre"
                lines.append(f"| {key} | {crit} | {100 * c['mean_near_minimum_fraction']:.1f} % |")
        if g["mean_peakedness_nats"] is not None:
            lines += [
                "",
                f"Mean peakedness of the interval density: {g['mean_peakedness_nats']:.2f} nats.",
            ]
        lines.append("")
    return "\n".join(lines)


def _plot(result: dict[str, Any], path: Path) -> bool:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    groups = [g for g in result["rates"]["groups"] if g["intervals"]]
    if not groups:
        return False
    fig, axes = plt.subplots(len(groups), 1, figsize=(7, 1.2 + 1.6 * len(groups)), squeeze=False)
    for ax, g in zip(axes[:, 0], groups, strict=True):
        rows = [*g["intervals"], {**g["period"], "cents": g["period"]["pseudo_octave_cents"]}]
        x = list(range(len(rows)))
        rates = [r["rate"] for r in rows]
        err = [  # the Wilson bounds can sit a rounding error inside the rate at 0 and 1
            [max(0.0, r["rate"] - r["ci95"][0]) for r in rows],
            [max(0.0, r["ci95"][1] - r["rate"]) for r in rows],
        ]
        colors = ["tab:blue"] * (len(rows) - 1) + ["tab:gray"]
        ax.bar(x, rates, yerr=err, color=colors, capsize=3)
        ax.set_xticks(x, [f"{r['cents']:.0f}" for r in rows], fontsize=8)
        ax.set_ylim(0, 1.05)
        ax.set_ylabel("rate")
        t = "" if g["temperature"] is None else f", T={g['temperature']:g}"
        ax.set_title(f"{g['timbre']}{t}: {g['n_runs']} runs (gray: period)", fontsize=9)
    axes[-1, 0].set_xlabel("expected interval (cents): the timbre's curve minima")
    fig.tight_layout()
    with atomic_file(path, force=True) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
    plt.close(fig)
    return True


def _table_html(header: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    cells = "".join(f"<tr><td>{html.escape(a)}</td><td>{html.escape(b)}</td></tr>" for a, b in rows)
    return f"<table><tr><th>{header[0]}</th><th>{header[1]}</th></tr>{cells}</table>"


def _html(result: dict[str, Any], *, has_plot: bool, failed: list[dict[str, Any]]) -> str:
    """The report page: the same tables as the Markdown, built from the same numbers."""
    parts = [
        "<!doctype html><meta charset='utf-8'><title>xentune sweep</title>",
        "<style>body{font-family:sans-serif;max-width:52em;margin:2em auto}"
        "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px}</style>",
        f"<h1>Sweep: {result['n_runs']} runs ({result['n_ok']} finished, {len(failed)} failed)</h1>",
        "<p>Each run is <code>xentune generate</code>; its folder is under <code>runs/</code>; "
        "every number is in <a href='sweep.json'>sweep.json</a>.</p>",
    ]
    if has_plot:
        parts.append("<img src='sweep-rates.png' alt='emergence rates with 95% intervals'>")
    for g in result["rates"]["groups"]:
        parts.append(
            f"<h3>{html.escape(_title(g).replace('`', ''))}: {g['n_ok']} of {g['n_runs']} runs</h3>"
        )
        rows = [(f"{i['cents']:.1f} c", _pct(i)) for i in g["intervals"]]
        p = g["period"]
        rows.append((f"period = pseudo-octave {p['pseudo_octave_cents']:.1f} c", _pct(p)))
        parts.append(
            _table_html(("expected interval (curve minimum)", "runs where it emerged"), rows)
        )
        parts.append(
            _table_html(
                ("best equal division", "runs"),
                [(f"{e['edo']}-EDO", _pct(e)) for e in g["best_edo"]],
            )
        )
        if g["controls"]:
            rows = [
                (
                    f"{key}: {_pct(c['criteria']) if c['criteria'] else 'no criteria'}",
                    f"{100 * c['mean_near_minimum_fraction']:.1f} % near a curve minimum",
                )
                for key, c in g["controls"].items()
            ]
            parts.append(_table_html(("samples: criteria met", "mean share near minima"), rows))
    if failed:
        items = "".join(
            f"<li>{html.escape(r['name'])}: {html.escape(r['error'])}</li>" for r in failed
        )
        parts.append(f"<h2>Failed runs</h2><ul>{items}</ul>")
    return "\n".join(parts) + "\n"


def write_sweep_report(result: dict[str, Any], out: Path) -> list[Path]:
    """Write ``sweep.md``, ``sweep.html`` and ``sweep-rates.png`` into ``out``; returns the paths."""
    plot = out / "sweep-rates.png"
    has_plot = _plot(result, plot)
    failed = [r for r in result["runs"] if not r["ok"]]
    plan = result["plan"]
    head = (
        f"# Sweep: {result['n_runs']} runs ({result['n_ok']} finished, "
        f"{len(failed)} failed)\n\n"
        f"Timbres {', '.join(f'`{t}`' for t in plan['timbres'])}; seeds "
        f"{plan['seeds'][0]}..{plan['seeds'][-1]} ({len(plan['seeds'])}); settings "
        f"{plan['settings'] or 'the generate defaults'}. Each run is `xentune generate` with these "
        "settings; its folder is under `runs/`; every number is in `sweep.json`.\n\n"
    )
    body = rate_tables_md(result)
    fails = "".join(f"- `{r['name']}`: {r['error']}\n" for r in failed)
    md = head + ("![rates](sweep-rates.png)\n\n" if has_plot else "") + body
    md += ("\n## Failed runs\n\n" + fails) if fails else ""
    write_text_atomic(out / "sweep.md", md, force=True)
    write_text_atomic(
        out / "sweep.html", _html(result, has_plot=has_plot, failed=failed), force=True
    )
    return [out / "sweep.md", out / "sweep.html", *([plot] if has_plot else [])]
