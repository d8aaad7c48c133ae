"""``xentune curve``: the dissonance curve of a timbre and the intervals it favours."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from xentune.defaults import DEFAULT_REFERENCE_HZ

if TYPE_CHECKING:
    from xentune.psychoacoustics.curve import CurveMinimum, DissonanceCurve

__all__ = ["DEFAULT_CURVE_MODEL", "curve_command"]

#: Model of ``xentune curve`` when none is given: the composite agrees best with listeners
#: (held-out Pearson r 0.881 / 0.688 / 0.620 on Schwartz 2003 dyads / Johnson-Laird 2012 triads /
#: tetrads, against 0.740 / 0.351 / 0.007 for Sethares' dissmeasure, which has nothing fitted;
#: README "Model card").
DEFAULT_CURVE_MODEL = "composite"

#: A minimum is labelled with the simplest ratio within this many cents of it.
_RATIO_TOLERANCE_CENTS = 10.0


def _nearest_simple_ratio(cents: float, *, stretch: float = 1.0) -> tuple[str, float | None]:
    """The simplest just ratio (least Tenney height) within 10 cents: ``("3/2", -0.0)``.

    With ``stretch = log2(A) != 1`` (a timbre whose partial k sits at ``k ** stretch``) the
    interval is first divided by the stretch, and the label reads ``"(3/2)^s"``: the just ratio
    as the stretched series has it. Returns ``("", None)`` when no ratio qualifies.
    """
    from xentune.tuning.ratios import nearest_ratios

    matches = nearest_ratios(cents / stretch, tolerance_cents=_RATIO_TOLERANCE_CENTS, max_results=1)
    if not matches:
        return "", None
    ratio = matches[0].ratio
    label = f"{ratio.numerator}/{ratio.denominator}"
    if stretch != 1.0:
        return f"({label})^s", matches[0].error_cents * stretch
    return label, matches[0].error_cents


def _table(
    curve: DissonanceCurve, minima: list[CurveMinimum], *, stretch: float
) -> tuple[str, list[str]]:
    """The printed table of minima, and the nearest-ratio label of each."""
    span = float(curve.values.max() - curve.values.min()) or 1.0
    lines = [
        f"{'cents':>9} {'ratio':>9} {'dissonance':>10} {'depth':>9} {'depth%':>7}  nearest simple ratio"
    ]
    labels = []
    for m in minima:
        label, error = _nearest_simple_ratio(m.cents, stretch=stretch)
        labels.append(label)
        near = f"{label} ({round(error, 1) + 0.0:+.1f} cents)" if error is not None else "-"
        lines.append(
            f"{m.cents:9.2f} {m.ratio:9.5f} {m.value:10.4f} {m.depth:9.4f} {100 * m.depth / span:6.2f}%  {near}"
        )
    return "\n".join(lines), labels


def curve_command(
    timbre: Annotated[
        str,
        typer.Option(
            "--timbre", help="Timbre SPEC, e.g. harmonic:partials=6,rolloff=0.88 or a .json file"
        ),
    ] = "harmonic",
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="Dissonance model: composite (fitted to listeners; the default), sethares, "
            "sethares1993, vassilakis or hutchinson",
        ),
    ] = DEFAULT_CURVE_MODEL,
    ratio_range: Annotated[
        str,
        typer.Option(
            "--range", help="Interval range LO:HI as frequency ratios (1 <= LO < HI <= 16)"
        ),
    ] = "1:2.3",
    f0_hz: Annotated[
        float, typer.Option("--f0", help="Frequency of the lower note in Hz")
    ] = DEFAULT_REFERENCE_HZ,
    min_depth: Annotated[
        float,
        typer.Option(
            "--min-depth", help="Hide minima shallower than this fraction of the curve's span"
        ),
    ] = 0.001,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Also write the curve and minima: FILE.csv, FILE.json or FILE.png"
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing --out file")] = False,
) -> None:
    """Print the local minima of a timbre's dyad dissonance curve (the intervals it favours).

    The curve's value is a dissonance for every model: lower = more consonant.
    """
    from xentune.psychoacoustics.curve import dissonance_curve, minima_of_curve
    from xentune.report.curve_files import check_curve_output, parse_ratio_range, save_curve
    from xentune.timbre import parse_timbre

    spectrum = parse_timbre(timbre)
    lo, hi = parse_ratio_range(ratio_range)
    if out is not None:
        check_curve_output(out, force=force)
    curve = dissonance_curve(spectrum, f0_hz=f0_hz, ratio_range=(lo, hi), model=model)
    every = minima_of_curve(curve, spectrum)
    minima = minima_of_curve(curve, spectrum, min_relative_depth=min_depth)
    # A stretched timbre (pseudo-octave A != 2) favours stretched ratios: label them as such.
    octave = spectrum.pseudo_octave
    stretch = math.log2(octave) if octave is not None and abs(octave - 2.0) > 1e-12 else 1.0
    table, labels = _table(curve, minima, stretch=stretch)
    typer.echo(
        f"dissonance curve of {spectrum.name} ({model}, f0 {curve.f0_hz:.2f} Hz, ratios {lo:g}-{hi:g}): "
        f"{len(minima)} minima"
    )
    typer.echo(table)
    if len(every) > len(minima):
        hidden = len(every) - len(minima)
        typer.echo(f"({hidden} shallower minima hidden; --min-depth 0 shows all)")
    if stretch != 1.0:
        typer.echo(f"(r)^s: ratio r of the stretched series, s = log2({octave:g}) = {stretch:.5f}")
    if out is not None:
        path = save_curve(out, curve, minima, spectrum=spectrum, labels=labels, force=force)
        typer.echo(f"wrote {path}")
