"""Helpers of the end-to-end tests: the real server in a subprocess, screenshots, login,
charts drawn, axe-core (imported by conftest.py and test_e2e.py; a module of its own so
that no test imports a conftest)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from webhelpers import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE = Path(__file__).parent / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-output" / "screenshots"
TIMEOUT_MS = 20_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """A running ``pks serve`` and its store."""

    base: str
    url: str
    folder: Path
    process: subprocess.Popen[bytes]
    log: Path
    draft: int = 0  # a draft plan version of ORT (the small region)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_server(url: str, folder: Path) -> Server:
    """``pks serve --db URL`` on a free port; returns once /healthz answers 200."""
    port = free_port()
    log = folder / "server.log"
    env = {**os.environ, "PKS_DATA_DIR": str(folder / "data")}
    pks = Path(sys.executable).parent / "pks"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(pks), "serve", "--db", url, "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env=env, cwd=folder,
        )
    server = Server(f"http://127.0.0.1:{port}", url, folder, process, log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            pytest.fail(f"pks serve exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{server.base}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return server
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            pytest.fail(f"pks serve did not answer /healthz in 60 s:\n{log.read_text()}")
        time.sleep(0.2)


DIVISION = "DK-LSS"

def root_code(url: str) -> str:
    from pks.services.memo import org_tree

    root = org_tree(url).root
    assert root is not None
    return root.code


#: Per open page: the axe violations found so far (the test goes on to its other steps;
#: the `page` fixture fails the test at its end when any were found).
VIOLATIONS: dict[int, list[str]] = {}


def shot(page: Page, name: str) -> Path:
    """Save a full-page screenshot as test-output/screenshots/<name>.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 1000
    return path


def log_in(page: Page, username: str, password: str = PASSWORD, next_: str = "/") -> None:
    """Log in through the form (as a person would) and wait for the page it leads to."""
    page.goto(f"/login?next={next_}")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    with page.expect_navigation():
        page.locator("form.login button[type=submit]").click()
    assert "/login" not in page.url, page.content()[:2000]


def charts_rendered(page: Page, at_least: int = 1) -> int:
    """Wait until Plotly drew the page's charts (app.js marks them data-rendered) and an SVG
    is inside; returns how many were drawn."""
    page.wait_for_selector('div.chart[data-rendered="true"] .main-svg', state="attached")
    drawn = page.locator('div.chart[data-rendered="true"] .main-svg').count()
    assert drawn >= at_least, f"{drawn} chart(s) drawn, expected at least {at_least}"
    return drawn


def axe(page: Page, name: str) -> None:
    """axe-core on the page: no violation of serious or critical impact.

    The app's Content-Security-Policy forbids inline scripts, which is how
    ``add_script_tag(path=...)`` injects one; so the browser serves axe.min.js from the
    page's own origin (a routed URL, answered from the npm package) and the tag loads it
    from there, with the CSP left as the app sends it."""
    assert AXE.exists(), "run: npm ci --prefix tests/browser (make test does)"
    page.route("**/__e2e__/axe.min.js",
               lambda route: route.fulfill(path=str(AXE), content_type="text/javascript"))
    page.add_script_tag(url="/__e2e__/axe.min.js")
    result: dict[str, Any] = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})"
    )
    bad = [
        f"{name}: {v['id']} ({v['impact']}): {v['help']} — "
        + "; ".join(str(n.get("target")) for n in v.get("nodes", [])[:5])
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical")
    ]
    if id(page) in VIOLATIONS:
        VIOLATIONS[id(page)].extend(bad)
    else:
        assert not bad, "accessibility violations:\n" + "\n".join(bad)


def assert_accessible(page: Page) -> None:
    """Fail with every axe violation (serious or critical) found on the pages this test
    checked so far (`axe` collects them so a test runs all its steps first)."""
    found = VIOLATIONS.get(id(page), [])
    listed = list(found)
    found.clear()
    assert not listed, "accessibility violations (axe-core, serious or critical):\n" + "\n".join(
        listed
    )
