"""The lifecycle holds: evaluation waits for the last deadline; cancelling closes intake and evaluation, shows
on the public pages and in the API, and tells everyone involved."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.challenges import service
from app.challenges.enums import ChallengeStatus
from app.clock import FrozenClock
from app.errors import InvalidTransition
from app.evaluations.assignments import service as assignment_service
from app.evaluations.models import Assignment
from app.notifications.models import OutboxMessage
from app.proposals.models import Proposal
from app.questions.models import ChallengeFollower
from tests.evaluations.helpers import actor, after_deadline, build_scenario
from tests.factories import BASE_DEFINITION, CLI_ACTOR, LINKS, create_challenge, create_user, log_in
from tests.manage.helpers import post, proposal_for, staff

CANCELLED_AT = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _two_stages() -> list[dict[str, object]]:
    first = dict(BASE_DEFINITION["stages"][0])
    second = {
        **first,
        "key": "full",
        "title": {"nl": "Volledig voorstel", "en": "Full proposal"},
        "opens_at": "2027-03-01T09:00:00",
        "deadline": "2027-04-30T17:00:00",
    }
    return [first, second]


def _status(client: TestClient, slug: str, to: str, reason: str = "") -> object:
    return post(client, f"/manage/challenges/{slug}/status", {"status_to": to, "status_reason": reason})


# --- evaluation waits for the deadline ------------------------------------------------------------


def test_evaluation_before_the_deadline_is_refused(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    admin = staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = _status(client, challenge.slug, "evaluation")
    assert response.status_code == 422
    assert 'id="status_to-error"' in response.text
    assert "Een fase neemt nog voorstellen aan tot 2027-02-26 17:00 CET" in response.text
    session.expire_all()
    assert challenge.status == "published"
    assert client.get("/api/v1/challenges/test-challenge").json()["stages"][0]["open"] is True
    clock.set(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    log_in(client, session, admin, now=clock.now())
    assert _status(client, challenge.slug, "evaluation").status_code == 303
    session.expire_all()
    assert challenge.status == "evaluation"


def test_a_two_stage_challenge_stays_open_for_its_second_stage(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session, stages=_two_stages())
    admin = staff(client, session, clock, email="adam@mindef.example", role="administrator")
    clock.set(datetime(2027, 3, 10, 9, 0, tzinfo=UTC))  # stage 1 closed on 26 February, stage 2 open
    log_in(client, session, admin, now=clock.now())
    response = _status(client, challenge.slug, "evaluation")
    assert response.status_code == 422
    assert "Een fase neemt nog voorstellen aan tot 2027-04-30 17:00 CEST" in response.text
    session.expire_all()
    assert challenge.status == "published"
    api = client.get("/api/v1/challenges/test-challenge").json()
    assert (api["phase"], [s["open"] for s in api["stages"]]) == ("open", [False, True])
    # The first stage can be evaluated on its own meanwhile.
    assert client.get(f"/manage/challenges/{challenge.slug}/evaluation/brief/assignments").status_code == 200


# --- cancelling -----------------------------------------------------------------------------------


def _cancel(client: TestClient, session: Session, clock: FrozenClock, slug: str, reason: str) -> None:
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    assert _status(client, slug, "cancelled", reason).status_code == 303
    client.cookies.clear()


def test_cancel_without_a_reason_is_refused_at_the_field(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = _status(client, challenge.slug, "cancelled", "   ")
    assert response.status_code == 422
    assert 'id="status_reason-error"' in response.text
    session.expire_all()
    assert (challenge.status, challenge.cancelled_at) == ("published", None)
    assert session.scalars(select(OutboxMessage)).all() == []


def test_cancelled_challenge_shows_status_reason_and_date_everywhere(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    _cancel(client, session, clock, challenge.slug, "Geen budget meer")
    session.expire_all()
    assert challenge.cancelled_at == CANCELLED_AT
    page = client.get(f"/challenges/{challenge.slug}")
    assert page.status_code == 200
    assert '<span class="badge badge-closed">Geannuleerd</span>' in page.text
    assert 'id="cancelled-notice"' in page.text
    assert "Geen budget meer" in page.text
    assert '<time datetime="2026-12-01T10:00:00+00:00">' in page.text
    assert "Schrijf een voorstel" not in page.text
    listing = client.get("/")
    assert '<span class="badge badge-closed">Geannuleerd</span>' in listing.text
    assert "Geannuleerd op" in listing.text and "Geen budget meer" in listing.text
    api = client.get(f"/api/v1/challenges/{challenge.slug}").json()
    assert api["status"] == "cancelled"
    assert api["cancellation"] == {"reason": "Geen budget meer", "cancelled_at": "2026-12-01T10:00:00Z"}
    assert api["phase"] == "closed"
    assert [stage["open"] for stage in api["stages"]] == [False]
    listed = client.get("/api/v1/challenges").json()["challenges"]
    assert [(c["slug"], c["cancellation"]["reason"]) for c in listed] == [("test-challenge", "Geen budget meer")]
    client.get("/language/en", params={"next": "/"})
    english = client.get(f"/challenges/{challenge.slug}")
    assert '<span class="badge badge-closed">Cancelled</span>' in english.text
    assert "This challenge is cancelled." in english.text


def test_cancel_mails_organisations_with_proposals_and_followers_once(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    proposal_for(session, challenge, email="draft@alpha.example", status="draft", clock=clock)
    proposal_for(session, challenge, email="sub@bravo.example", status="submitted", clock=clock)
    follower = create_user(session, email="volger@charlie.example", name="Volger", language="nl")
    bystander = create_user(session, email="niemand@delta.example", name="Niemand")
    session.add(ChallengeFollower(challenge_id=challenge.id, user_id=follower.id, followed_at=clock.now()))
    session.commit()
    assert bystander.id
    _cancel(client, session, clock, challenge.slug, "Geen budget meer")
    messages = session.scalars(select(OutboxMessage).order_by(OutboxMessage.to_address)).all()
    assert [(m.to_address, m.template) for m in messages] == [
        ("draft@alpha.example", "challenge_cancelled"),
        ("sub@bravo.example", "challenge_cancelled"),
        ("volger@charlie.example", "challenge_cancelled"),
    ]
    dutch = messages[2]
    assert dutch.subject == "Challenge geannuleerd: Testchallenge sensoren"
    assert "Reden: Geen budget meer" in dutch.body_text
    assert "http://testserver/challenges/test-challenge" in dutch.body_text
    assert messages[0].subject == "Challenge cancelled: Test challenge sensors"


def test_cancel_closes_intake(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    draft = proposal_for(session, challenge, email="draft@alpha.example", status="draft", clock=clock)
    newcomer = create_user(session, email="nieuw@echo.example", name="Nieuw")
    from tests.organisations.helpers import create_organisation

    echo = create_organisation(session, newcomer, now=clock.now(), legal_name="Echo B.V.", kvk_number="87654321")
    _cancel(client, session, clock, challenge.slug, "Geen budget meer")
    member = session.scalar(select(Proposal).where(Proposal.id == draft.id))
    assert member is not None
    from app.organisations.models import Membership

    owner_id = session.scalar(select(Membership.user_id).where(Membership.organisation_id == draft.organisation_id))
    owner = session.get(type(newcomer), owner_id)
    log_in(client, session, owner, now=clock.now())
    submitted = post(client, f"/proposals/{draft.id}/submit", {})
    assert submitted.status_code in (400, 422)
    assert "Deze challenge is geannuleerd" in submitted.text
    page = client.get(f"/proposals/{draft.id}")
    assert 'id="cancelled-notice"' in page.text
    session.expire_all()
    assert session.get(Proposal, draft.id).status == "draft"
    client.cookies.clear()
    log_in(client, session, newcomer, now=clock.now())
    start = client.get(f"/challenges/{challenge.slug}/apply")
    assert 'id="cancelled-notice"' in start.text
    assert "Start het voorstel" not in start.text
    post(client, "/organisations/acting", {"organisation_id": echo.id, "next": "/"})
    started = post(client, f"/challenges/{challenge.slug}/apply", {})
    assert started.status_code == 400
    assert "Deze challenge is geannuleerd" in started.text
    assert session.scalars(select(Proposal)).all() == [session.get(Proposal, draft.id)]


def test_a_draft_cancelled_before_publication_stays_hidden(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session, publish=False)
    _cancel(client, session, clock, challenge.slug, "Niet nodig")
    assert client.get(f"/challenges/{challenge.slug}").status_code == 404
    assert client.get(f"/api/v1/challenges/{challenge.slug}").status_code == 404
    assert client.get("/api/v1/challenges").json()["count"] == 0


# --- evaluation follows the status ----------------------------------------------------------------


def test_nothing_to_assign_or_score_on_a_cancelled_challenge(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    from app.evaluations.pool import service as pool_service

    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
        )
    assignment = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[0].id,
        evaluator_id=s.evaluators[0].id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    service.transition_challenge(
        session, challenge=s.challenge, to=ChallengeStatus.CANCELLED, actor=CLI_ACTOR, now=clock.now(), reason="Stop"
    )
    session.commit()
    with pytest.raises(InvalidTransition) as refused:
        assignment_service.assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=s.proposals[0].id,
            evaluator_id=s.evaluators[1].id,
            actor=actor(s.coordinator),
            now=clock.now(),
            links=LINKS,
        )
    assert refused.value.message == "The challenge is cancelled: there is nothing to assign, score or decide."
    session.rollback()
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/assignments")
    assert page.status_code == 200 and 'id="challenge-cancelled"' in page.text
    response = post(
        client, f"{s.base}/assignments", {"proposal_id": s.proposals[0].id, "evaluator_id": s.evaluators[1].id}
    )
    assert response.status_code == 422
    assert "De challenge is geannuleerd: er valt niets toe te wijzen, te scoren of te besluiten." in response.text
    assert len(session.scalars(select(Assignment)).all()) == 1
    client.cookies.clear()
    log_in(client, session, s.evaluators[0], now=clock.now())
    opened = client.get(f"/evaluate/assignments/{assignment.id}")
    assert 'id="challenge-cancelled"' in opened.text
    assert 'name="has_conflict"' not in opened.text
    declared = post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"})
    assert declared.status_code == 422
    assert "De challenge is geannuleerd" in declared.text
    session.expire_all()
    assert session.get(Assignment, assignment.id).status == "assigned"
