"""Conflicts of interest from everything the portal knows: an evaluator's own memberships of organisations on
the portal count as affiliations without being declared, and a coordinator of a challenge is never one of its
evaluators (nor an evaluator of a challenge one of its coordinators)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges.models import ChallengeCoordinator
from app.clock import FrozenClock
from app.errors import ValidationFailed
from app.evaluations.assignments import service as assignment_service
from app.evaluations.models import Assignment, PoolMember
from app.evaluations.pool import service as pool_service
from app.organisations.models import Membership
from app.workspace.administration import service as administration
from tests.evaluations.helpers import (
    RECEIVED,
    Scenario,
    actor,
    after_deadline,
    build_scenario,
    make_organisation,
    post,
    submit_proposal,
)
from tests.factories import LINKS, create_user, log_in

MEMBER_NL = "Lid van {name} op het portaal, dat deel uitmaakt van het consortium."


def _pooled(session: Session, s: Scenario, clock: FrozenClock) -> None:
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
        )
    session.commit()


def _member(session: Session, user: Any, organisation: Any) -> None:
    session.add(Membership(organisation_id=organisation.id, user_id=user.id, role="member", joined_at=RECEIVED))
    session.commit()


def _assign(session: Session, s: Scenario, proposal: Any, evaluator: Any, clock: FrozenClock) -> Assignment:
    return assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=proposal.id,
        evaluator_id=evaluator.id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )


# --- portal memberships are affiliations -------------------------------------------------------------


def test_member_of_the_lead_organisation_cannot_be_assigned(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2, evaluators=2)
    after_deadline(clock)
    _pooled(session, s, clock)
    evaluator = s.evaluators[0]
    _member(session, evaluator, s.organisations[0])  # never declared as an affiliation
    with pytest.raises(ValidationFailed) as refused:
        _assign(session, s, s.proposals[0], evaluator, clock)
    assert [e.message for e in refused.value.errors] == [assignment_service.MSG_CONFLICT]
    assert _assign(session, s, s.proposals[1], evaluator, clock).evaluator_id == evaluator.id  # another firm
    session.commit()

    log_in(client, session, s.coordinator, now=clock.now())
    response = post(
        client, f"{s.base}/assignments", {"proposal_id": str(s.proposals[0].id), "evaluator_id": str(evaluator.id)}
    )
    assert response.status_code == 422
    assert "Deze beoordelaar heeft een bekend belangenconflict met dit consortium." in response.text
    page = client.get(f"{s.base}/assignments").text
    assert 'id="known-conflicts"' in page
    assert MEMBER_NL.format(name=s.organisations[0].legal_name) in page
    assert (
        session.scalar(
            select(Assignment).where(
                Assignment.proposal_id == s.proposals[0].id, Assignment.evaluator_id == evaluator.id
            )
        )
        is None
    )


def test_member_of_a_consortium_partner_cannot_be_assigned_and_auto_assign_skips_them(
    session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    partner = make_organisation(session, name="Partner Optics B.V.", kvk="87654321")
    partnered = submit_proposal(
        session,
        challenge=s.challenge,
        organisation=make_organisation(session, name="Lead Radar B.V.", kvk="11223344"),
        partners=[
            {
                "organisation_id": partner.id,
                "legal_name": partner.legal_name,
                "kvk_number": partner.kvk_number,
                "country": "NL",
                "role": "partner",
                "share": 30,
            }
        ],
    )
    after_deadline(clock)
    _pooled(session, s, clock)
    member, other = s.evaluators
    _member(session, member, partner)
    with pytest.raises(ValidationFailed):
        _assign(session, s, partnered, member, clock)
    conflicts = assignment_service.affiliation_service.known_conflicts(
        session, challenge=s.challenge, stage=s.stage, today=clock.now().date()
    )
    assert [(c.evaluator.id, c.reference, [r.params["organisation"] for r in c.reasons]) for c in conflicts] == [
        (member.id, partnered.reference, ["Partner Optics B.V."])
    ]
    result = assignment_service.auto_assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        per_proposal=2,
        max_per_evaluator=5,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    pairs = {(a.proposal_id, a.evaluator_id) for a in session.scalars(select(Assignment))}
    assert (partnered.id, member.id) not in pairs
    assert (partnered.id, other.id) in pairs
    assert [short.proposal for short in result.shortfalls] == [partnered.reference]


# --- coordinators do not evaluate their own challenge -----------------------------------------------


def _coordinating_evaluator(session: Session, s: Scenario) -> Any:
    """A person with both staff roles who coordinates the scenario's challenge."""
    person = create_user(session, email="beide@mindef.example", name="Bea Beide", roles=("coordinator", "evaluator"))
    session.add(ChallengeCoordinator(challenge_id=s.challenge.id, user_id=person.id, assigned_at=RECEIVED))
    session.commit()
    return person


