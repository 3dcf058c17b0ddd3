"""The browser harness every journey test uses: a live portal, Debian's Chromium, axe-core, the keyboard."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvicorn
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, BrowserContext, Page, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.accounts import sessions
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
    # Every response with status 500 or above during the current test, seen by the server or by a browser
    # context; the ``server_errors`` fixture empties it before each browser test and fails the test after.
    errors: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path


class RecordServerErrors:
    """ASGI wrapper that writes down every response with status 500 or above (and every request that raised),
    whoever sent the request: a browser context the test forgot to watch, ``page.request``, anything."""

    def __init__(self, app: ASGIApp, errors: list[str]) -> None:
        self.app = app
        self.errors = errors

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = scope["path"] + (f"?{scope['query_string'].decode()}" if scope.get("query_string") else "")
        started = False

        async def recording_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                if message["status"] >= 500:
                    self.errors.append(f"the server answered {message['status']} to {scope['method']} {target}")
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        except Exception as error:
            if not started:
                self.errors.append(f"the server raised {type(error).__name__} on {scope['method']} {target}")
            raise


def watch_responses(target: BrowserContext | Page, errors: list[str]) -> None:
    """Write down every response with status 500 or above that the context's (or page's) pages receive."""

    def on_response(response: Response) -> None:
        if response.status >= 500:
            errors.append(f"the browser received {response.status} for {response.request.method} {response.url}")

    target.on("response", on_response)


def logged_in_context(browser: Browser, server: LiveServer, user: Any, language: str) -> BrowserContext:
    """A browser context with a live session for ``user`` (second factor done) in ``language``, watched for 5xx."""
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, auth = sessions.start_session(
            session, user=session.merge(user), now=now, policy=policy, ip="127.0.0.1", user_agent="pw"
        )
        auth.mfa_verified_at = now
        session.commit()
    context = browser.new_context(base_url=server.base_url, locale="nl-NL")
    watch_responses(context, server.errors)
    context.add_cookies(
        [
            {"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url},
            {"name": "portal_lang", "value": language, "url": server.base_url},
        ]
    )
    return context


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
    errors: list[str] = []
    app = RecordServerErrors(create_app(settings, db=db, clock=clock), errors)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the live server did not start")
        time.sleep(0.05)
    try:
        yield LiveServer(base_url, db, clock, settings, errors)
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
