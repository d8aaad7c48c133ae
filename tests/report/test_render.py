"""report.html / report.md: every table number comes from report.json; files, links, overwrite rules."""

from __future__ import annotations

import base64
import io
import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from xentune.errors import OutputExistsError
from xentune.report.render import write_report


class _Page(HTMLParser):
    """Collects table cells (with their data-src), images and audio elements."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str | None, str]] = []
        self.images: list[str] = []
        self.audio: list[str] = []
        self.links: list[str] = []
        self._cell: list[str] | None = None
        self._src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td":
            self._cell, self._src = [], a.get("data-src")
        elif tag == "img":
            self.images.append(a["src"] or "")
        elif tag == "audio":
            self.audio.append(a["src"] or "")
        elif tag == "a":
            self.links.append(a["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.cells.append((self._src, "".join(self._cell).strip()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _resolve(report: dict, pointer: str) -> object:
    node: object = report
    for part in pointer.strip("/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        node = node[int(part)] if isinstance(node, list) else node[part]  # type: ignore[index]
    return node


def _matches(text: str, value: object) -> bool:
    """Does the shown text say the JSON value (to the precision shown)?"""
    if value is None:
        return text == "—"
    if isinstance(value, bool):
        return text == ("yes" if value else "no")
    if isinstance(value, int):
        return int(text) == value
    if isinstance(value, float):
        shown = float(text)
        decimals = len(text.split(".")[1]) if "." in text and "e" not in text else 0
        return math.isclose(shown, value, rel_tol=5e-4, abs_tol=0.5 * 10**-decimals + 1e-12)
    if isinstance(value, str):
        return text == value
    if isinstance(value, list):
        parts = [p.strip() for p in text.split(",")] if text != "—" else []
        if value and isinstance(value[0], dict):  # a list of just ratios: the other matches shown
            return parts == [v["ratio"] for v in value[1:]] or (parts == [] and len(value) <= 1)
        return len(parts) == len(value) and all(
            _matches(p, v) for p, v in zip(parts, value, strict=True)
        )
    raise AssertionError(f"unexpected JSON value {value!r}")


def test_every_table_number_comes_from_report_json(harmonic_report: Path) -> None:
    report = json.loads((harmonic_report / "report.json").read_text())
    page = _Page()
    page.feed((harmonic_report / "report.html").read_text())
    assert len(page.cells) > 100
    for src, text in page.cells:
        assert src is not None, f"table cell {text!r} does not say where its value comes from"
        value = _resolve(report, src)
        assert _matches(text, value), (src, text, value)
    # The cells cover the key numbers: every step's cents and its just-ratio error.
    shown = {src for src, _ in page.cells}
    for i, step in enumerate(report["steps"]):
        assert f"/steps/{i}/cents" in shown
        if step["just_ratios"]:
            assert f"/steps/{i}/just_ratios/0/error_cents" in shown
    assert "/edo/best/0/n" in shown and "/training/final_energy" in shown


def test_html_is_self_contained_with_audio_links(harmonic_report: Path) -> None:
    text = (harmonic_report / "report.html").read_text()
    page = _Page()
    page.feed(text)
    assert len(page.images) == 6
    for src in page.images:
        assert src.startswith("data:image/png;base64,")
        img = Image.open(io.BytesIO(base64.b64decode(src.split(",", 1)[1])))
        pixels = np.asarray(img.convert("L"), dtype=float)
        assert img.width > 500 and pixels.std() > 5  # a picture, not a blank
    assert page.audio == [f"piece-{i:02d}.wav" for i in range(1, 13)]
    assert all((harmonic_report / a).is_file() for a in page.audio)
    assert not re.search(r'(src|href)="(https?:)?//', text)  # nothing fetched from the network


def test_markdown_has_the_same_tables_and_plot_files(harmonic_report: Path) -> None:
    md = (harmonic_report / "report.md").read_text()
    page = _Page()
    page.feed((harmonic_report / "report.html").read_text())
    md_cells = {
        c.strip()
        for line in md.splitlines()
        if line.startswith("|")
        for c in line.strip("|").split(" | ")
    }
    missing = [
        text
        for _, text in page.cells
        if text.replace("|", "\\|") not in md_cells and "piece-" not in text
    ]
    assert not missing, missing[:10]
    plots = re.findall(r"!\[[^\]]*\]\((plots/[a-z]+\.png)\)", md)
    assert sorted(plots) == sorted(f"plots/{p.name}" for p in (harmonic_report / "plots").iterdir())
    assert len(plots) == 6
    assert "3/2" in md and "Best equal divisions" in md


def test_report_is_not_overwritten_without_force(harmonic_report: Path, tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(harmonic_report, run)
    before = (run / "report.json").read_bytes()
    with pytest.raises(OutputExistsError, match="--force"):
        write_report(run)
    assert (run / "report.json").read_bytes() == before
    assert sorted(p.name for p in (run / "plots").iterdir()) == [
        "curve.png",
        "density.png",
        "edo.png",
        "partials.png",
        "piece.png",
        "training.png",
    ]
    assert not [p for p in run.iterdir() if p.name.startswith(".")]  # no temp files left


def test_scale_report_says_there_is_no_run(scale_report: Path) -> None:
    out = scale_report
    html_text = (out / "report.html").read_text()
    assert "No run" in html_text and "no training curve" in html_text
    assert sorted(p.name for p in (out / "plots").iterdir()) == ["density.png", "edo.png"]
    page = _Page()
    page.feed(html_text)
    assert page.audio == [] and len(page.images) == 2
    report = json.loads((out / "report.json").read_text())
    for src, text in page.cells:
        assert src is not None and _matches(text, _resolve(report, src)), (src, text)
    cells = dict(page.cells)
    assert float(cells["/frequencies_hz/60"]) == pytest.approx(261.6255653, abs=1e-4)  # middle C
    octave_up = float(cells["/frequencies_hz/67"])  # 7 notes a period: key 67 is 2/1 above key 60
    assert octave_up == pytest.approx(2 * 261.6255653, abs=1e-4)
    assert "No run" in (out / "report.md").read_text()


def test_flat_run_reports_no_steps(tmp_path: Path) -> None:
    from tests.report.conftest import make_run

    run = make_run(tmp_path, flat=True, n_pieces=6, audio=False)
    write_report(run)
    report = json.loads((run / "report.json").read_text())
    assert [s for s in report["steps"] if not s["is_period"]] == []
    assert any(f.startswith("No emergent steps") for f in report["findings"])
    assert report["edo"]["best"] == [] and report["agreement"] is None
    assert sorted(p.name for p in (run / "plots").iterdir()) == [
        "curve.png",
        "density.png",
        "partials.png",
        "piece.png",
        "training.png",
    ]
