"""The outcome of a challenge and the archive in a real browser: from the challenge list to the archive, then to
a decided challenge's outcome with its named winner, in Dutch and English, with zero axe violations."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.ocds.helpers import CANCEL_REASON, cancelled, decided

pytestmark = pytest.mark.browser

TEXTS = {
    "nl": {
        "archive_link": "Archief: gesloten en geannuleerde challenges met hun uitkomst",
        "archive": "Archief van gesloten en geannuleerde challenges",
        "outcome": "Uitkomst",
        "proposals": "3 (van mkb: 2; van consortia: 1)",
        "route": "ADV (Aanbestedingswet op defensie- en veiligheidsgebied)",
    },
    "en": {
        "archive_link": "Archive: closed and cancelled challenges with their outcome",
        "archive": "Archive of closed and cancelled challenges",
        "outcome": "Outcome",
        "proposals": "3 (from SMEs: 2; from consortia: 1)",
        "route": "ADV (Aanbestedingswet op defensie- en veiligheidsgebied)",
    },
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_archive_and_an_outcome_are_accessible(page: Page, server: LiveServer, language: str) -> None:
    prefix = f"a{secrets.token_hex(3)}"
    try:
        with server.db.unit_of_work() as session:
            s = decided(session, server.clock, prefix=prefix, kvk_offset=_offset(prefix))
            stopped = cancelled(session, server.clock, slug=f"{prefix}-cancelled")
            slug, stopped_slug, title = s.challenge.slug, stopped.slug, s.challenge.title(language)
    finally:
        server.clock.set(DEFAULT_NOW)  # the shared server's clock back for the journeys after this one
    texts = TEXTS[language]
    page.goto(f"/language/{language}?next=/")
    page.get_by_role("link", name=texts["archive_link"]).click()
    page.wait_for_url("**/archive")
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["archive"])
    expect(page.locator(f"#archive-{stopped_slug}")).to_contain_text(CANCEL_REASON)
    card = page.locator(f"#archive-{slug}")
    expect(card).to_contain_text(texts["proposals"])
    assert_accessible(page)
    card.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/challenges/{slug}")
    outcome = page.locator("#outcome")
    expect(outcome.get_by_role("heading", name=texts["outcome"])).to_be_visible()
    expect(outcome).to_contain_text(texts["proposals"])
    expect(outcome).to_contain_text("Alpha Sensoren B.V.")
    expect(outcome).to_contain_text(texts["route"])
    expect(outcome).not_to_contain_text("Bravo Radar")
    assert_accessible(page)


CHOICE = {
    "nl": {
        "link": "Publicatie van de uitkomst",
        "names": "Ook de namen van de winnaars waarvan het bedrijf daarmee instemde bij het indienen",
        "save": "Keuze opslaan",
        "now": "De uitkomst, het aantal voorstellen en de namen van de winnaars waarvan het bedrijf bij het indienen instemde.",
    },
    "en": {
        "link": "Publication of the outcome",
        "names": "Also the names of the winners whose company agreed to it when submitting",
        "save": "Save the choice",
        "now": "The outcome, the number of proposals and the names of the winners whose company agreed at submission.",
    },
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_coordinator_chooses_to_publish_names(
    browser: Browser, server: LiveServer, contexts: list[BrowserContext], language: str
) -> None:
    prefix = f"p{secrets.token_hex(3)}"
    try:
        with server.db.unit_of_work() as session:
            s = decided(session, server.clock, names_after=False, prefix=prefix, kvk_offset=_offset(prefix))
            slug = s.challenge.slug
    finally:
        server.clock.set(DEFAULT_NOW)
    texts = CHOICE[language]
    context = logged_in_context(browser, server, s.coordinator, language)
    contexts.append(context)
    page = context.new_page()
    page.goto(f"/manage/challenges/{slug}")
    page.get_by_role("link", name=texts["link"]).click()
    page.wait_for_url(f"**/manage/challenges/{slug}/evaluation/publication")
    assert_accessible(page)
    page.get_by_label(texts["names"]).check()
    page.get_by_role("button", name=texts["save"]).press("Enter")
    expect(page.locator("#publication-current")).to_contain_text(texts["now"])
    assert_accessible(page)
    page.goto(f"/challenges/{slug}")
    expect(page.locator("#outcome")).to_contain_text("Alpha Sensoren B.V.")
    expect(page.locator("#outcome")).not_to_contain_text("Bravo Radar")


def _offset(prefix: str) -> int:
    return (int(prefix[1:], 16) % 60_000) * 10


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()
