"""Fixtures for browser tests: one live portal per database kind with the seeded challenges, and Chromium.

Where Debian's Chromium is missing the browser tests are skipped with a loud warning; with
PORTAL_REQUIRE_BROWSER=1 (as in CI) a missing browser fails the run instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from app.challenges import service
from app.challenges.definitions import discover, read_file
from app.clock import FrozenClock
from app.database import Database
from tests.browser.harness import CHROMIUM_ARGS, LiveServer, chromium_path, live_server, watch_responses
from tests.conftest import DEFAULT_NOW
from tests.databases import empty_database, migrated_database
from tests.factories import CLI_ACTOR, EARLIER

ROOT = Path(__file__).resolve().parents[2]
MISSING_BROWSER: list[str] = []


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    path = chromium_path()
    if path is None:
        message = "Debian's chromium is not installed: the browser and accessibility tests did NOT run."
        if os.environ.get("PORTAL_REQUIRE_BROWSER") == "1":
            pytest.fail(message)
        MISSING_BROWSER.append(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def seed_challenges(db: Database) -> None:
    definitions = [read_file(path).definition for path in discover([ROOT / "challenges"])]
    with db.unit_of_work() as session:
        service.load_definitions(
            session, definitions=[d for d in definitions if d], actor=CLI_ACTOR, now=EARLIER, publish=True
        )
        session.commit()


@pytest.fixture(scope="session")
def server(db_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("live")
    with empty_database(db_kind, folder) as url:
        db = migrated_database(url)
        seed_challenges(db)
        with live_server(db, FrozenClock(DEFAULT_NOW), folder / "data") as live:
            yield live
        db.dispose()


@pytest.fixture(autouse=True)
def server_errors(request: pytest.FixtureRequest) -> Iterator[list[str]]:
    """Fails every browser test during which any response had status 500 or above, with the URLs.

    Both sides write into ``server.errors``: the live server itself (every request, from any context) and the
    browser contexts made by the ``page`` fixture and ``logged_in_context``. A test that provokes a 5xx on
    purpose removes what it expects from the list."""
    if "server" not in request.fixturenames:
        yield []
        return
    server: LiveServer = request.getfixturevalue("server")
    server.errors.clear()
    yield server.errors
    seen = list(server.errors)
    server.errors.clear()
    assert seen == [], "responses with status 500 or above:\n" + "\n".join(seen)


@pytest.fixture
def console_errors() -> list[str]:
    """Console errors of the page (CSP violations, missing resources); a test that expects one removes it."""
    return []


@pytest.fixture
def page(browser: Browser, server: LiveServer, console_errors: list[str]) -> Iterator[Page]:
    context = browser.new_context(base_url=server.base_url, locale="nl-NL")
    watch_responses(context, server.errors)
    page = context.new_page()

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error":
            console_errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    yield page
    context.close()
    assert console_errors == [], f"console errors (CSP violations among them): {console_errors}"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if MISSING_BROWSER:
        terminalreporter.section("BROWSER TESTS DID NOT RUN", sep="!", red=True, bold=True)
        terminalreporter.line(MISSING_BROWSER[0] + " Install it with: apt-get install -y chromium", red=True)
