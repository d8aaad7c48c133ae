"""The report's figures: what each one shows, with labelled axes (units) and legends."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from xentune.report.analysis import analysis_for_scale
from xentune.report.model import Analysis, analysis_from_dict, load_report, validate_report
from xentune.report.plots import (
    PLOTS,
    curve_figure,
    density_figure,
    figure_png,
    partials_figure,
    piece_figure,
    training_figure,
)
from xentune.tuning.scale import Scale


@pytest.fixture(scope="module")
def run_analysis(harmonic_report: Path) -> Analysis:
    return load_report(harmonic_report / "report.json")


@pytest.mark.parametrize("name", list(PLOTS))
def test_axes_have_labels_with_units_and_a_legend(
    run_analysis: Analysis, harmonic_report: Path, name: str
) -> None:
    if name == "ioi":  # a run with composed pieces: measure the synthetic run's pieces as music
        from dataclasses import replace

        from xentune.report.music import analyse_music
        from xentune.score import load_scores
        from xentune.tuning.scala import read_scl

        music = analyse_music(
            load_scores(harmonic_report / "score.json"),
            scale=read_scl(harmonic_report / "scale.scl")
            if (harmonic_report / "scale.scl").is_file()
            else Scale.from_cents([702.0, 1200.0]),
            scale_mode="adaptive",
            length_s=None,
            form="AABA",
        )
        run_analysis = replace(run_analysis, music=music)
    fig = PLOTS[name][1](run_analysis)
    assert fig is not None
    axes = [ax for ax in fig.axes if ax.get_visible() and ax.get_xlabel() + ax.get_ylabel()]
    assert axes
    for ax in axes:
        for label in [x for x in (ax.get_ylabel(), ax.get_xlabel()) if x]:
            assert "(" in label and ")" in label, (name, label)  # a unit or a meaning in brackets
    legends = [ax.get_legend() for ax in fig.axes if ax.get_legend() is not None] + list(
        fig.legends
    )
    assert legends, name
    assert any(ax.get_title() for ax in fig.axes)


def test_curve_marks_minima_and_steps(run_analysis: Analysis) -> None:
    fig = curve_figure(run_analysis)
    ax = fig.axes[0]
    dots = [line for line in ax.lines if line.get_label() == "curve minima"][0]
    assert np.allclose(dots.get_xdata(), [m.cents for m in run_analysis.curve.minima])
    vertical = [
        line.get_xdata()[0]
        for line in ax.lines
        if line.get_linestyle() in ("--", "-")
        and len(line.get_xdata()) == 2
        and line.get_xdata()[0] == line.get_xdata()[1]
    ]
    for s in run_analysis.steps:
        assert any(abs(x - s.cents) < 1e-9 for x in vertical), s.cents


def test_density_reference_lines(run_analysis: Analysis) -> None:
    fig = density_figure(run_analysis)
    text = " ".join(t.get_text() for t in fig.legends[0].get_texts())
    best = run_analysis.edo.best[0]
    assert f"best EDO: {best.n} steps" in text and "just ratios" in text
    top_axis_labels = [
        t.get_text() for ax in fig.axes for c in ax.child_axes for t in c.get_xticklabels()
    ]
    assert "3/2" in top_axis_labels and "5/4" in top_axis_labels


def test_missing_data_gives_no_figure(scale_files: dict[str, Path]) -> None:
    from xentune.tuning.scala import read_scl

    a = analysis_for_scale(read_scl(scale_files["ptolemy.scl"]))
    assert curve_figure(a) is None and training_figure(a) is None
    assert piece_figure(a) is None and partials_figure(a) is None
    png = figure_png(density_figure(a))
    img = np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=float)
    assert img.std() > 5


@settings(max_examples=25, deadline=None)
@given(
    st.lists(st.floats(1.0, 2399.0, allow_nan=False), min_size=0, max_size=12, unique=True),
    st.floats(100.0, 2400.0),
)
def test_any_scale_gives_a_valid_report(cents: list[float], period: float) -> None:
    degrees = [c for c in sorted(cents) if c < period - 1e-6]
    a = analysis_for_scale(Scale.from_cents([*degrees, period]))
    data = json.loads(a.to_json())
    validate_report(data)
    assert analysis_from_dict(data) == a
    assert [s.cents for s in a.scale_steps] == pytest.approx(degrees)
    assert a.edo.n == (tuple(range(5, 54)) if degrees else ())
