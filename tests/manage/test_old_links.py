"""Old id-keyed workspace links (in e-mails already sent, in bookmarks) answer a permanent redirect to the slug URL.

Only for a user who manages the challenge: anyone else gets 404, as for an id that does not exist, so an id
leaks no slug. POSTs to old URLs are not redirected (forms are always rendered with the new URLs).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.challenges.models import Challenge
from app.clock import FrozenClock
from tests.factories import create_challenge, log_in
from tests.manage.helpers import assign, post, staff
from tests.proposals.helpers import act_for, create_company, ready_proposal, submit

PAGES = ("", "/edit", "/preview", "/definition.toml", "/extend")


@pytest.mark.parametrize("page", PAGES)
def test_old_challenge_link_redirects_its_coordinator_to_the_slug_url(
    page: str, client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    coordinator = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, coordinator, clock)
    response = client.get(f"/manage/challenges/{challenge.id}{page}")
    assert response.status_code == 308
    assert response.headers["location"] == f"/manage/challenges/{challenge.slug}{page}"
    assert client.get(response.headers["location"]).status_code == 200


def test_old_challenge_link_keeps_its_query_string(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = client.get(f"/manage/challenges/{challenge.id}/preview?lang=en")
    assert response.status_code == 308
    assert response.headers["location"] == f"/manage/challenges/{challenge.slug}/preview?lang=en"


@pytest.mark.parametrize("page", PAGES)
def test_old_challenge_link_is_not_found_for_another_coordinator_and_a_company_user(
    page: str, client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session, publish=False)
    staff(client, session, clock, email="other@mindef.example")
    response = client.get(f"/manage/challenges/{challenge.id}{page}")
    assert response.status_code == 404
    assert challenge.slug not in response.text
    company, _ = create_company(session, email="user@alpha.example", name="Alpha B.V.", kvk="12345678", at=clock.now())
    log_in(client, session, company, now=clock.now())
    response = client.get(f"/manage/challenges/{challenge.id}{page}")
    assert response.status_code == 404
    assert challenge.slug not in response.text


def test_old_challenge_link_post_is_not_found(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session, publish=False)
    coordinator = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, coordinator, clock)
    assert post(client, f"/manage/challenges/{challenge.id}/publish", {"reason": "Klaar"}).status_code == 404
    assert post(client, f"/manage/challenges/{challenge.slug}/publish", {"reason": "Klaar"}).status_code == 303


def _submitted_proposal(client: TestClient, session: Session, clock: FrozenClock) -> tuple[Challenge, int, Any]:
    """Organisation Alpha's submitted proposal, with the clock moved past the stage's deadline."""
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="member@alpha.example", name="Alpha Geheim B.V.", kvk="12345678", at=clock.now()
    )
    act_for(client, session, user, organisation, now=clock.now())
    proposal = ready_proposal(client, session, challenge.slug)
    assert submit(client, proposal.id).status_code == 303
    clock.set(challenge.stages[0].deadline_at + timedelta(hours=1))
    return challenge, proposal.id, user


@pytest.mark.parametrize("page", ["", "/documents/brief"])
def test_old_proposal_link_redirects_its_coordinator_to_the_slug_url(
    page: str, client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge, proposal_id, _ = _submitted_proposal(client, session, clock)
    coordinator = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, coordinator, clock)
    response = client.get(f"/manage/proposals/{proposal_id}{page}")
    assert response.status_code == 308
    new_url = f"/manage/challenges/{challenge.slug}/proposals/{proposal_id}{page}"
    assert response.headers["location"] == new_url
    assert client.get(new_url).status_code == 200


@pytest.mark.parametrize("page", ["", "/documents/brief"])
def test_old_proposal_link_is_not_found_for_another_coordinator_and_a_company_user(
    page: str, client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge, proposal_id, member = _submitted_proposal(client, session, clock)
    staff(client, session, clock, email="other@mindef.example")
    response = client.get(f"/manage/proposals/{proposal_id}{page}")
    assert response.status_code == 404
    assert challenge.slug not in response.text
    # Even the member of the organisation that submitted it: this is a staff page.
    log_in(client, session, member, now=clock.now())
    response = client.get(f"/manage/proposals/{proposal_id}{page}")
    assert response.status_code == 404
    assert challenge.slug not in response.text


def test_proposal_of_another_challenge_is_not_found_under_a_managed_slug(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _, proposal_id, _ = _submitted_proposal(client, session, clock)
    mine = create_challenge(session, slug="mine-challenge")
    coordinator = staff(client, session, clock, email="coco@mindef.example")
    assign(session, mine, coordinator, clock)
    assert client.get(f"/manage/challenges/{mine.slug}/proposals/{proposal_id}").status_code == 404
    assert client.get(f"/manage/challenges/{mine.slug}/proposals/{proposal_id}/documents/brief").status_code == 404
