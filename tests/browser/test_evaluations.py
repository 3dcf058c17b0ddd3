"""The evaluation in a real browser, in Dutch and English, with zero axe violations on every page:
a coordinator assigns, evaluators declare (one declares a conflict and is replaced) and score (two disagree
and are flagged), the coordinator records consensus, confirms the procurement route, decides and releases,
and the company reads its decision."""

from __future__ import annotations

import secrets

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from app.evaluations.models import Assignment
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE, build_scenario, second_coordinator

pytestmark = pytest.mark.browser

TEXT = {
    "nl": {
        "pool": "Aan de pool toevoegen",
        "auto": "Automatisch toewijzen",
        "declare": "Verklaren",
        "submit": "Beoordeling indienen",
        "flag": "Verschil van oordeel",
        "consensus": "Consensus vastleggen",
        "consensus_recorded": "De consensus is vastgelegd.",
        "prepare": "Besluit voorbereiden",
        "approve": "De besluiten goedkeuren als tweede coördinator",
        "approve_route": "De route goedkeuren als tweede coördinator",
        "release": "Alle besluiten bekendmaken en de bedrijven berichten",
        "release_confirm": "2 besluiten bekendmaken en de bedrijven berichten",
        "confirm": "Route bevestigen",
        "released": "bekendgemaakt",
    },
    "en": {
        "pool": "Add to the pool",
        "auto": "Assign automatically",
        "declare": "Declare",
        "submit": "Submit the evaluation",
        "flag": "Disagreement",
        "consensus": "Record the consensus",
        "consensus_recorded": "The consensus has been recorded.",
        "prepare": "Prepare the decision",
        "approve": "Approve the decisions as second coordinator",
        "approve_route": "Approve the route as second coordinator",
        "release": "Release all decisions and notify the companies",
        "release_confirm": "Release 2 decisions and notify the companies",
        "confirm": "Confirm the route",
        "released": "released",
    },
}


def _assignments(server: LiveServer, proposal_id: int) -> list[Assignment]:
    with server.db.session() as session:
        return list(
            session.scalars(select(Assignment).where(Assignment.proposal_id == proposal_id).order_by(Assignment.id))
        )


