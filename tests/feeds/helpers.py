"""What the feed and calendar tests share: a published challenge that is extended, announced and cancelled."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge
from app.questions.nota import service as nota_service
from app.workspace.corrections import service as corrections
from app.workspace.lifecycle import service as lifecycle
from tests.conftest import DEFAULT_NOW
from tests.factories import LINKS

OPERATOR = Actor(user_id=None, label="cli:test")
EXTENDED_AT = DEFAULT_NOW - timedelta(days=2)
NOTA_AT = DEFAULT_NOW - timedelta(days=1)
CANCELLED_AT = DEFAULT_NOW - timedelta(hours=1)


def extend(session: Session, challenge: Challenge, *, until: datetime, at: datetime = EXTENDED_AT) -> None:
    corrections.extend_deadline(
        session,
        challenge=challenge,
        stage_key="brief",
        deadline_local=until,
        reason="Meer tijd voor de veldproef",
        actor=OPERATOR,
        now=at,
        links=LINKS,
    )
    session.commit()


def announce(session: Session, challenge: Challenge, *, at: datetime = NOTA_AT) -> None:
    nota_service.add_announcement(
        session,
        challenge=challenge,
        title_nl="Bericht",
        title_en="Notice",
        text_nl="Een mededeling.",
        text_en="A notice.",
        actor=OPERATOR,
        now=at,
    )
    nota_service.publish_announcements(session, challenge=challenge, actor=OPERATOR, now=at, links=LINKS)
    session.commit()


def cancel(session: Session, challenge: Challenge, *, at: datetime = CANCELLED_AT) -> None:
    lifecycle.change_status(
        session,
        challenge=challenge,
        to=ChallengeStatus.CANCELLED,
        reason="Het budget is vervallen",
        actor=OPERATOR,
        now=at,
        links=LINKS,
    )
    session.commit()
