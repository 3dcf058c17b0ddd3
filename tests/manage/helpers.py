"""Helpers for the coordinator tests: staff users, the challenge form as posted, and posting with CSRF."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.challenges.models import Challenge, ChallengeCoordinator
from app.clock import FrozenClock
from app.workspace.challenges import forms
from tests.factories import create_user, csrf, log_in, make_definition


def post(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


def staff(client: TestClient, session: Session, clock: FrozenClock, *, email: str, role: str = "coordinator") -> Any:
    """A staff user with the role, logged in with the second factor done."""
    user = create_user(session, email=email, name=email.split("@")[0].title(), roles=(role,))
    log_in(client, session, user, now=clock.now())
    return user


def assign(session: Session, challenge: Challenge, user: Any, clock: FrozenClock) -> None:
    session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=user.id, assigned_at=clock.now()))
    session.commit()


def form_data(**overrides: Any) -> dict[str, Any]:
    """The challenge form filled in as a browser would post it, from the test definition."""
    return forms.flatten(forms.definition_to_raw(make_definition(**overrides)))


def proposal_for(session: Session, challenge: Challenge, *, email: str, status: str, clock: FrozenClock) -> Any:
    """An organisation with one member and a proposal in the challenge's first stage (rows made directly)."""
    from app.proposals.models import Proposal
    from tests.organisations.helpers import create_organisation

    member = create_user(session, email=email, name="Member", language="en")
    organisation = create_organisation(
        session, member, now=clock.now(), legal_name=f"{email} B.V.", kvk_number=str(10_000_000 + member.id)
    )
    proposal = Proposal(
        challenge_id=challenge.id,
        stage_id=challenge.stages[0].id,
        organisation_id=organisation.id,
        status=status,
        draft={},
        created_at=clock.now(),
        updated_at=clock.now(),
        submitted_at=clock.now() if status == "submitted" else None,
        version_count=1 if status == "submitted" else 0,
    )
    session.add(proposal)
    session.commit()
    return proposal
