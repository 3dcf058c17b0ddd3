"""The browser harness every journey test uses: a live portal, Debian's Chromium, axe-core, the keyboard."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

from app.clock import FrozenClock
from app.database import Database
from app.main import create_app
from app.settings import Settings

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()


def chromium_path() -> str | None:
    configured = os.environ.get("PORTAL_CHROMIUM")
    for candidate in ([configured] if configured else []) + list(CHROMIUM_CANDIDATES):
        if candidate and Path(candidate).exists():
            return candidate
    found = shutil.which("chromium")
    return found


@dataclass
class LiveServer:
    base_url: str
    db: Database
    clock: FrozenClock
    settings: Settings

    def url(self, path: str) -> str:
        return self.base_url + path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def live_server(db: Database, clock: FrozenClock, data_dir: Path) -> Iterator[LiveServer]:
    """Serve the app with uvicorn in a thread, as a browser would meet it."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    settings = Settings(data_dir=data_dir, secret_key="browser-test-secret", base_url=base_url)
    app = create_app(settings, db=db, clock=clock)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(base_url, db, clock, settings)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def assert_accessible(page: Page) -> None:
    """Zero WCAG 2.1 A/AA violations on the page as it stands, with axe's report when not."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
    assert results.violations_count == 0, f"{page.url}\n{results.generate_report()}"


def tab_to(page: Page, predicate_js: str, *, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies a JS predicate on ``document.activeElement``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"no element matching {predicate_js!r} within {limit} Tab presses")
