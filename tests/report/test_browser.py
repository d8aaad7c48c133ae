"""report.html in a real browser: headless Chromium over the DevTools protocol (on a pipe, stdlib only).

Checks that the page loads with no console error or exception, that every plot decodes to a
non-blank picture, that the audio players load their files, and keeps a full-page screenshot in
``test-artifacts/``.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import APT_LINE, REPO_ROOT

pytestmark = pytest.mark.external

ARTIFACTS = REPO_ROOT / "test-artifacts"


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip(f"headless Chromium is not installed; the external tests need: {APT_LINE}")


class DevTools:
    """A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe`` (fds 3 and 4)."""

    def __init__(self, user_data_dir: Path, *, timeout_s: float = 60.0) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire() -> None:  # in the child: its fd 3 reads our commands, its fd 4 writes replies
            # Move both ends above 4 first, so that neither dup2 can overwrite the other.
            high_r = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        flags = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--mute-audio",
            f"--user-data-dir={user_data_dir}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self._log = open(user_data_dir.parent / "chromium.log", "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [_chromium(), *flags],
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=self._log,
            pass_fds=(3, 4),
            preexec_fn=wire,
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []
        self.timeout_s = timeout_s

    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                raise TimeoutError("Chromium did not answer in time (or exited); see chromium.log")
            ready, _, _ = select.select([self._from_browser], [], [], min(left, 1.0))
            if ready:
                chunk = os.read(self._from_browser, 1 << 20)
                if not chunk:
                    raise ConnectionError("Chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(
        self, method: str, params: dict[str, Any] | None = None, *, session: str | None = None
    ) -> Any:  # noqa: ANN401
        """Send a command and return its result (events seen meanwhile are kept in ``events``)."""
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session is not None:
            msg["sessionId"] = session
        os.write(self._to_browser, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_event(self, method: str) -> dict[str, Any]:
        """Wait for an event (or return one already seen)."""
        for e in self.events:
            if e.get("method") == method:
                return e
        deadline = time.monotonic() + self.timeout_s
        while True:
            msg = self._read_message(deadline)
            self.events.append(msg)
            if msg.get("method") == method:
                return msg

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (TimeoutError, ConnectionError, RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_browser)
        os.close(self._from_browser)
        self._log.close()


_CHECK_PAGE = """
(async () => {
  const images = [];
  for (const img of Array.from(document.images)) {
    let decoded = true;
    try { await img.decode(); } catch (e) { decoded = false; }
    const c = document.createElement('canvas');
    c.width = img.naturalWidth; c.height = img.naturalHeight;
    let std = 0, colors = 0, dark = 0;
    if (decoded && c.width > 0) {
      const ctx = c.getContext('2d');
      ctx.drawImage(img, 0, 0);
      const d = ctx.getImageData(0, 0, c.width, c.height).data;
      let n = 0, s = 0, s2 = 0;
      const seen = new Set();
      for (let i = 0; i < d.length; i += 4) {
        const g = (d[i] + d[i + 1] + d[i + 2]) / 3;
        n++; s += g; s2 += g * g;
        if (g < 128) dark++;
        if (seen.size < 5000) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      }
      const mean = s / n;
      std = Math.sqrt(Math.max(0, s2 / n - mean * mean));
      colors = seen.size;
      dark = dark / n;
    }
    images.push({id: img.closest('figure') ? img.closest('figure').id : null, decoded,
                 width: img.naturalWidth, height: img.naturalHeight, std, colors, dark});
  }
  const audio = [];
  for (const a of Array.from(document.querySelectorAll('audio'))) {
    if (a.readyState < 1 && !a.error) {
      await new Promise(resolve => {
        a.addEventListener('loadedmetadata', resolve, {once: true});
        a.addEventListener('error', resolve, {once: true});
        setTimeout(resolve, 10000);
      });
    }
    audio.push({src: a.getAttribute('src'), readyState: a.readyState, duration: a.duration,
                error: a.error ? a.error.code : null});
  }
  const links = Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href'));
  return JSON.stringify({title: document.title, tables: document.querySelectorAll('table').length,
                         images, audio, links, text: document.body.innerText});
})()
"""


def _open_in_chromium(
    html_path: Path, screenshot: Path, tmp_path: Path
) -> tuple[dict[str, Any], list[str]]:
    """Load the page; return what the page check found and the console errors."""
    profile = tmp_path / "profile"
    profile.mkdir()
    dt = DevTools(profile)
    try:
        target = dt.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = dt.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Runtime", "Log", "Page"):
            dt.send(f"{domain}.enable", session=session)
        dt.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        dt.send("Page.navigate", {"url": html_path.resolve().as_uri()}, session=session)
        dt.wait_event("Page.loadEventFired")
        result = dt.send(
            "Runtime.evaluate",
            {"expression": _CHECK_PAGE, "awaitPromise": True, "returnByValue": True},
            session=session,
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"page check failed: {result['exceptionDetails']}")
        found = json.loads(result["result"]["value"])
        size = dt.send("Page.getLayoutMetrics", session=session)["cssContentSize"]
        shot = dt.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {
                    "x": 0,
                    "y": 0,
                    "width": size["width"],
                    "height": size["height"],
                    "scale": 1,
                },
            },
            session=session,
        )
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        screenshot.write_bytes(base64.b64decode(shot["data"]))
    finally:
        dt.close()
    errors = []
    for e in dt.events:
        method, params = e.get("method"), e.get("params", {})
        if method == "Runtime.exceptionThrown":
            errors.append(json.dumps(params["exceptionDetails"])[:300])
        elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            errors.append(json.dumps(params.get("args"))[:300])
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            errors.append(f"{params['entry'].get('text')} {params['entry'].get('url', '')}")
    return found, errors


def _check_images(found: dict[str, Any], expected: set[str]) -> None:
    assert {img["id"] for img in found["images"]} == {f"plot-{name}" for name in expected}
    for img in found["images"]:
        assert img["decoded"], img
        assert img["width"] >= 600 and img["height"] >= 250, img
        # A drawn plot: varied pixels, many colours (antialiased lines and text), some ink.
        assert img["std"] > 5 and img["colors"] > 50 and 0.001 < img["dark"] < 0.6, img


def test_run_report_in_chromium(harmonic_report: Path, tmp_path: Path) -> None:
    shot = ARTIFACTS / "report-harmonic-run.png"
    found, errors = _open_in_chromium(harmonic_report / "report.html", shot, tmp_path)
    assert errors == []
    _check_images(found, {"curve", "density", "edo", "training", "piece", "partials"})
    assert found["tables"] >= 8
    assert len(found["audio"]) == 12
    for a in found["audio"]:
        assert a["error"] is None and a["readyState"] >= 1, a
        assert abs(a["duration"] - 0.4) < 0.01, a  # the synthetic pieces' wav files are 0.4 s
    assert "3/2" in found["text"] and "Best equal divisions" in found["text"]
    assert shot.stat().st_size > 50_000


def test_scale_report_in_chromium(scale_report: Path, tmp_path: Path) -> None:
    shot = ARTIFACTS / "report-scale-ptolemy.png"
    found, errors = _open_in_chromium(scale_report / "report.html", shot, tmp_path)
    assert errors == []
    _check_images(found, {"density", "edo"})
    assert found["audio"] == []
    assert "No run" in found["text"]


@pytest.fixture(scope="module")
def tiny_generated_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ``xentune generate --ratios`` run, small enough for the default suite (~15 s)."""
    from xentune.cli import main

    out = tmp_path_factory.mktemp("generated") / "run"
    code = main(
        ["generate", "--out", str(out), "--voices", "3", "--steps", "4", "--pieces", "2",
         "--train-steps", "3", "--sample-rate", "16000", "--device", "cpu", "--quiet", "--ratios"]
    )  # fmt: skip
    assert code == 0
    return out


