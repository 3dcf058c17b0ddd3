"""Consensus and calibration in a real browser, in Dutch and English, with zero axe violations: calibration
with enough data for two evaluators and too little for a third, a flagged proposal whose consensus is then
recorded through the form (its confirmation, who recorded it), and the results page's note after it."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Browser, expect

from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE, build_scenario
from tests.evaluations.test_decisions import _score

pytestmark = pytest.mark.browser

TEXT = {
    "nl": {
        "too_little": "Te weinig gegevens voor kalibratie: 1 van de 3 benodigde beoordelingen.",
        "required": "Voor dit voorstel is consensus vereist.",
        "button": "Consensus vastleggen",
        "confirmed": "De consensus is vastgelegd.",
        "recorded_by": "Vastgelegd door",
        "note": "Consensus vastgelegd: de beoordelaars verschilden van oordeel.",
    },
    "en": {
        "too_little": "Too little data for calibration: 1 of the 3 evaluations needed.",
        "required": "Consensus is required for this proposal.",
        "button": "Record the consensus",
        "confirmed": "The consensus has been recorded.",
        "recorded_by": "Recorded by",
        "note": "Consensus recorded: the evaluators disagreed.",
    },
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_consensus_and_calibration_pages(browser: Browser, server: LiveServer, language: str) -> None:
    text = TEXT[language]
    server.clock.set(AFTER_DEADLINE)
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=3, evaluators=3, prefix=f"c{secrets.token_hex(3)}")
        _score(session, s, server.clock, {0: [(2, 2), (0, 1), (1, 1)], 1: [(1, 1), (2, 2)], 2: [(0, 1), (0, 0)]})
        session.expunge_all()
    context = logged_in_context(browser, server, s.coordinator, language)
    try:
        page = context.new_page()
        page.goto(s.base + "/calibration")
        expect(page.locator("main table").first).to_contain_text(text["too_little"])
        assert_accessible(page)
        proposal = s.proposals[0]
        page.goto(f"{s.base}/proposals/{proposal.id}")
        expect(page.locator("main")).to_contain_text(text["required"])
        assert_accessible(page)
        for key, value in (("effect", 1), ("safety", 1)):
            page.locator(f"#score_{key}-{value + 1}").check()
            page.locator(f"#rationale_{key}").fill("Besproken.")
        page.get_by_role("button", name=text["button"]).click()
        page.wait_for_url(f"**{s.base}/proposals/{proposal.id}?done=consensus")
        expect(page.get_by_role("status")).to_contain_text(text["confirmed"])
        expect(page.locator("#recorded_effect")).to_contain_text(f"{text['recorded_by']} {s.coordinator.name}")
        expect(page.locator("main")).not_to_contain_text(text["required"])
        assert_accessible(page)
        page.goto(s.base + "/results")
        expect(page.locator("main table")).to_contain_text(text["note"])
        assert_accessible(page)
    finally:
        context.close()
        server.clock.set(DEFAULT_NOW)
