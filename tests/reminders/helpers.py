"""Shared setup of the reminder tests: an organisation with members and a draft, outbox readers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.challenges.models import Challenge
from app.notifications.models import OutboxMessage
from app.organisations.models import Organisation
from app.proposals.drafts import service as draft_service
from app.proposals.models import Proposal
from tests.evaluations.helpers import make_organisation
from tests.factories import create_challenge, create_user

# The test challenge's only stage closes 26 February 2027 17:00 CET (16:00 UTC).
DEADLINE = datetime(2027, 2, 26, 16, 0, tzinfo=UTC)


def actor(user: Any) -> Actor:
    return Actor(user.id, label=user.email)


def mails(session: Session, template: str) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).where(OutboxMessage.template == template).order_by(OutboxMessage.id)
    return list(session.scalars(query))


@dataclass
class DraftWorld:
    challenge: Challenge
    organisation: Organisation
    members: list[Any]
    proposal: Proposal


def draft_world(session: Session, *, now: datetime, kvk: str = "41000001", **overrides: Any) -> DraftWorld:
    """A published challenge and an organisation (two members: Dutch, English) with a draft for its stage."""
    challenge = create_challenge(session, at=now, **overrides) if overrides else create_challenge(session)
    first = create_user(session, email="anna@firma.example", name="Anna de Vries")
    second = create_user(session, email="ben@firma.example", name="Ben Smith", language="en")
    organisation = make_organisation(session, name="Firma Sensoren B.V.", kvk=kvk, member=first)
    from app.organisations.models import Membership

    session.add(Membership(organisation_id=organisation.id, user_id=second.id, role="member", joined_at=now))
    session.commit()
    proposal = draft_service.start_proposal(
        session,
        challenge=challenge,
        stage=challenge.stages[0],
        organisation=organisation,
        user=first,
        actor=actor(first),
        now=now,
    )
    session.commit()
    return DraftWorld(challenge, organisation, [first, second], proposal)
