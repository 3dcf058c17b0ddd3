"""Decisions bind: a positive decision needs a consensus score on every criterion and passes the knock-outs;
a stage's decision set and the procurement route are approved by a second coordinator, never the one who
prepared them; release waits for the approval and for a decision on every proposal; a change after approval
withdraws it. Through the services and over HTTP, with the pages in each state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges.models import ChallengeCoordinator
from app.clock import FrozenClock
from app.errors import NotPermitted, ValidationFailed
from app.evaluations.approvals import service as approval_service
from app.evaluations.decisions import rules as decision_rules
from app.evaluations.decisions import service as decision_service
from app.evaluations.enums import DecisionOutcome
from app.evaluations.models import Decision, DecisionSet, RouteDecision
from app.evaluations.results import service as results_service
from app.evaluations.results.rules import EvaluationPolicy
from app.evaluations.schemas import DecisionForm
from app.i18n import translate
from tests.evaluations.helpers import (
    RECEIVED,
    Scenario,
    actor,
    after_deadline,
    approve,
    build_scenario,
    post,
    second_coordinator,
)
from tests.factories import LINKS, create_user, log_in

ORIGIN = ""  # url_for in the templates writes paths, never the Host header
AWAITING_NL = "wacht op goedkeuring door een tweede coördinator"


def _consensus(session: Session, s: Scenario, proposal: Any, now: datetime, *, effect: int, safety: int) -> None:
    results_service.record_consensus(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=proposal.id,
        entries={"effect": (str(effect), "Samen besproken."), "safety": (str(safety), "Samen besproken.")},
        actor=actor(s.coordinator),
        now=now,
    )


def _prepare(session: Session, s: Scenario, proposal: Any, outcome: DecisionOutcome, now: datetime) -> Decision:
    return decision_service.prepare_decision(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=proposal.id,
        form=DecisionForm(outcome=outcome, feedback=f"Terugkoppeling {outcome.value}."),
        actor=actor(s.coordinator),
        now=now,
    )


def _prepared(session: Session, clock: FrozenClock, *, proposals: int = 2) -> Scenario:
    """Consensus on every proposal (all pass), the first awarded and the others rejected by the coordinator."""
    s = build_scenario(session, proposals=proposals, evaluators=1)
    after_deadline(clock)
    for index, proposal in enumerate(s.proposals):
        _consensus(session, s, proposal, clock.now(), effect=2, safety=1)
        _prepare(session, s, proposal, DecisionOutcome.AWARD if index == 0 else DecisionOutcome.REJECT, clock.now())
    session.commit()
    return s


def _release(session: Session, s: Scenario, now: datetime, by: Any = None) -> int:
    return decision_service.release_decisions(
        session,
        challenge=s.challenge,
        stage=s.stage,
        actor=actor(by or s.coordinator),
        now=now,
        policy=EvaluationPolicy(),
        links=LINKS,
    )


def _messages(failed: ValidationFailed, language: str = "en") -> list[str]:
    return [translate(language, e.message, **e.params) for e in failed.errors]


# --- decisions bind ----------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["award", "invite"])
def test_positive_decision_refused_without_a_consensus_score(
    client: TestClient, session: Session, clock: FrozenClock, outcome: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1, two_stages=True)
    after_deadline(clock)
    proposal = s.proposals[0]
    with pytest.raises(ValidationFailed) as refused:
        _prepare(session, s, proposal, DecisionOutcome(outcome), clock.now())
    assert refused.value.errors[0].message == decision_rules.MSG_NO_CONSENSUS
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"{s.base}/proposals/{proposal.id}/decision", {"outcome": outcome, "feedback": "Door."})
    assert response.status_code == 422
    expected = (
        f"{proposal.reference} kan niet worden gegund of uitgenodigd voor de volgende fase: "
        "het heeft nog niet op elk criterium een consensusscore."
    )
    assert expected in response.text
    assert session.get(Decision, proposal.id) is None
    # A negative decision needs no consensus.
    rejected = post(client, f"{s.base}/proposals/{proposal.id}/decision", {"outcome": "reject", "feedback": "Nee."})
    assert rejected.status_code == 303


def test_award_refused_for_a_proposal_that_fails_a_knock_out(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    proposal = s.proposals[0]
    _consensus(session, s, proposal, clock.now(), effect=2, safety=0)  # safety below its minimum of 1
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())
    client.cookies.set("portal_lang", "en")
    response = post(client, f"{s.base}/proposals/{proposal.id}/decision", {"outcome": "award", "feedback": "Ja."})
    assert response.status_code == 422
    assert f"{proposal.reference} cannot be awarded or invited to the next stage: it fails a knock-out rule." in (
        response.text
    )
    assert session.get(Decision, proposal.id) is None


def test_a_consensus_change_after_approval_that_knocks_out_the_award_blocks_release(
    session: Session, clock: FrozenClock
) -> None:
    s = _prepared(session, clock)
    approve(session, s, clock.now())
    _consensus(session, s, s.proposals[0], clock.now(), effect=2, safety=0)
    with pytest.raises(ValidationFailed) as refused:
        _release(session, s, clock.now())
    assert _messages(refused.value) == [
        f"{s.proposals[0].reference} cannot be awarded or invited to the next stage: it fails a knock-out rule."
    ]
    assert [d.status for d in session.scalars(select(Decision).order_by(Decision.proposal_id))] == ["reviewed"] * 2


def test_approval_and_release_refused_while_proposals_have_no_decision(session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=3, evaluators=1)
    after_deadline(clock)
    _prepare(session, s, s.proposals[0], DecisionOutcome.REJECT, clock.now())
    missing = f"{s.proposals[1].reference}, {s.proposals[2].reference}"
    expected = f"2 of the 3 proposals of this stage have no decision yet: {missing}."
    with pytest.raises(ValidationFailed) as refused:
        approve(session, s, clock.now())
    assert _messages(refused.value) == [expected]
    with pytest.raises(ValidationFailed) as refused:
        _release(session, s, clock.now())
    assert _messages(refused.value) == [expected, "The decisions have not been approved by a second coordinator."]


# --- four eyes on the decision set: the services -----------------------------------------------------


def test_release_refused_until_a_second_coordinator_approves(session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    with pytest.raises(ValidationFailed) as refused:
        _release(session, s, clock.now())
    assert _messages(refused.value) == ["The decisions have not been approved by a second coordinator."]
    assert approve(session, s, clock.now()) == 2
    assert _release(session, s, clock.now()) == 2
    decision_set = session.get_one(DecisionSet, s.stage.id)
    assert decision_set.status == "released"
    assert decision_set.approved_by_id == s.extra["approver"].id


def test_the_preparer_cannot_approve(session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    with pytest.raises(NotPermitted) as refused:
        approval_service.approve_decisions(
            session,
            challenge=s.challenge,
            stage=s.stage,
            actor=actor(s.coordinator),
            now=clock.now(),
            policy=EvaluationPolicy(),
        )
    assert refused.value.message == approval_service.MSG_PREPARER
    decision_set = session.get_one(DecisionSet, s.stage.id)
    assert (decision_set.status, decision_set.approved_by_id) == ("prepared", None)


def test_one_who_prepared_any_decision_of_the_set_cannot_approve(session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    second = second_coordinator(session, s)
    decision_service.prepare_decision(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[1].id,
        form=DecisionForm(outcome=DecisionOutcome.REJECT, feedback="Anders verwoord."),
        actor=actor(second),
        now=clock.now(),
    )
    for person in (s.coordinator, second):
        with pytest.raises(NotPermitted):
            approval_service.approve_decisions(
                session,
                challenge=s.challenge,
                stage=s.stage,
                actor=actor(person),
                now=clock.now(),
                policy=EvaluationPolicy(),
            )
    third = create_user(session, email="derde@mindef.example", name="Derde Coördinator", roles=("coordinator",))
    session.add(ChallengeCoordinator(challenge_id=s.challenge.id, user_id=third.id, assigned_at=RECEIVED))
    count = approval_service.approve_decisions(
        session, challenge=s.challenge, stage=s.stage, actor=actor(third), now=clock.now(), policy=EvaluationPolicy()
    )
    assert count == 2


@pytest.mark.parametrize("who", ["administrator", "coordinator_elsewhere", "evaluator"])
def test_only_a_coordinator_of_the_challenge_approves(session: Session, clock: FrozenClock, who: str) -> None:
    s = _prepared(session, clock)
    roles = {"administrator": ("administrator",), "coordinator_elsewhere": ("coordinator",)}.get(who, ("evaluator",))
    person = create_user(session, email=f"{who}@mindef.example", name=who, roles=roles)
    with pytest.raises(NotPermitted) as refused:
        approval_service.approve_decisions(
            session,
            challenge=s.challenge,
            stage=s.stage,
            actor=actor(person),
            now=clock.now(),
            policy=EvaluationPolicy(),
        )
    assert refused.value.message == approval_service.MSG_NOT_COORDINATOR


def test_a_change_after_approval_withdraws_the_approval(session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    approve(session, s, clock.now())
    approved = session.get_one(Decision, s.proposals[1].id)
    assert (approved.status, approved.reviewed_by_id) == ("reviewed", s.extra["approver"].id)
    _prepare(session, s, s.proposals[1], DecisionOutcome.REJECT, clock.now())  # the feedback changes
    decision_set = session.get_one(DecisionSet, s.stage.id)
    assert (decision_set.status, decision_set.approved_by_id, decision_set.approved_at) == ("prepared", None, None)
    statuses = [(d.status, d.reviewed_by_id) for d in session.scalars(select(Decision).order_by(Decision.proposal_id))]
    assert statuses == [("prepared", None), ("prepared", None)]
    withdrawn = session.scalars(select(AuditEvent).where(AuditEvent.action == "decision_set.approval_withdrawn")).one()
    assert withdrawn.data["approved_by"] == s.extra["approver"].name
    assert withdrawn.data["changed_proposal_id"] == s.proposals[1].id
    with pytest.raises(ValidationFailed):
        _release(session, s, clock.now())
    approve(session, s, clock.now())
    assert _release(session, s, clock.now()) == 2


def test_both_names_are_in_the_audit_trail(session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    approve(session, s, clock.now())
    _release(session, s, clock.now())
    prepared = session.scalars(
        select(AuditEvent.actor_id).where(AuditEvent.action == "decision.prepare").distinct()
    ).all()
    assert prepared == [s.coordinator.id]
    approval = session.scalars(select(AuditEvent).where(AuditEvent.action == "decision_set.approve")).one()
    assert approval.actor_id == s.extra["approver"].id
    assert approval.object_type == "challenge_stage" and approval.object_id == str(s.stage.id)
    assert approval.data["prepared_by"] == [s.coordinator.name]
    assert approval.data["approved_by"] == s.extra["approver"].name
    assert approval.data["decisions"] == {s.proposals[0].reference: "award", s.proposals[1].reference: "reject"}
    release = session.scalars(select(AuditEvent).where(AuditEvent.action == "decision.release")).one()
    assert (release.data["prepared_by"], release.data["approved_by"]) == (
        [s.coordinator.name],
        s.extra["approver"].name,
    )


# --- four eyes on the decision set: the pages --------------------------------------------------------


def _approve_form(s: Scenario) -> str:
    return f'action="{ORIGIN}{s.base}/decisions/approve"'


def test_decisions_page_in_each_state(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    second = second_coordinator(session, s)
    when = clock.now()

    # Prepared: the preparer is told why there is no button; the second coordinator gets it.
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/decisions").text
    assert AWAITING_NL in page
    assert f"Voorbereid door {s.coordinator.name}" in page
    assert _approve_form(s) not in page
    assert "U hebt besluiten van deze set voorbereid: een tweede coördinator moet ze goedkeuren." in page
    log_in(client, session, second, now=clock.now())
    page = client.get(f"{s.base}/decisions").text
    assert _approve_form(s) in page
    assert ">De besluiten goedkeuren als tweede coördinator</button>" in page

    # Approved, through the page's form.
    assert post(client, f"{s.base}/decisions/approve").status_code == 303
    from app.formatting import format_local_datetime

    page = client.get(f"{s.base}/decisions").text
    assert f"Goedgekeurd door {second.name} op {format_local_datetime(when, 'nl')}." in page
    assert f"Voorbereid door {s.coordinator.name}" in page
    assert _approve_form(s) not in page
    assert "Goedkeuring: <strong>goedgekeurd</strong>" in page
    log_in(client, session, s.coordinator, now=clock.now())
    assert "Goedkeuring: <strong>goedgekeurd</strong>" in client.get(f"{s.base}/decisions").text

    # Released: the release record names who prepared and who approved.
    assert post(client, f"{s.base}/decisions/release").status_code == 303
    page = client.get(f"{s.base}/decisions").text
    assert "Goedkeuring: <strong>bekendgemaakt</strong>" in page
    assert f"Voorbereid door {s.coordinator.name}; goedgekeurd door {second.name}." in page
    assert _approve_form(s) not in page
    client.cookies.set("portal_lang", "en")
    english = client.get(f"{s.base}/decisions/release").text
    assert f"Prepared by {s.coordinator.name}; approved by {second.name}." in english


def test_the_preparer_posting_the_approval_is_refused(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"{s.base}/decisions/approve")
    assert response.status_code == 403
    assert "U hebt besluiten van deze set voorbereid: een tweede coördinator moet ze goedkeuren." in response.text
    assert session.get_one(DecisionSet, s.stage.id).status == "prepared"
    refused = post(client, f"{s.base}/decisions/release")
    assert refused.status_code == 422
    assert "De besluiten zijn nog niet goedgekeurd door een tweede coördinator." in refused.text


@pytest.mark.parametrize("who", ["evaluator", "coordinator_elsewhere"])
def test_approval_by_someone_outside_the_challenge_is_not_found(
    client: TestClient, session: Session, clock: FrozenClock, who: str
) -> None:
    s = _prepared(session, clock)
    if who == "evaluator":
        person = s.evaluators[0]
    else:
        other = build_scenario(session, proposals=1, evaluators=0, prefix="elders")
        person = other.coordinator
    log_in(client, session, person, now=clock.now())
    assert post(client, f"{s.base}/decisions/approve").status_code == 404
    assert session.get_one(DecisionSet, s.stage.id).status == "prepared"


# --- four eyes on the procurement route -------------------------------------------------------------


def _route(s: Scenario) -> str:
    return f"/manage/challenges/{s.challenge.slug}/evaluation/route"


def test_route_page_in_each_state_and_the_confirmer_cannot_approve(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _prepared(session, clock)
    second = second_coordinator(session, s)
    log_in(client, session, s.coordinator, now=clock.now())
    assert post(client, _route(s), {"chosen": "article_346", "reason": "Nationale veiligheid."}).status_code == 303
    route = session.get_one(RouteDecision, s.challenge.id)
    assert (route.status, route.decided_by_id, route.approved_by_id) == ("confirmed", s.coordinator.id, None)
    approve_action = f'action="{ORIGIN}{_route(s)}/approve"'

    # Confirmed: the one who confirmed sees why there is no button, and is refused when posting anyway.
    page = client.get(_route(s)).text
    assert AWAITING_NL in page and f"Voorbereid door {s.coordinator.name}" in page
    assert approve_action not in page
    assert "U hebt deze route bevestigd: een tweede coördinator moet haar goedkeuren." in page
    refused = post(client, _route(s) + "/approve")
    assert refused.status_code == 403
    assert "U hebt deze route bevestigd: een tweede coördinator moet haar goedkeuren." in refused.text
    session.refresh(route)
    assert route.status == "confirmed"

    # Approved by the second coordinator; both names on the page and in the audit trail.
    log_in(client, session, second, now=clock.now())
    assert approve_action in client.get(_route(s)).text
    assert post(client, _route(s) + "/approve").status_code == 303
    page = client.get(_route(s)).text
    assert f"Goedgekeurd door {second.name}" in page and f"Voorbereid door {s.coordinator.name}" in page
    assert approve_action not in page
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "procurement_route.approve")).one()
    assert (event.actor_id, event.data["confirmed_by"], event.data["approved_by"]) == (
        second.id,
        s.coordinator.name,
        second.name,
    )

    # Released decisions: the route page still shows the approved route with both names.
    approve(session, s, clock.now())
    _release(session, s, clock.now())
    session.commit()
    page = client.get(_route(s)).text
    assert page.count(f"Goedgekeurd door {second.name}") == 1

    # Confirming again withdraws the approval.
    log_in(client, session, s.coordinator, now=clock.now())
    assert post(client, _route(s), {"chosen": "adv", "reason": ""}).status_code == 303
    session.refresh(route)
    assert (route.status, route.approved_by_id, route.chosen) == ("confirmed", None, "adv")
    assert AWAITING_NL in client.get(_route(s)).text


@pytest.mark.parametrize("who", ["evaluator", "coordinator_elsewhere"])
def test_route_approval_by_someone_outside_the_challenge_is_not_found(
    client: TestClient, session: Session, clock: FrozenClock, who: str
) -> None:
    s = _prepared(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    assert post(client, _route(s), {"chosen": "adv", "reason": ""}).status_code == 303
    person = (
        s.evaluators[0] if who == "evaluator" else build_scenario(session, proposals=0, prefix="elders").coordinator
    )
    log_in(client, session, person, now=clock.now())
    assert post(client, _route(s) + "/approve").status_code == 404
    assert session.get_one(RouteDecision, s.challenge.id).status == "confirmed"


def test_route_approval_without_a_confirmed_route_is_refused(session: Session, clock: FrozenClock) -> None:
    s = _prepared(session, clock)
    from app.errors import InvalidTransition

    with pytest.raises(InvalidTransition) as refused:
        approval_service.approve_route(
            session, challenge=s.challenge, actor=actor(second_coordinator(session, s)), now=clock.now()
        )
    assert refused.value.message == approval_service.MSG_NO_ROUTE
