"""The shortlist path of the decision half in a real browser, in Dutch and English, with zero axe violations on
every page: on a two-stage challenge with a knocked-out proposal, a strong disagreement, a conflict and high and
low security ratings (the data of test_decision_paths.py), the coordinator shortlists from the decisions page
(typing the number and pressing Enter, as a person does), decides the knocked-out proposal by its own page, a
second coordinator approves, the decisions are released after their confirmation page, and the shortlisted
companies are invited to the next stage with the page's button. The knocked-out proposal is never shortlisted
nor invited; an invited company finds its new draft for the next stage. The ``server_errors`` fixture
(conftest.py) fails the journey when any response has status 500 or above."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, BrowserContext, expect
from sqlalchemy import select

from app.challenges.models import ChallengeStage
from app.evaluations.enums import OUTCOME_LABELS
from app.evaluations.models import Decision
from app.proposals.models import Proposal
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.browser.test_decision_paths import (
    HIGH,
    LANGUAGES,
    _decision_data,
    _mark_admissible,
    _prepare_decision,
    _release,
    _row,
    _submit,
    _t,
    _visit,
)
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE

pytestmark = pytest.mark.browser
NEXT_STAGE = {"nl": "Volledig voorstel", "en": "Full proposal"}  # the second stage of build_scenario(two_stages=True)


@pytest.fixture
def after_deadline(server: LiveServer) -> Iterator[None]:
    server.clock.set(AFTER_DEADLINE)
    yield
    server.clock.set(DEFAULT_NOW)


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


@pytest.mark.parametrize("language", LANGUAGES)
def test_shortlist_with_a_knocked_out_proposal_release_and_invitation_to_the_next_stage(
    browser: Browser, server: LiveServer, after_deadline: None, contexts: list[BrowserContext], language: str
) -> None:
    data = _decision_data(server, security=HIGH, consensus=True, two_stages=True)
    s = data.s
    p0, p1, p2 = s.proposals
    coordinator = logged_in_context(browser, server, s.coordinator, language)
    contexts.append(coordinator)
    page = coordinator.new_page()
    for proposal in s.proposals:
        _mark_admissible(page, s, proposal, language)

    # Three asked for, two ranked: the knocked-out proposal is not shortlisted. Enter in the number submits.
    _visit(page, s.base + "/decisions")
    feedback = "U bent door naar de volledige uitwerking."
    page.get_by_label(_t(language, "Feedback for the shortlisted companies (you can change it per proposal)")).fill(
        feedback
    )
    top = page.get_by_label(_t(language, "Number of best-ranked proposals to shortlist"))
    top.fill("3")
    with page.expect_response(lambda r: r.request.method == "POST") as posted, page.expect_event("load"):
        top.press("Enter")
    assert posted.value.status == 303, f"{posted.value.url} answered {posted.value.status}"
    expect(page).to_have_url(re.compile(rf"{re.escape(s.base)}/decisions$"))
    assert_accessible(page)
    invite = _t(language, OUTCOME_LABELS["invite"])
    for proposal in (p0, p2):
        expect(_row(page, proposal.reference)).to_contain_text(invite)
    expect(_row(page, p1.reference)).to_contain_text(_t(language, "not prepared"))
    with server.db.session() as session:
        prepared = session.scalars(select(Decision).where(Decision.proposal_id.in_([p.id for p in s.proposals])))
        assert sorted((d.proposal_id, d.outcome, d.feedback) for d in prepared) == [
            (p0.id, "invite", feedback),
            (p2.id, "invite", feedback),
        ]

    # The knocked-out proposal is decided on its own page; a second coordinator approves; the release follows.
    _prepare_decision(page, s, p1, "reject", language)
    second = logged_in_context(browser, server, data.approver, language)
    contexts.append(second)
    second_page = second.new_page()
    _visit(second_page, s.base + "/decisions")
    approve = _t(language, "Approve the decisions as second coordinator")
    _submit(second_page, second_page.get_by_role("button", name=approve))
    assert_accessible(second_page)
    _visit(page, s.base + "/decisions")
    _release(page, s, language)
    _visit(page, s.base + "/decisions")
    for proposal in s.proposals:
        expect(_row(page, proposal.reference)).to_contain_text(_t(language, "released"))

    # The invitation, with the page's button: only the shortlisted companies, each once.
    _submit(page, page.get_by_role("button", name=_t(language, "Invite the shortlisted companies to the next stage")))
    assert_accessible(page)
    invited_text = _t(language, "invited to the next stage")
    for proposal in (p0, p2):
        expect(_row(page, proposal.reference)).to_contain_text(invited_text)
    expect(_row(page, p1.reference)).not_to_contain_text(invited_text)
    with server.db.session() as session:
        invited = {
            p.organisation_id: p
            for p in session.scalars(
                select(Proposal).where(Proposal.challenge_id == s.challenge.id, Proposal.invited_at.is_not(None))
            )
        }
        assert set(invited) == {s.organisations[0].id, s.organisations[2].id}
        assert {p.status for p in invited.values()} == {"draft"}
        next_stage = session.scalars(
            select(ChallengeStage.id).where(ChallengeStage.challenge_id == s.challenge.id, ChallengeStage.key == "full")
        ).one()
        assert {p.stage_id for p in invited.values()} == {next_stage}
        new = invited[s.organisations[0].id]
        new_id, new_reference = new.id, new.reference

    # The invited company finds its new draft among its proposals and opens it; the knocked-out one has none.
    company = logged_in_context(browser, server, s.companies[0], language)
    contexts.append(company)
    company_page = company.new_page()
    _visit(company_page, "/proposals")
    company_page.get_by_role("link", name=new_reference, exact=True).click()
    company_page.wait_for_url(f"**/proposals/{new_id}")
    expect(company_page.get_by_role("heading", level=1)).to_contain_text(new_reference)
    expect(company_page.locator("main .lead")).to_contain_text(NEXT_STAGE[language])
    assert_accessible(company_page)
    other = logged_in_context(browser, server, s.companies[1], language)
    contexts.append(other)
    other_page = other.new_page()
    _visit(other_page, "/proposals")
    expect(other_page.locator("main tbody tr")).to_have_count(1)
