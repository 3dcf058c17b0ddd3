"""The evaluator's way through the queue in a real browser: "Next to do" from the queue, the declaration, the
scores submitted and on to the security assessment, that submitted and back to the queue, whose "Next to do" is
then the next proposal; every page passes axe, and the queue's pages are reached by keyboard."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Browser, expect

from app.audit.service import Actor
from app.evaluations.assignments import service as assignment_service
from app.evaluations.pool import service as pool_service
from app.evaluations.scoring import queue as queue_module
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE, build_scenario
from tests.factories import LINKS

pytestmark = pytest.mark.browser

TEXT = {
    "nl": {
        "declare": "Verklaren",
        "submit": "Beoordeling indienen",
        "assess": "Afweging indienen",
        "next": "Volgende pagina",
        "done": "de beoordeling van dit voorstel is klaar",
    },
    "en": {
        "declare": "Declare",
        "submit": "Submit the evaluation",
        "assess": "Submit the assessment",
        "next": "Next page",
        "done": "the evaluation of this proposal is done",
    },
}
FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")


@pytest.mark.parametrize("language", ["nl", "en"])
def test_evaluator_goes_from_the_queue_through_both_forms_and_back(
    browser: Browser, server: LiveServer, language: str
) -> None:
    text = TEXT[language]
    per_page = queue_module.PAGE_SIZE
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=per_page + 1, evaluators=1, prefix=f"q{secrets.token_hex(3)}")
        by = Actor(s.coordinator.id, label="coordinator")
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=s.evaluators[0].id, actor=by, now=AFTER_DEADLINE
        )
        ids = [
            assignment_service.assign(
                session,
                challenge=s.challenge,
                stage=s.stage,
                proposal_id=proposal.id,
                evaluator_id=s.evaluators[0].id,
                actor=by,
                now=AFTER_DEADLINE,
                links=LINKS,
            ).id
            for proposal in s.proposals
        ]
        references = [proposal.reference for proposal in s.proposals]
        session.commit()
        session.expunge_all()
    server.clock.set(AFTER_DEADLINE)
    context = logged_in_context(browser, server, s.evaluators[0], language)
    try:
        page = context.new_page()
        page.goto("/evaluate")
        assert_accessible(page)
        expect(page.locator("tbody tr")).to_have_count(per_page)
        page.locator("#next-todo").click()
        page.wait_for_url(f"**/evaluate/assignments/{ids[0]}")
        page.locator("#has_conflict-none").check()
        page.get_by_role("button", name=text["declare"], exact=True).click()
        page.wait_for_url(f"**/evaluate/assignments/{ids[0]}")
        for key in ("effect", "safety"):
            page.locator(f"#score_{key}-1").check()
            page.locator(f"#justification_{key}").fill(f"Onderbouwing {key}.")
        page.locator("#assessed_trl").select_option("5")
        page.get_by_role("button", name=text["submit"]).click()
        page.wait_for_url(f"**/evaluate/assignments/{ids[0]}/security?done=scores")
        expect(page.locator("#scores-submitted")).to_be_visible()
        assert_accessible(page)
        for factor in FACTORS:
            page.locator(f"#rating_{factor}-low").check()
            page.locator(f"#factor_justification_{factor}").fill(f"Reden {factor}.")
        page.get_by_role("button", name=text["assess"]).click()
        page.wait_for_url("**/evaluate?done=evaluation")
        expect(page.get_by_role("status")).to_contain_text(text["done"])
        expect(page.locator("#next-todo")).to_contain_text(references[1])
        assert_accessible(page)
        # The proposal done is listed after those to do: on the second page, reached by keyboard.
        page.get_by_role("link", name=text["next"]).focus()
        page.keyboard.press("Enter")
        page.wait_for_url("**/evaluate?page=2")
        expect(page.locator("tbody")).to_contain_text(references[0])
        assert_accessible(page)
    finally:
        context.close()
        server.clock.set(DEFAULT_NOW)