def _score(page: Page, assignment_id: int, scores: dict[str, int], text: dict[str, str]) -> None:
    page.goto(f"/evaluate/assignments/{assignment_id}")
    assert_accessible(page)
    page.locator("#has_conflict-none").check()
    page.get_by_role("button", name=text["declare"], exact=True).click()
    page.wait_for_url(f"**/evaluate/assignments/{assignment_id}")
    for key, value in scores.items():
        page.locator(f"#score_{key}-{value}").check()
        page.locator(f"#justification_{key}").fill(f"Onderbouwing {key} {value}.")
    page.locator("#assessed_trl").select_option("5")
    assert_accessible(page)
    page.get_by_role("button", name=text["submit"]).click()
    # Submitted: on to the evaluator's next step, the security assessment of the same proposal.
    page.wait_for_url(f"**/evaluate/assignments/{assignment_id}/security?done=scores")
    expect(page.locator("#scores-submitted")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_evaluation_journey(browser: Browser, server: LiveServer, language: str) -> None:
    text = TEXT[language]
    prefix = f"w{secrets.token_hex(3)}"
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=2, evaluators=3, prefix=prefix)
        approver = second_coordinator(session, s)
        session.expunge_all()
    server.clock.set(AFTER_DEADLINE)
    contexts: list[BrowserContext] = []
    try:
        coordinator = logged_in_context(browser, server, s.coordinator, language)
        contexts.append(coordinator)
        page = coordinator.new_page()
        page.goto(f"/manage/challenges/{s.challenge.slug}/evaluation")
        assert_accessible(page)
        page.goto(s.base + "/assignments")
        for evaluator in s.evaluators:
            page.locator("#pool_evaluator").select_option(str(evaluator.id))
            page.get_by_role("button", name=text["pool"]).click()
            page.wait_for_url(f"**{s.base}/assignments")
        page.locator("#per_proposal").fill("2")
        page.get_by_role("button", name=text["auto"], exact=True).click()
        page.wait_for_url(f"**{s.base}/assignments")
        assert_accessible(page)

        p0, p1 = s.proposals
        first, _second = _assignments(server, p0.id)
        by_id = {e.id: e for e in s.evaluators}
        # The first evaluator declares a conflict; the coordinator fills the place automatically.
        conflicted = logged_in_context(browser, server, by_id[first.evaluator_id], language)
        contexts.append(conflicted)
        evaluator_page = conflicted.new_page()
        evaluator_page.goto("/evaluate")
        assert_accessible(evaluator_page)
        evaluator_page.goto(f"/evaluate/assignments/{first.id}")
        evaluator_page.locator("#has_conflict-conflict").check()
        evaluator_page.locator("#reason").fill("Oud-werkgever.")
        evaluator_page.get_by_role("button", name=text["declare"], exact=True).click()
        evaluator_page.wait_for_url("**/evaluate")
        page.goto(s.base + "/assignments")
        page.locator("#per_proposal").fill("2")
        page.get_by_role("button", name=text["auto"], exact=True).click()
        page.wait_for_url(f"**{s.base}/assignments")
        active = [a for a in _assignments(server, p0.id) if a.status != "conflicted"]
        assert len(active) == 2 and first.evaluator_id not in {a.evaluator_id for a in active}

        # Two evaluators score proposal 0 and disagree on "effect".
        for assignment, scores in zip(active, ({"effect": 2, "safety": 2}, {"effect": 0, "safety": 2}), strict=True):
            context = logged_in_context(browser, server, by_id[assignment.evaluator_id], language)
            contexts.append(context)
            _score(context.new_page(), assignment.id, scores, text)
        last_scorer = contexts[-1]

        page.goto(s.base + "/results")
        expect(page.locator("strong.badge", has_text=text["flag"])).to_have_count(1)
        assert_accessible(page)
        page.goto(s.base + "/calibration")
        assert_accessible(page)
        for proposal, (effect, safety), outcome in ((p0, (1, 2), "award"), (p1, (1, 0), "reject")):
            page.goto(f"{s.base}/proposals/{proposal.id}")
            assert_accessible(page)
            page.locator(f"#score_effect-{effect + 1}").check()
            page.locator("#rationale_effect").fill("Besproken in het consensusoverleg.")
            page.locator(f"#score_safety-{safety + 1}").check()
            page.locator("#rationale_safety").fill("Besproken.")
            page.get_by_role("button", name=text["consensus"]).click()
            page.wait_for_url(f"**{s.base}/proposals/{proposal.id}?done=consensus")
            expect(page.get_by_role("status")).to_contain_text(text["consensus_recorded"])
            assert_accessible(page)
            page.locator(f"#outcome-{outcome}").check()
            page.locator("#feedback").fill(f"Terugkoppeling voor {proposal.reference}.")
            page.get_by_role("button", name=text["prepare"]).click()
            page.wait_for_url(f"**{s.base}/proposals/{proposal.id}")
        page.goto(f"/manage/challenges/{s.challenge.slug}/evaluation/route")
        assert_accessible(page)
        page.get_by_role("button", name=text["confirm"]).click()
        page.wait_for_url("**/evaluation/route")
        page.goto(s.base + "/decisions")
        assert_accessible(page)
        # Four eyes: the coordinator who prepared is told a second coordinator approves; that one does.
        expect(page.locator("#approval-preparer")).to_be_visible()
        expect(page.get_by_role("button", name=text["approve"])).to_have_count(0)
        second = logged_in_context(browser, server, approver, language)
        contexts.append(second)
        second_page = second.new_page()
        second_page.goto(s.base + "/decisions")
        assert_accessible(second_page)
        second_page.get_by_role("button", name=text["approve"]).click()
        second_page.wait_for_url(f"**{s.base}/decisions")
        expect(second_page.locator("#approval-record")).to_contain_text(approver.name)
        assert_accessible(second_page)
        second_page.goto(f"/manage/challenges/{s.challenge.slug}/evaluation/route")
        second_page.get_by_role("button", name=text["approve_route"]).click()
        second_page.wait_for_url("**/evaluation/route")
        expect(second_page.locator("#approval-record")).to_contain_text(approver.name)
        assert_accessible(second_page)
        page.goto(s.base + "/decisions")
        page.get_by_role("link", name=text["release"]).click()
        page.wait_for_url(f"**{s.base}/decisions/release")
        assert_accessible(page)
        page.get_by_role("button", name=text["release_confirm"]).click()
        page.wait_for_url(f"**{s.base}/decisions")
        expect(page.locator("tbody")).to_contain_text(text["released"])
        expect(page.locator("#release-record")).to_contain_text(s.coordinator.name)
        expect(page.locator("#release-record")).to_contain_text(approver.name)
        page.goto(s.base + "/assignments")  # released: a notice, and no forms that would change the stage
        expect(page.locator("#stage-released")).to_be_visible()
        assert_accessible(page)
        scorer = last_scorer.new_page()
        scorer.goto(f"/evaluate/assignments/{active[-1].id}")
        expect(scorer.locator("#stage-released")).to_be_visible()
        assert_accessible(scorer)
        assert_accessible(page)

        company = logged_in_context(browser, server, s.companies[0], language)
        contexts.append(company)
        company_page = company.new_page()
        company_page.goto(f"/proposals/{p0.id}/decision")
        expect(company_page.get_by_role("heading", level=1)).to_contain_text(p0.reference)
        expect(company_page.locator("main")).to_contain_text(f"Terugkoppeling voor {p0.reference}.")
        for evaluator in s.evaluators:
            expect(company_page.locator("main")).not_to_contain_text(evaluator.name)
        assert_accessible(company_page)
    finally:
        for context in contexts:
            context.close()
        server.clock.set(DEFAULT_NOW)
