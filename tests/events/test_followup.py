"""After the award: the coordinators keep the follow-up record of an awarded, released proposal; the awarded
organisation's members read it; nobody else (a competitor, an evaluator, another coordinator) gets more than 404."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.challenges.models import Challenge
from app.clock import FrozenClock
from app.evaluations.followup.models import AwardMilestone
from app.evaluations.models import Decision
from app.organisations.models import Membership
from app.proposals.models import Proposal
from tests.events.helpers import SLUG, as_user, coordinator
from tests.factories import create_challenge, create_user
from tests.manage.helpers import post, proposal_for

MANAGE = f"/manage/challenges/{SLUG}/follow-up"


def _decided(session: Session, proposal: Proposal, clock: FrozenClock, *, outcome: str, status: str) -> None:
    session.add(
        Decision(
            proposal_id=proposal.id,
            outcome=outcome,
            feedback="Goed voorstel.",
            status=status,
            prepared_at=clock.now(),
            released_at=clock.now() if status == "released" else None,
        )
    )
    session.commit()


def _member(session: Session, proposal: Proposal) -> User:
    query = select(Membership.user_id).where(Membership.organisation_id == proposal.organisation_id)
    return session.get_one(User, session.scalars(query).one())


def _world(client: TestClient, session: Session, clock: FrozenClock) -> tuple[Challenge, Any, Proposal, Proposal]:
    challenge = create_challenge(session)
    coco = coordinator(client, session, clock, challenge)
    winner = proposal_for(session, challenge, email="win@winner.example", status="submitted", clock=clock)
    loser = proposal_for(session, challenge, email="lose@loser.example", status="submitted", clock=clock)
    _decided(session, winner, clock, outcome="award", status="released")
    _decided(session, loser, clock, outcome="reject", status="released")
    return challenge, coco, winner, loser


def test_coordinator_keeps_the_record_and_the_company_reads_it(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _challenge, _coco, winner, loser = _world(client, session, clock)
    listing = client.get(MANAGE)
    assert f"{MANAGE}/{winner.id}" in listing.text and f"{MANAGE}/{loser.id}" not in listing.text
    saved = post(
        client,
        f"{MANAGE}/{winner.id}",
        {"contract_route": "adv", "contract_reference": "DMO-2027-0042", "start_date": "2027-04-01"},
    )
    assert saved.status_code == 303
    assert (
        post(client, f"{MANAGE}/{winner.id}/milestones", {"title": "Prototype", "due_on": "2027-09-01"}).status_code
        == 303
    )
    milestone = session.scalars(select(AwardMilestone)).one()
    url = f"{MANAGE}/{winner.id}/milestones/{milestone.id}"
    refused = post(client, url, {f"status-{milestone.id}": "done"})
    assert refused.status_code == 422 and "Vul de datum in waarop de mijlpaal gereed was." in refused.text
    assert (
        post(client, url, {f"status-{milestone.id}": "done", f"done_on-{milestone.id}": "2027-08-30"}).status_code
        == 303
    )
    assert post(client, url, {f"status-{milestone.id}": "late"}).status_code == 422  # done -> late is not allowed
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("award_%")).order_by(AuditEvent.id)
    ).all()
    assert actions == ["award_follow_up.save", "award_milestone.add", "award_milestone.done"]
    as_user(client, session, clock, _member(session, winner))
    assert f'href="/proposals/{winner.id}/follow-up"' in client.get(f"/proposals/{winner.id}/decision").text
    page = client.get(f"/proposals/{winner.id}/follow-up")
    assert page.status_code == 200
    for text in ("DMO-2027-0042", "2027-04-01", "Prototype", "2027-09-01", "2027-08-30", "Gereed", "ADV ("):
        assert text in page.text, text
    assert page.text.count('method="post"') == 1  # read-only: only the header's log-out form


def test_follow_up_is_404_for_everyone_else(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _challenge, _coco, winner, loser = _world(client, session, clock)
    assert (
        post(
            client, f"{MANAGE}/{winner.id}", {"contract_route": "adv", "contract_reference": "GEHEIM-REF-7"}
        ).status_code
        == 303
    )
    assert client.get(f"{MANAGE}/{loser.id}").status_code == 404  # not awarded
    competitor = _member(session, loser)
    evaluator = create_user(session, email="eva@mindef.example", roles=("evaluator",))
    other_coordinator = create_user(session, email="other@mindef.example", roles=("coordinator",))
    for user in (competitor, evaluator, other_coordinator):
        as_user(client, session, clock, user)
        for url in (f"/proposals/{winner.id}/follow-up", f"{MANAGE}/{winner.id}", MANAGE):
            response = client.get(url)
            assert response.status_code == 404, (user.email, url)
            assert "GEHEIM-REF-7" not in response.text
        assert (
            post(client, f"{MANAGE}/{winner.id}/milestones", {"title": "X", "due_on": "2027-09-01"}).status_code == 404
        )
    as_user(client, session, clock, competitor)
    assert client.get(f"/proposals/{loser.id}/follow-up").status_code == 404  # rejected: no follow-up
    client.cookies.clear()
    assert client.get(f"/proposals/{winner.id}/follow-up").headers["location"].startswith("/login")
    assert session.scalars(select(AwardMilestone)).all() == []


def test_an_award_not_yet_released_has_no_follow_up(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    proposal = proposal_for(session, challenge, email="win@winner.example", status="submitted", clock=clock)
    _decided(session, proposal, clock, outcome="award", status="reviewed")
    assert client.get(f"{MANAGE}/{proposal.id}").status_code == 404
    as_user(client, session, clock, _member(session, proposal))
    assert client.get(f"/proposals/{proposal.id}/follow-up").status_code == 404
