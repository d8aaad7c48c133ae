"""The report's "Use this scale" section: files, keyboard, ratios, how-to and previews, with
every link resolving to a file of the run folder (HTML and Markdown)."""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.report.conftest import JUST_STEPS
from xentune.generator.exports import ExportConfig, write_scale_files
from xentune.report.model import load_report
from xentune.report.render import write_report
from xentune.report.use_section import HOW_TO
from xentune.timbre import parse_timbre
from xentune.tuning.scale import Scale
from xentune.units import DEFAULT_REFERENCE_HZ


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src") and value and not value.startswith(("data:", "#")):
                self.urls.append(value)


def _with_scale_files(run: Path, tmp_path: Path, exports: ExportConfig) -> Path:
    d = tmp_path / "run"
    shutil.copytree(run, d)
    scale = Scale.from_cents(
        [s + 0.3 for s in JUST_STEPS] + [1200.01], description="xentune emergent scale"
    )
    write_scale_files(d, scale, parse_timbre("harmonic"), exports, timbre="harmonic",
                      reference_hz=DEFAULT_REFERENCE_HZ, sample_rate=16000)  # fmt: skip
    config = json.loads((d / "config.json").read_text())
    config["exports"] = exports.to_dict()
    (d / "config.json").write_text(json.dumps(config))
    write_report(d)
    return d


@pytest.mark.parametrize("ratios", [False, True])
def test_section_links_and_content(harmonic_run: Path, tmp_path: Path, ratios: bool) -> None:
    d = _with_scale_files(harmonic_run, tmp_path, ExportConfig(ratios=ratios))
    use = json.loads((d / "report.json").read_text())["use"]
    assert [f["path"] for f in use["files"]] == [
        "scale.scl",
        "scale.kbm",
        "scale.ascl",
        "scale.tun",
    ]
    assert use["keyboard"] == "consecutive" and "every 6 keys" in use["keyboard_text"]
    assert [o["layout"] for o in use["keyboard_options"]] == ["12-key"]  # white-keys needs 7
    assert len(use["previews"]) == 6 + 1 + 6
    if ratios:
        assert use["degrees_in_file"] == ["6/5", "5/4", "4/3", "3/2", "5/3", "2/1"]
    else:
        assert use["degrees_in_file"][-1] == "1200.010"
    assert load_report(d / "report.json").use is not None  # validates against the schema

    html = (d / "report.html").read_text()
    assert '<h2 id="use">Use this scale</h2>' in html
    for tool, _ in HOW_TO:
        assert tool in html
    assert ("--ratios was on" in html) is ratios
    assert "<code>12-key</code>: 12 keys per period" in html
    parser = _Links()
    parser.feed(html)
    assert {"scale.scl", "scale.kbm", "scale.ascl", "scale.tun"} <= set(parser.urls)
    assert sum(u.startswith("previews/") for u in parser.urls) == 13
    for url in parser.urls:  # every link resolves to a file in the run folder
        assert (d / url).is_file(), url

    md = (d / "report.md").read_text()
    assert "## Use this scale" in md and "### Hear the scale" in md
    md_links = re.findall(r"\]\(([^)]+)\)", md)
    for url in md_links:
        assert (d / url).is_file(), url
    assert {"scale.scl", "scale.kbm", "scale.ascl", "scale.tun"} <= set(md_links)


def test_no_section_without_scale_files(harmonic_report: Path) -> None:
    """A run folder without scale.scl (or a score / scale report) has no section."""
    assert json.loads((harmonic_report / "report.json").read_text())["use"] is None
    assert "Use this scale" not in (harmonic_report / "report.html").read_text()
