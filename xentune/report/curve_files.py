"""A timbre's dissonance curve as a file: CSV, JSON or a PNG plot, written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from xentune.atomic import atomic_file, check_output_path
from xentune.errors import ConfigError
from xentune.psychoacoustics.curve import (
    DIRECTION,
    CurveMinimum,
    DissonanceCurve,
    _check_options,
)
from xentune.spectrum import Spectrum
from xentune.units import DEFAULT_REFERENCE_HZ

__all__ = ["CURVE_SUFFIXES", "check_curve_output", "parse_ratio_range", "save_curve"]

#: Output formats of `save_curve`, by file suffix.
CURVE_SUFFIXES = (".csv", ".json", ".png")


def parse_ratio_range(text: str) -> tuple[float, float]:
    """Parse a ratio range ``"LO:HI"`` (e.g. ``"1:2.3"``), validated as in `dissonance_curve`.

    Raises
    ------
    ConfigError
        Not two numbers separated by ``:``, or an impossible range.
    """
    parts = text.split(":")
    if len(parts) != 2:
        raise ConfigError(f"range {text!r} must be LO:HI frequency ratios (e.g. --range 1:2.3)")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ConfigError(
            f"range {text!r}: LO and HI must be numbers (e.g. --range 1:2.3)"
        ) from None
    return _check_options(DEFAULT_REFERENCE_HZ, (lo, hi), "sethares", label="--range")


def check_curve_output(path: str | os.PathLike[str], *, force: bool = False) -> Path:
    """Check an output path for `save_curve` before any work: known suffix, folder exists, no clobber."""
    p = Path(path)
    if p.suffix.lower() not in CURVE_SUFFIXES:
        raise ConfigError(
            f"{p}: unknown output format {p.suffix!r}; use a .csv, .json or .png file"
        )
    return check_output_path(p, force=force)


def _minimum_rows(
    minima: Sequence[CurveMinimum], labels: Sequence[str] | None
) -> list[dict[str, Any]]:
    rows = []
    for k, m in enumerate(minima):
        row: dict[str, Any] = {
            "cents": m.cents,
            "ratio": m.ratio,
            "value": m.value,
            "depth": m.depth,
        }
        if labels is not None:
            row["nearest_ratio"] = labels[k]
        rows.append(row)
    return rows


def _curve_csv(
    curve: DissonanceCurve, minima: Sequence[CurveMinimum], labels: Sequence[str] | None
) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["kind", "cents", "ratio", "value", "depth", "nearest_ratio"])
    for row in _minimum_rows(minima, labels):
        writer.writerow(
            [
                "minimum",
                repr(row["cents"]),
                repr(row["ratio"]),
                repr(row["value"]),
                repr(row["depth"]),
                row.get("nearest_ratio", ""),
            ]
        )
    for c, r, v in zip(
        curve.cents.tolist(), curve.ratios.tolist(), curve.values.tolist(), strict=True
    ):
        writer.writerow(["curve", repr(c), repr(r), repr(v), "", ""])
    return buf.getvalue()


def _curve_json(
    curve: DissonanceCurve,
    minima: Sequence[CurveMinimum],
    labels: Sequence[str] | None,
    spectrum: Spectrum,
) -> str:
    data = {
        "format": "xentune-curve",
        "version": 1,
        "timbre": spectrum.name,
        "spectrum": spectrum.to_dict(),
        "model": curve.model,
        "direction": DIRECTION,
        "f0_hz": curve.f0_hz,
        "minima": _minimum_rows(minima, labels),
        "curve": {
            "cents": curve.cents.tolist(),
            "ratio": curve.ratios.tolist(),
            "value": curve.values.tolist(),
        },
    }
    return json.dumps(data, indent=1) + "\n"


def _plot_curve(
    tmp: Path,
    curve: DissonanceCurve,
    minima: Sequence[CurveMinimum],
    labels: Sequence[str] | None,
    spectrum: Spectrum,
) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11, 5), dpi=120, layout="constrained")
    ax = fig.add_subplot()
    ax.plot(curve.cents, curve.values, color="#1f4e79", lw=1.4, label=f"{curve.model} dissonance")
    span = float(curve.values.max() - curve.values.min()) or 1.0
    # Label the deepest minima first; a minimum closer than 4 % of the x range to a labelled one
    # keeps its marker but not its text, so labels never overlap.
    min_gap = 0.04 * float(curve.cents[-1] - curve.cents[0])
    labelled: list[float] = []
    for k in sorted(range(len(minima)), key=lambda i: -minima[i].depth):
        m = minima[k]
        ax.plot([m.cents], [m.value], "o", color="#c0392b", ms=5, zorder=3)
        if any(abs(m.cents - c) < min_gap for c in labelled):
            continue
        labelled.append(m.cents)
        text = f"{m.cents:.1f}"
        if labels is not None and labels[k]:
            text += f"\n{labels[k]}"
        ax.annotate(
            text,
            (m.cents, m.value),
            xytext=(0, -10),
            textcoords="offset points",
            ha="center",
            va="top",
            fontsize=8,
            color="#c0392b",
        )
    ax.set_ylim(float(curve.values.min()) - 0.18 * span, float(curve.values.max()) + 0.05 * span)
    ax.set_xlim(float(curve.cents[0]), float(curve.cents[-1]))
    ax.set_xlabel("interval above f0 (cents)")
    ax.set_ylabel(f"dissonance ({curve.model}; lower = more consonant)")
    ax.set_title(
        f"Dissonance curve of {spectrum.name}: {spectrum.n_partials} partials, "
        f"f0 = {curve.f0_hz:.2f} Hz, {len(minima)} minima"
    )
    ax.grid(True, alpha=0.3)
    ax.plot([], [], "o", color="#c0392b", ms=5, label="local minima (cents, nearest ratio)")
    ax.legend(loc="upper right", fontsize=8)
    fig.savefig(tmp, format="png")


def save_curve(
    path: str | os.PathLike[str],
    curve: DissonanceCurve,
    minima: Sequence[CurveMinimum],
    *,
    spectrum: Spectrum,
    labels: Sequence[str] | None = None,
    force: bool = False,
) -> Path:
    """Write a curve and its minima atomically: ``.csv`` (a ``kind`` column: minimum/curve rows),
    ``.json`` (``{"format": "xentune-curve", ...}``) or ``.png`` (a labelled plot).

    Parameters
    ----------
    path : path-like
        Output file; its suffix picks the format.
    curve : DissonanceCurve
    minima : sequence of CurveMinimum
    spectrum : Spectrum
        The timbre (named in the plot, stored in the JSON).
    labels : sequence of str, optional
        One label per minimum (e.g. the nearest just ratio), shown and stored with it.
    force : bool
        Replace an existing file.

    Returns
    -------
    Path
    """
    p = check_curve_output(path, force=force)
    if labels is not None and len(labels) != len(minima):
        raise ValueError(f"{len(labels)} labels for {len(minima)} minima")
    suffix = p.suffix.lower()
    with atomic_file(p, force=force) as tmp:
        if suffix == ".csv":
            tmp.write_text(_curve_csv(curve, minima, labels), encoding="utf-8")
        elif suffix == ".json":
            tmp.write_text(_curve_json(curve, minima, labels, spectrum), encoding="utf-8")
        else:
            _plot_curve(tmp, curve, minima, labels, spectrum)
    return p
