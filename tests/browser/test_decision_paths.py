"""The decision half of the evaluation in a real browser, one journey per decision path, in Dutch and English,
with zero axe violations on every page visited.

Every journey runs on data as a real evaluation leaves it: a proposal knocked out by its safety score (the
criterion's minimum is 1 on the 0-2 scale), a strong disagreement (scores 2 and 0 on one criterion), an
evaluator who declared a conflict and was replaced, and security ratings either high (Article 346) or low
(ADV). What a journey is about is posted through the page itself (its buttons, Enter where a person presses
it); everything before that is made with the services. The ``server_errors`` fixture (conftest.py) fails a
journey when any response has status 500 or above.

Two steps other work is changing are helpers of their own, to adapt in one place: ``_mark_admissible``
(eligibility, where nothing will be pre-selected) and ``_release`` (release, which gets a confirmation page).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import select

from app.challenges.enums import CHALLENGE_MACHINE, ChallengeStatus
from app.challenges.models import Challenge
from app.evaluations.assignments import service as assignment_service
from app.evaluations.decisions import rules as decision_rules
from app.evaluations.enums import OUTCOME_LABELS
from app.evaluations.models import Decision, RouteDecision
from app.evaluations.pool import service as pool_service
from app.evaluations.results import rules as results_rules
from app.evaluations.results import service as results_service
from app.evaluations.route import rules as route
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import rules as scoring
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.security import service as security_service
from app.i18n import translate
from app.workspace.challenges.service import REASON_REQUIRED
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE, Scenario, actor, build_scenario, second_coordinator
from tests.factories import LINKS

pytestmark = pytest.mark.browser
LANGUAGES = ["nl", "en"]

# The test challenge with a minimum weighted total, as the seeded munitions challenge has.
KNOCKOUT_TOTAL_MINIMUM = 1.0
# Consensus per proposal, (effect, safety): P0 and P2 tie at 1.4 (the later of their references ranked second);
# P1 is knocked out twice: safety 0 is below the criterion's minimum of 1, its total 0.6 below 1.0.
CONSENSUS = ((1, 2), (1, 0), (1, 2))
CRITERIA = {"nl": ("Effect", "Veiligheid"), "en": ("Effect", "Safety")}  # the test challenge's, in order
HIGH = {"security_risks": "high", "policy_goals": "high", "armed_forces": "medium", "industrial_capabilities": "low"}
LOW = dict.fromkeys(HIGH, "low")


@dataclass
class DecisionData:
    s: Scenario
    conflicted: Any  # the evaluator who declared a conflict on the first proposal (and was replaced)
    approver: Any  # the second coordinator, who approves the decisions (four eyes)


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


def _evaluate(
    session: Any, s: Scenario, proposal: Any, evaluator: Any, scores: tuple[int, int], ratings: dict[str, str] | None
) -> None:
    """One evaluator assigned, declaring no conflict, scoring (effect, safety) and, when given, rating security."""
    now = AFTER_DEADLINE
    assignment = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=proposal.id,
        evaluator_id=evaluator.id,
        actor=actor(s.coordinator),
        now=now,
        links=LINKS,
    )
    opened = evaluator_service.open_assignment(session, assignment_id=assignment.id, user=evaluator, now=now)
    evaluator_service.declare(
        session, opened=opened, form=DeclarationForm(has_conflict=False), actor=actor(evaluator), now=now, links=LINKS
    )
    effect, safety = scores
    raw = {"effect": (str(effect), f"Effect {effect}, onderbouwd."), "safety": (str(safety), "Veiligheid, onderbouwd.")}
    evaluator_service.save_evaluation(
        session, opened=opened, raw=raw, assessed_trl="5", submit=True, actor=actor(evaluator), now=now
    )
    if ratings is not None:
        factors = {key: {"rating": rating, "justification": "Onderbouwd."} for key, rating in ratings.items()}
        security_service.save_assessment(
            session, opened=opened, factors=factors, submit=True, actor=actor(evaluator), now=now
        )


def _decision_data(
    server: LiveServer, *, security: dict[str, str], consensus: bool, two_stages: bool = False
) -> DecisionData:
    """Three proposals of the test challenge after the deadline, four evaluators A-D in the pool.

    P0: C declared a conflict and was replaced by D; A scored effect 2, D effect 0 (a range of 2: flagged).
    P1: A and B scored safety 0 (effect 1). P2: A and B agree. ``security`` is what P0's two evaluators rate;
    B rates every factor of P2 low. The route is advised per proposal: a factor rated high on P0 is high by 2
    of 2 there, while P2 has its own advice.
    ``consensus``: recorded for every proposal with the service (for the journeys not about consensus);
    ``two_stages``: the challenge has a second, invitation-only stage (for the shortlist)."""
    now = AFTER_DEADLINE
    with server.db.unit_of_work() as session:
        s = build_scenario(
            session,
            proposals=3,
            evaluators=4,
            prefix=f"d{secrets.token_hex(3)}",
            definition={"knockout_total_minimum": KNOCKOUT_TOTAL_MINIMUM},
            two_stages=two_stages,
        )
        a, b, c, d = s.evaluators
        p0, p1, p2 = s.proposals
        for evaluator in s.evaluators:
            pool_service.add_to_pool(
                session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=now
            )
        first = assignment_service.assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=p0.id,
            evaluator_id=c.id,
            actor=actor(s.coordinator),
            now=now,
            links=LINKS,
        )
        opened = evaluator_service.open_assignment(session, assignment_id=first.id, user=c, now=now)
        conflict = DeclarationForm(has_conflict=True, reason="Oud-werkgever van de indiener.")
        evaluator_service.declare(session, opened=opened, form=conflict, actor=actor(c), now=now, links=LINKS)
        _evaluate(session, s, p0, a, (2, 2), security)
        _evaluate(session, s, p0, d, (0, 2), security)
        _evaluate(session, s, p1, a, (1, 0), None)
        _evaluate(session, s, p1, b, (1, 0), None)
        _evaluate(session, s, p2, a, (1, 2), None)
        _evaluate(session, s, p2, b, (1, 2), LOW)
        if consensus:
            for proposal, (effect, safety) in zip(s.proposals, CONSENSUS, strict=True):
                results_service.record_consensus(
                    session,
                    challenge=s.challenge,
                    stage=s.stage,
                    proposal_id=proposal.id,
                    entries={"effect": (str(effect), "Besproken."), "safety": (str(safety), "Besproken.")},
                    actor=actor(s.coordinator),
                    now=now,
                )
        approver = second_coordinator(session, s)
        session.commit()
        session.expunge_all()
    return DecisionData(s, c, approver)


def _t(language: str, message: str, **params: object) -> str:
    return translate(language, message, **params)


def _visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response.status if response else None}"
    assert_accessible(page)


def _submit(page: Page, button: Locator, *, status: int = 303) -> None:
    """Click a form's button and wait for the page it leads to; the form's POST answered ``status``."""
    with page.expect_response(lambda r: r.request.method == "POST") as posted, page.expect_event("load"):
        button.click()
    assert posted.value.status == status, f"{posted.value.url} answered {posted.value.status}, not {status}"


def _form_with(page: Page, button: str) -> Locator:
    """The form whose submit button has this name (other forms and notices on the page do not matter)."""
    return page.locator("form").filter(has=page.get_by_role("button", name=button))


def _row(page: Page, reference: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("link", name=reference, exact=True))


def _expect_error_at(field: Locator, message: str) -> None:
    """The message is shown next to the field (in its own block) and the field is described by it."""
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field.locator("xpath=..")).to_contain_text(message)
    described = (field.get_attribute("aria-describedby") or "").split()
    assert described, "the field names no description"
    expect(field.page.locator(", ".join(f"#{name}" for name in described))).to_contain_text([message])


def _mark_admissible(page: Page, s: Scenario, proposal: Any, language: str) -> None:
    """The eligibility step: "admissible" chosen explicitly (nothing is to be pre-selected), then saved."""
    _visit(page, s.base + "/eligibility")
    card = page.get_by_role("region", name=re.compile(re.escape(proposal.reference)))
    card.get_by_role("radio", name=_t(language, "Admissible"), exact=True).check()
    save = _t(language, "Save the eligibility of %(reference)s", reference=proposal.reference)
    _submit(page, card.get_by_role("button", name=save))
    expect(card).to_contain_text(_t(language, "Current decision"))
    assert_accessible(page)


def _release(page: Page, s: Scenario, language: str) -> None:
    """The release step, from the decisions page. Today its button posts the release; with the confirmation
    page being added, the same name leads (link or button) to a GET page whose form posts it: both work here."""
    name = _t(language, "Release all decisions and notify the companies")
    release = s.base + "/decisions/release"
    with page.expect_response(lambda r: r.url.endswith(release)) as first, page.expect_event("load"):
        page.get_by_role("button", name=name).or_(page.get_by_role("link", name=name)).click()
    if first.value.request.method == "GET":  # the confirmation page: its form's button releases
        assert_accessible(page)
        _submit(page, page.locator(f"form[action$='{release}']").get_by_role("button").first)
    else:
        assert first.value.status == 303, f"the release was refused ({first.value.status})"


def _record_consensus(page: Page, scores: tuple[int, int], language: str) -> None:
    """On a proposal's page: a consensus score and rationale per criterion, recorded with the form's button."""
    form = _form_with(page, _t(language, "Record the consensus"))
    for title, score in zip(CRITERIA[language], scores, strict=True):
        group = form.get_by_role("group", name=re.compile(rf"^{re.escape(title)} \("))
        group.get_by_role("radio", name=re.compile(rf"^{score}:")).check()
        group.get_by_role("textbox").first.fill(f"{title}: {score}, besproken in het consensusoverleg.")
    _submit(page, form.get_by_role("button", name=_t(language, "Record the consensus")))
    assert_accessible(page)


def _prepare_decision(page: Page, s: Scenario, proposal: Any, outcome: str, language: str) -> None:
    """On a proposal's page: the outcome and the feedback to the company, prepared with the form's button."""
    _visit(page, f"{s.base}/proposals/{proposal.id}")
    form = _form_with(page, _t(language, "Prepare the decision"))
    form.get_by_role("radio", name=_t(language, OUTCOME_LABELS[outcome]), exact=True).check()
    form.get_by_role("textbox").first.fill(f"Terugkoppeling voor {proposal.reference}.")
    _submit(page, form.get_by_role("button", name=_t(language, "Prepare the decision")))
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_results_consensus_and_decisions_with_a_knocked_out_proposal(
    browser: Browser, server: LiveServer, after_deadline: None, contexts: list[BrowserContext], language: str
) -> None:
    data = _decision_data(server, security=HIGH, consensus=False)
    s = data.s
    p0, p1, p2 = s.proposals
    coordinator = logged_in_context(browser, server, s.coordinator, language)
    contexts.append(coordinator)
    page = coordinator.new_page()
    for proposal in s.proposals:
        _mark_admissible(page, s, proposal, language)

    # The strong disagreement is flagged before consensus; the threshold is applied with Enter.
    _visit(page, s.base + "/results")
    expect(_row(page, p0.reference)).to_contain_text(_t(language, "Consensus required: the evaluators disagree."))
    threshold = page.get_by_label(_t(language, "Disagreement threshold (range of scores on one criterion)"))
    threshold.fill("2")
    threshold.press("Enter")
    page.wait_for_url(re.compile(r"[?&]threshold=2"))
    ranking = page.get_by_role("table", name=_t(language, "Ranking"))
    expect(ranking.get_by_text(_t(language, "Disagreement"), exact=True)).to_have_count(1)
    expect(_row(page, p0.reference).get_by_text(_t(language, "Disagreement"), exact=True)).to_have_count(1)
    assert_accessible(page)

    # Consensus through each proposal's page; the replaced evaluator's conflict is shown on the first.
    for proposal, scores in zip(s.proposals, CONSENSUS, strict=True):
        _visit(page, f"{s.base}/proposals/{proposal.id}")
        if proposal is p0:
            conflicted = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=data.conflicted.name))
            expect(conflicted).to_contain_text(_t(language, "conflict: reassign"))
        _record_consensus(page, scores, language)

    # The knocked-out proposal is listed, with its reason, after the ranked ones.
    _visit(page, s.base + "/results")
    safety = CRITERIA[language][1]
    below_minimum = _t(language, scoring.MSG_BELOW_CRITERION_MINIMUM, criterion=safety, score=0, minimum=1)
    below_total = _t(language, scoring.MSG_BELOW_TOTAL_MINIMUM, total="0.60", minimum=KNOCKOUT_TOTAL_MINIMUM)
    expect(_row(page, p1.reference)).to_contain_text(below_minimum)
    expect(_row(page, p1.reference)).to_contain_text(below_total)
    first, second = sorted((p0, p2), key=lambda p: p.reference)  # a tie: the later (random) reference goes second
    expect(_row(page, second.reference)).to_contain_text(_t(language, results_rules.MSG_TIE_REFERENCE))
    expect(page.get_by_text(_t(language, "Consensus required: the evaluators disagree."))).to_have_count(0)
    rows = page.get_by_role("table", name=_t(language, "Ranking")).get_by_role("link").all_inner_texts()
    assert rows == [first.reference, second.reference, p1.reference]

    # The knocked-out proposal cannot be awarded: refused with the reason, next to the outcome.
    _visit(page, f"{s.base}/proposals/{p1.id}")
    form = _form_with(page, _t(language, "Prepare the decision"))
    form.get_by_role("radio", name=_t(language, OUTCOME_LABELS["award"]), exact=True).check()
    form.get_by_role("textbox").first.fill("Gegund.")
    _submit(page, form.get_by_role("button", name=_t(language, "Prepare the decision")), status=422)
    expect(page.locator("#outcome")).to_contain_text(
        _t(language, decision_rules.MSG_KNOCKED_OUT, reference=p1.reference)
    )
    assert_accessible(page)

    # Decisions prepared per proposal, approved by a second coordinator and released together.
    for proposal, outcome in ((p0, "award"), (p1, "reject"), (p2, "reject")):
        _prepare_decision(page, s, proposal, outcome, language)
    _visit(page, s.base + "/decisions")
    expect(page.locator("#approval-preparer")).to_be_visible()
    second = logged_in_context(browser, server, data.approver, language)
    contexts.append(second)
    second_page = second.new_page()
    _visit(second_page, s.base + "/decisions")
    _submit(
        second_page, second_page.get_by_role("button", name=_t(language, "Approve the decisions as second coordinator"))
    )
    expect(_row(second_page, p1.reference)).to_contain_text(_t(language, "approved"))
    assert_accessible(second_page)
    _release(page, s, language)
    _visit(page, s.base + "/decisions")
    for proposal in s.proposals:
        expect(_row(page, proposal.reference)).to_contain_text(_t(language, "released"))
    with server.db.session() as session:
        released = session.scalars(select(Decision).where(Decision.proposal_id.in_([p.id for p in s.proposals])))
        assert sorted((d.proposal_id, d.outcome, d.status) for d in released) == [
            (p0.id, "award", "released"),
            (p1.id, "reject", "released"),
            (p2.id, "reject", "released"),
        ]

    # The knocked-out company reads its decision: outcome, consensus and feedback, never an evaluator's name.
    company = logged_in_context(browser, server, s.companies[1], language)
    contexts.append(company)
    company_page = company.new_page()
    _visit(company_page, f"/proposals/{p1.id}/decision")
    main = company_page.locator("main")
    expect(company_page.get_by_role("heading", level=1)).to_contain_text(p1.reference)
    expect(main).to_contain_text(_t(language, OUTCOME_LABELS["reject"]))
    expect(main).to_contain_text(f"{safety}: 0, besproken in het consensusoverleg.")
    expect(main).to_contain_text(f"Terugkoppeling voor {p1.reference}.")
    for evaluator in s.evaluators:
        expect(main).not_to_contain_text(evaluator.name)


def _route_form(page: Page, language: str) -> Locator:
    return _form_with(page, _t(language, "Confirm the route"))


def _route_choice(page: Page, chosen: route.ProcurementRoute, language: str) -> Locator:
    label = _t(language, route.ROUTE_LABELS[chosen])
    return _route_form(page, language).get_by_role("radio", name=re.compile(rf"^{re.escape(label)}"))


def _route_decision(server: LiveServer, s: Scenario) -> RouteDecision | None:
    with server.db.session() as session:
        challenge_id = session.scalar(select(Challenge.id).where(Challenge.slug == s.challenge.slug))
        return session.get(RouteDecision, challenge_id)


@pytest.mark.parametrize("language", LANGUAGES)
def test_route_with_security_rated_high_recommends_article_346_confirmed_through_the_form(
    browser: Browser, server: LiveServer, after_deadline: None, contexts: list[BrowserContext], language: str
) -> None:
    s = _decision_data(server, security=HIGH, consensus=True).s
    coordinator = logged_in_context(browser, server, s.coordinator, language)
    contexts.append(coordinator)
    page = coordinator.new_page()
    _visit(page, f"/manage/challenges/{s.challenge.slug}/evaluation/route")
    article_346 = _t(language, route.ROUTE_LABELS[route.ProcurementRoute.ARTICLE_346])
    recommendation = _t(language, "Route for the challenge")
    recommendation_label = _t(language, "Recommendation")
    expect(page.get_by_role("heading", level=2, name=f"{recommendation}: {article_346}")).to_be_visible()
    main = page.locator("main")
    for factor in (route.SecurityFactor.SECURITY_RISKS, route.SecurityFactor.POLICY_GOALS):
        label = _t(language, route.FACTOR_LABELS[factor])
        expect(main).to_contain_text(_t(language, route.MSG_FACTOR_HIGH, factor=label, count=2, total=2))
    expect(main).to_contain_text(_t(language, route.MSG_346_DOSSIER))
    adv = _t(language, route.ROUTE_LABELS[route.ProcurementRoute.ADV])
    expect(page.locator(f"#advice-{s.proposals[2].id}")).to_contain_text(f"{recommendation_label}: {adv}")
    expect(page.locator(f"#advice-{s.proposals[0].id}")).to_contain_text(f"{recommendation_label}: {article_346}")

    choice = _route_choice(page, route.ProcurementRoute.ARTICLE_346, language)
    expect(choice).to_have_accessible_name(f"{article_346} ({_t(language, 'recommended')})")
    choice.check()
    _submit(page, _route_form(page, language).get_by_role("button", name=_t(language, "Confirm the route")))
    expect(main).to_contain_text(f"{_t(language, 'Chosen route')}: {article_346}")
    # Four eyes: the confirmed route awaits a second coordinator; the one who confirmed it is told so.
    expect(page.locator("#approval-record")).to_contain_text(_t(language, "awaiting approval by a second coordinator"))
    expect(page.locator("#approval-preparer")).to_be_visible()
    assert_accessible(page)
    decision = _route_decision(server, s)
    assert decision is not None
    assert (decision.recommended, decision.chosen, decision.reason) == ("article_346", "article_346", "")


@pytest.mark.parametrize("language", LANGUAGES)
def test_route_with_security_rated_low_recommends_adv_and_an_override_needs_a_reason(
    browser: Browser, server: LiveServer, after_deadline: None, contexts: list[BrowserContext], language: str
) -> None:
    s = _decision_data(server, security=LOW, consensus=True).s
    coordinator = logged_in_context(browser, server, s.coordinator, language)
    contexts.append(coordinator)
    page = coordinator.new_page()
    _visit(page, f"/manage/challenges/{s.challenge.slug}/evaluation/route")
    adv = _t(language, route.ROUTE_LABELS[route.ProcurementRoute.ADV])
    recommendation = _t(language, "Route for the challenge")
    expect(page.get_by_role("heading", level=2, name=f"{recommendation}: {adv}")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text(_t(language, route.MSG_NO_FACTOR_HIGH))
    expect(_route_choice(page, route.ProcurementRoute.ADV, language)).to_have_accessible_name(
        f"{adv} ({_t(language, 'recommended')})"
    )

    # Another route without a reason is refused, with the message at the reason; the choice is kept.
    _route_choice(page, route.ProcurementRoute.ARTICLE_346, language).check()
    reason = _route_form(page, language).get_by_role("textbox").first
    reason.fill("")
    _submit(page, _route_form(page, language).get_by_role("button", name=_t(language, "Confirm the route")), status=422)
    reason = _route_form(page, language).get_by_role("textbox").first
    _expect_error_at(reason, _t(language, "Give the reason for choosing another route than the one recommended."))
    expect(_route_choice(page, route.ProcurementRoute.ARTICLE_346, language)).to_be_checked()
    assert_accessible(page)
    assert _route_decision(server, s) is None

    # With a reason the override is kept, and shown with it.
    text = "Vitale nationale veiligheidsbelangen: de leverancier krijgt toegang tot gerubriceerde gegevens."
    reason.fill(text)
    _submit(page, _route_form(page, language).get_by_role("button", name=_t(language, "Confirm the route")))
    article_346 = _t(language, route.ROUTE_LABELS[route.ProcurementRoute.ARTICLE_346])
    expect(main).to_contain_text(f"{_t(language, 'Chosen route')}: {article_346}")
    expect(main).to_contain_text(text)
    assert_accessible(page)
    decision = _route_decision(server, s)
    assert decision is not None
    assert (decision.recommended, decision.chosen, decision.reason) == ("adv", "article_346", text)


@pytest.mark.parametrize("language", LANGUAGES)
def test_challenge_cancelled_through_the_status_form_only_with_a_reason(
    browser: Browser, server: LiveServer, after_deadline: None, contexts: list[BrowserContext], language: str
) -> None:
    s = _decision_data(server, security=LOW, consensus=True).s
    coordinator = logged_in_context(browser, server, s.coordinator, language)
    contexts.append(coordinator)
    page = coordinator.new_page()
    _visit(page, f"/manage/challenges/{s.challenge.slug}")
    change = _t(language, "Change the status")
    cancelled = _t(language, CHALLENGE_MACHINE.label(ChallengeStatus.CANCELLED))

    _form_with(page, change).get_by_label(_t(language, "New status")).select_option(label=cancelled)
    _submit(page, _form_with(page, change).get_by_role("button", name=change), status=422)
    reason = _form_with(page, change).get_by_role("textbox").first
    _expect_error_at(reason, _t(language, REASON_REQUIRED))
    expect(_form_with(page, change).get_by_label(_t(language, "New status"))).to_have_value("cancelled")
    assert_accessible(page)
    with server.db.session() as session:
        assert session.scalar(select(Challenge.status).where(Challenge.id == s.challenge.id)) == "published"

    reason.fill("Het budget is vervallen.")
    _submit(page, _form_with(page, change).get_by_role("button", name=change))
    expect(page.get_by_text(f"{_t(language, 'Status')}: {cancelled}", exact=True)).to_be_visible()
    expect(page.locator("main")).to_contain_text("Het budget is vervallen.")
    assert_accessible(page)
    with server.db.session() as session:
        challenge = session.get(Challenge, s.challenge.id)
        assert challenge is not None
        assert (challenge.status, challenge.status_reason) == ("cancelled", "Het budget is vervallen.")
