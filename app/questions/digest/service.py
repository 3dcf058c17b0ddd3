"""The worker's job that sends each coordinator, once a day, a digest of new unanswered questions on the
challenges they coordinate.

"New" means asked since the coordinator's previous digest; a day with nothing new sends nothing. The
(coordinator, day) pair is claimed in ``sent_notice`` in the same transaction as the message, so two workers
never both send it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.reminders import service as reminder_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeCoordinator
from app.clock import AMSTERDAM, ensure_utc
from app.links import Links
from app.notifications.reminders.service import claim, last_sent
from app.notifications.service import queue_email
from app.questions.enums import EntryKind, EntryStatus
from app.questions.models import NotaEntry

KIND = "question_digest"
DIGEST_HOUR = 7  # the digest goes out from this hour on, Europe/Amsterdam time


@dataclass(frozen=True)
class DigestLine:
    challenge_title: str
    new: int
    open: int
    link: str


def send_question_digests(session: Session, *, now: datetime, links: Links) -> int:
    """One digest per coordinator per day (from 07:00 Amsterdam time) when questions arrived since the last one.

    Coordinators who switched reminders off get none. Returns the messages queued; the caller commits.
    """
    now = ensure_utc(now)
    local = now.astimezone(AMSTERDAM)
    if local.hour < DIGEST_HOUR:
        return 0
    coordinator_ids = session.scalars(select(ChallengeCoordinator.user_id).distinct())
    sent = 0
    for user in reminder_service.reminder_recipients(session, user_ids=coordinator_ids):
        lines = digest_lines(
            session, user=user, since=last_sent(session, kind=KIND, object_id=user.id), now=now, links=links
        )
        if not lines:
            continue
        if not claim(session, kind=KIND, object_id=user.id, key=local.date().isoformat(), now=now, user_id=user.id):
            continue
        queue_email(
            session,
            to=user.email,
            template="question_digest",
            language=user.language,
            context={"lines": lines, "account_link": links.url("account")},
            now=now,
            user_id=user.id,
        )
        sent += 1
    return sent


def digest_lines(
    session: Session, *, user: User, since: datetime | None, now: datetime, links: Links
) -> list[DigestLine]:
    """Per coordinated challenge with questions asked after ``since``: new and all unanswered questions."""
    unanswered = (NotaEntry.kind == EntryKind.QUESTION.value, NotaEntry.status == EntryStatus.RECEIVED.value)
    new = func.count().filter(NotaEntry.asked_at > since) if since is not None else func.count()
    rows = session.execute(
        select(Challenge, new, func.count())
        .join(NotaEntry, NotaEntry.challenge_id == Challenge.id)
        .join(ChallengeCoordinator, ChallengeCoordinator.challenge_id == Challenge.id)
        .where(ChallengeCoordinator.user_id == user.id, NotaEntry.asked_at <= now, *unanswered)
        .where(Challenge.status != ChallengeStatus.CANCELLED.value)
        .group_by(Challenge.id)
        .order_by(Challenge.slug)
    )
    return [
        DigestLine(
            challenge.title(user.language), int(fresh), int(total), links.url("question_inbox", slug=challenge.slug)
        )
        for challenge, fresh, total in rows
        if fresh
    ]