def test_a_coordinator_of_the_challenge_cannot_join_its_pool(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    person = _coordinating_evaluator(session, s)
    with pytest.raises(ValidationFailed) as refused:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=person.id, actor=actor(s.coordinator), now=clock.now()
        )
    assert [e.message for e in refused.value.errors] == [pool_service.MSG_COORDINATES]
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"{s.base}/pool", {"evaluator_id": str(person.id)})
    assert response.status_code == 422
    assert "Bea Beide coördineert deze challenge en kan er geen beoordelaar van zijn." in response.text
    assert session.get(PoolMember, (s.challenge.id, person.id)) is None
    # Another challenge's coordinator may evaluate this one.
    elsewhere = build_scenario(session, proposals=0, evaluators=0, prefix="elders")
    pool_service.add_to_pool(
        session, challenge=elsewhere.challenge, user_id=person.id, actor=actor(elsewhere.coordinator), now=clock.now()
    )
    assert session.get(PoolMember, (elsewhere.challenge.id, person.id)) is not None


def test_a_coordinator_already_in_the_pool_cannot_be_assigned(session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    after_deadline(clock)
    person = create_user(session, email="beide@mindef.example", name="Bea Beide", roles=("coordinator", "evaluator"))
    # In the pool before this rule existed, then made coordinator.
    session.add(PoolMember(challenge_id=s.challenge.id, user_id=person.id, added_at=RECEIVED))
    session.add(ChallengeCoordinator(challenge_id=s.challenge.id, user_id=person.id, assigned_at=RECEIVED))
    session.commit()
    with pytest.raises(ValidationFailed) as refused:
        _assign(session, s, s.proposals[0], person, clock)
    assert [e.message for e in refused.value.errors] == [assignment_service.MSG_COORDINATOR]
    with pytest.raises(ValidationFailed):  # the automatic assignment finds nobody in the pool who may evaluate
        assignment_service.auto_assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            per_proposal=1,
            max_per_evaluator=5,
            actor=actor(s.coordinator),
            now=clock.now(),
            links=LINKS,
        )
    assert session.scalar(select(Assignment)) is None


@pytest.mark.parametrize("how", ["pool", "assignment"])
def test_an_evaluator_of_the_challenge_cannot_be_made_its_coordinator(
    client: TestClient, session: Session, clock: FrozenClock, how: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    after_deadline(clock)
    person = create_user(session, email="beide@mindef.example", name="Bea Beide", roles=("coordinator", "evaluator"))
    pool_service.add_to_pool(
        session, challenge=s.challenge, user_id=person.id, actor=actor(s.coordinator), now=clock.now()
    )
    if how == "assignment":
        _assign(session, s, s.proposals[0], person, clock)
        pool_service.remove_from_pool(
            session, challenge=s.challenge, user_id=person.id, actor=actor(s.coordinator), now=clock.now()
        )
    session.commit()
    admin = create_user(session, email="beheer@mindef.example", name="Beheerder", roles=("administrator",))
    with pytest.raises(ValidationFailed) as refused:
        administration.assign_coordinator(
            session, challenge=s.challenge, email=person.email, actor=actor(admin), now=clock.now()
        )
    assert [e.message for e in refused.value.errors] == [administration.MSG_EVALUATES]
    log_in(client, session, admin, now=clock.now())
    response = post(client, f"/manage/challenges/{s.challenge.slug}/coordinators", {"email": person.email})
    assert response.status_code == 422
    assert (
        "Bea Beide beoordeelt deze challenge (in de pool van beoordelaars of toegewezen aan voorstellen) "
        "en kan haar niet ook coördineren."
    ) in response.text
    assert session.get(ChallengeCoordinator, (s.challenge.id, person.id)) is None
