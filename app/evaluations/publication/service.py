"""The publication choice per challenge (Article 346 TFEU and the ADV let Defence withhold who won).

By default the outcome and the number of proposals are published and no names. A coordinator of the challenge
may choose to publish the winners' names too; a winner is named only where its company agreed to that on the
submitted version as well. Every choice is an audit event (``challenge.publication``), and the choice in force
at any moment is the newest such event before it: the open data (OCDS) replays them, so what was published when
stays the same each time it is generated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit import service as audit_service
from app.audit.models import AuditEvent
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge

ACTION = "challenge.publication"


@dataclass(frozen=True)
class PublicationChoice:
    """One choice as the audit trail holds it; ``event_id`` None for the default (never chosen)."""

    publish_names: bool
    chosen_at: datetime | None = None
    chosen_by: str = ""
    event_id: int | None = None


DEFAULT = PublicationChoice(publish_names=False)


def choice_history(session: Session, *, challenge_id: int) -> list[PublicationChoice]:
    """Every choice made for the challenge, oldest first."""
    events = audit_service.events_about(session, action=ACTION, object_type="challenge", object_ids=[challenge_id])
    return [
        PublicationChoice(
            publish_names=bool(event.data.get("publish_names")),
            chosen_at=event.occurred_at,
            chosen_by=event.actor_label,
            event_id=event.id,
        )
        for event in events
    ]


def choice_at(history: list[PublicationChoice], moment: datetime | None = None) -> PublicationChoice:
    """The choice in force at ``moment`` (now when None): the newest made at or before it, else the default."""
    made = [c for c in history if moment is None or (c.chosen_at is not None and c.chosen_at <= moment)]
    return made[-1] if made else DEFAULT


def current_choice(session: Session, *, challenge_id: int) -> PublicationChoice:
    choice = choice_at(choice_history(session, challenge_id=challenge_id))
    if choice.event_id is None:
        return choice
    event = session.get(AuditEvent, choice.event_id)
    user = session.get(User, event.actor_id) if event is not None and event.actor_id is not None else None
    return PublicationChoice(
        choice.publish_names, choice.chosen_at, user.name if user else choice.chosen_by, choice.event_id
    )


def set_choice(session: Session, *, challenge: Challenge, publish_names: bool, actor: Actor, now: datetime) -> bool:
    """Record the coordinator's choice; returns False (nothing recorded) when it is already the one in force."""
    if current_choice(session, challenge_id=challenge.id).publish_names == publish_names:
        return False
    record_event(
        session,
        actor=actor,
        action=ACTION,
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"publish_names": publish_names},
    )
    return True
