"""The eligibility page in a real browser, in Dutch and English, with axe: the facts and the link to the
proposal are on the page, nothing is pre-selected, a save without a choice is refused at that proposal's
field (the typed reason kept), and a decision made is shown selected."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE, build_scenario

pytestmark = pytest.mark.browser

TEXT = {
    "nl": {
        "save": "Ontvankelijkheid van %s opslaan",
        "choose": "Kies een van de mogelijkheden.",
        "read": "Lees voorstel %s zoals ingediend",
    },
    "en": {
        "save": "Save the eligibility of %s",
        "choose": "Choose one of the options.",
        "read": "Read proposal %s as submitted",
    },
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_eligibility_page_journey(browser: Browser, server: LiveServer, language: str) -> None:
    text = TEXT[language]
    prefix = f"e{secrets.token_hex(3)}"
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=2, evaluators=0, prefix=prefix)
        session.expunge_all()
    server.clock.set(AFTER_DEADLINE)
    context = logged_in_context(browser, server, s.coordinator, language)
    try:
        page = context.new_page()
        page.goto(s.base + "/eligibility")
        assert_accessible(page)
        expect(page.locator("input[name=admissible]:checked")).to_have_count(0)
        first, second = s.proposals
        card = page.locator(f"section[aria-labelledby='p{first.id}-title']")
        card.locator(f"#reason-{first.id}").fill("Eerst nog navragen.")
        card.get_by_role("button", name=text["save"] % first.reference).click()
        expect(page.locator(f"#admissible-{first.id}-error")).to_contain_text(text["choose"])
        expect(page.locator(f"#reason-{first.id}")).to_have_value("Eerst nog navragen.")
        expect(page.locator(f"#admissible-{second.id}-error")).to_have_count(0)
        assert_accessible(page)

        page.locator(f"#adm-{first.id}-no").check()
        page.locator(f"#reason-{first.id}").fill("Geen Nederlandse vestiging.")
        page.get_by_role("button", name=text["save"] % first.reference).click()
        page.wait_for_url(f"**{s.base}/eligibility")
        expect(page.locator(f"#adm-{first.id}-no")).to_be_checked()
        expect(page.locator(f"#adm-{second.id}-yes")).not_to_be_checked()
        expect(page.locator(f"#adm-{second.id}-no")).not_to_be_checked()
        assert_accessible(page)

        page.get_by_role("link", name=text["read"] % second.reference).click()
        page.wait_for_url(f"**/manage/challenges/{s.challenge.slug}/proposals/{second.id}")
        expect(page.locator("main")).to_contain_text(second.reference)
        assert_accessible(page)
    finally:
        context.close()
        server.clock.set(DEFAULT_NOW)  # the server is shared: later journeys start before the deadline
