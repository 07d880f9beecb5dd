"""report.html in a real browser: Debian's headless Chromium, driven over its DevTools protocol.

The page loads with no console error or uncaught exception, every image decodes, the headline is
there, and the smoothing checkbox (on by default) swaps the curves; a screenshot is saved in the test's folder.
Skipped when chromium is missing (``scripts/chromium.sh`` installs it; the test command runs it).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("matplotlib")
websocket = pytest.importorskip("websocket")

from tests.runs.test_report import fake_run  # noqa: E402

from rewardkit.runs.report import build_report  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.process]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1100,1600",
]


class Page:
    """One tab, spoken to over the DevTools websocket; console errors are collected."""

    def __init__(self, url: str):
        self.ws = websocket.create_connection(url, timeout=20, suppress_origin=True)
        self.next_id = 0
        self.errors: list[str] = []
        self.loaded = False

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                assert "error" not in message, message
                result: dict[str, Any] = message["result"]
                return result
            self._event(message)

    def _event(self, message: dict[str, Any]) -> None:
        method, params = message.get("method"), message.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            self.errors.append(json.dumps(params.get("args")))
        elif method == "Runtime.exceptionThrown":
            self.errors.append(json.dumps(params.get("exceptionDetails")))
        elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
            self.errors.append(params["entry"].get("text", ""))
        elif method == "Page.loadEventFired":
            self.loaded = True

    def wait_loaded(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.loaded and time.monotonic() < deadline:
            self._event(json.loads(self.ws.recv()))
        assert self.loaded, "the page did not finish loading"

    def js(self, expression: str) -> Any:
        out = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        assert "exceptionDetails" not in out, out
        return out["result"].get("value")


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[int]:
    """A headless Chromium with a fresh profile; yields its DevTools port."""
    if CHROMIUM is None:
        pytest.skip("chromium is not installed (scripts/chromium.sh installs it)")
    profile = tmp_path / "profile"
    proc = subprocess.Popen(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 20
        while not (port_file.exists() and port_file.read_text().strip()):
            assert time.monotonic() < deadline and proc.poll() is None, "chromium did not start"
            time.sleep(0.1)
        yield int(port_file.read_text().split()[0])
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _open_tab(port: int) -> Page:
    from urllib.request import Request, urlopen

    with urlopen(Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")) as r:
        target = json.loads(r.read())
    return Page(target["webSocketDebuggerUrl"])


def test_report_in_headless_chromium(tmp_path: Path, browser: int) -> None:
    report = build_report(fake_run(tmp_path / "run", samples=True))
    page = _open_tab(browser)
    for domain in ("Page", "Runtime", "Log"):
        page.call(f"{domain}.enable")
    page.call("Page.navigate", url=report.as_uri())
    page.wait_loaded()
    images = page.js("[...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0])")
    assert len(images) >= 10 and all(ok for _, ok in images), images
    headline = page.js("document.getElementById('headline').innerText")
    assert "Held-out greedy success went from 20.0%" in headline and "noise" in headline
    # smoothed by default (the raw values faint in it); unticking shows the raw curves alone
    assert page.js("document.querySelector('img.raw').offsetParent === null")
    page.js("document.getElementById('smooth').click()")
    assert page.js("document.querySelector('img.smooth').offsetParent === null")  # swapped
    assert page.js("document.querySelector('img.raw').offsetParent !== null")
    shot = page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
    (tmp_path / "report.png").write_bytes(base64.b64decode(shot["data"]))
    assert (tmp_path / "report.png").stat().st_size > 10_000
    assert page.errors == []


def test_a_console_error_is_caught(tmp_path: Path, browser: int) -> None:
    """The check above can fail: a page with a script error and a broken image is seen as such."""
    bad = tmp_path / "bad.html"
    bad.write_text("<img alt='x' src='missing.png'><script>console.error('boom')</script>")
    page = _open_tab(browser)
    for domain in ("Page", "Runtime", "Log"):
        page.call(f"{domain}.enable")
    page.call("Page.navigate", url=bad.as_uri())
    page.wait_loaded()
    assert page.js("[...document.images].every(i => i.naturalWidth > 0)") is False
    assert any("boom" in e for e in page.errors)
