"""What the Atom feed and the iCalendar files hold: the public events of the published challenges (publication,
each later version of the definition, cancellation, each Nota van Inlichtingen version) and their deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.challenges import service as challenge_service
from app.challenges.enums import PUBLIC_STATUSES, Phase
from app.challenges.models import Challenge
from app.clock import ensure_utc
from app.questions.models import NotaVersion

FEED_LIMIT = 50


class EventKind(StrEnum):
    PUBLISHED = "published"
    CHANGED = "changed"  # a correction or an extension: a new version of the definition after publication
    CANCELLED = "cancelled"
    NOTA = "nota"  # a new version of the Nota van Inlichtingen


@dataclass(frozen=True)
class FeedEvent:
    kind: EventKind
    at: datetime
    challenge: Challenge
    number: int | None = None  # the definition's or the Nota's version number
    reason: str | None = None  # a change's or a cancellation's reason, as the coordinator wrote it


def _public_challenges(session: Session) -> list[Challenge]:
    return list(
        session.scalars(
            select(Challenge)
            .where(Challenge.status.in_([s.value for s in PUBLIC_STATUSES]), Challenge.published_at.is_not(None))
            .options(selectinload(Challenge.versions), selectinload(Challenge.stages))
            .order_by(Challenge.id)
        )
    )


def _challenge_events(challenge: Challenge) -> list[FeedEvent]:
    assert challenge.published_at is not None
    published = ensure_utc(challenge.published_at)
    events = [FeedEvent(EventKind.PUBLISHED, published, challenge)]
    # Versions made before publication were drafts nobody saw; each later one is a correction or an extension.
    events += [
        FeedEvent(EventKind.CHANGED, ensure_utc(v.created_at), challenge, number=v.number, reason=v.reason)
        for v in challenge.versions
        if ensure_utc(v.created_at) > published
    ]
    if challenge.is_cancelled and challenge.cancelled_at is not None:
        events.append(
            FeedEvent(
                EventKind.CANCELLED, ensure_utc(challenge.cancelled_at), challenge, reason=challenge.status_reason
            )
        )
    return events


def list_feed_events(session: Session, *, limit: int = FEED_LIMIT) -> list[FeedEvent]:
    """The newest ``limit`` public events of every published challenge, newest first."""
    challenges = {challenge.id: challenge for challenge in _public_challenges(session)}
    events = [event for challenge in challenges.values() for event in _challenge_events(challenge)]
    if challenges:
        notas = session.execute(
            select(NotaVersion.challenge_id, NotaVersion.number, NotaVersion.published_at).where(
                NotaVersion.challenge_id.in_(list(challenges))
            )
        )
        events += [
            FeedEvent(EventKind.NOTA, ensure_utc(row.published_at), challenges[row.challenge_id], number=row.number)
            for row in notas
        ]
    order = list(EventKind)
    events.sort(key=lambda e: (e.at, e.challenge.id, order.index(e.kind), e.number or 0), reverse=True)
    return events[:limit]


def list_calendar_challenges(session: Session, *, now: datetime) -> list[Challenge]:
    """The challenges whose deadlines the calendar of all open challenges holds: open or upcoming now."""
    items = challenge_service.list_public_challenges(session, now=now)
    return [item.challenge for item in items if item.phase in (Phase.OPEN, Phase.UPCOMING)]