def test_use_this_scale_in_chromium(tiny_generated_run: Path, tmp_path: Path) -> None:
    """The "Use this scale" section of a generated run: shown, every link a file of the run,
    every audio player (pieces and previews) loads, no console error."""
    run = tiny_generated_run
    shot = ARTIFACTS / "report-use-this-scale.png"
    found, errors = _open_in_chromium(run / "report.html", shot, tmp_path)
    assert errors == []
    text = found["text"]
    for fragment in ("Use this scale", "Surge XT", "Ableton Live 12", "Scala", "Any MPE synth",
                     "Hear the scale", "Keyboard (consecutive)"):  # fmt: skip
        assert fragment in text, fragment
    use = json.loads((run / "report.json").read_text())["use"]
    n = use["n_notes"]
    # the pieces (in the table, and again beside each piano roll), each degree, each dyad
    assert len(found["audio"]) == 2 * 2 + (n + 1) + n
    for a in found["audio"]:
        assert a["error"] is None and a["readyState"] >= 1 and a["duration"] > 0.5, a
    links = set(found["links"])
    for name in ("scale.scl", "scale.kbm", "scale.ascl", "scale.tun", "piece-01-mpe.mid"):
        assert name in links, name
    for url in links | {a["src"] for a in found["audio"]}:
        assert (run / url).is_file(), url
    print(f"{len(links)} links and {len(found['audio'])} audio players; screenshot {shot}")
    assert shot.stat().st_size > 50_000
