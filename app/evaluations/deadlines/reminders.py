"""The worker's job that reminds evaluators two days before their stage's evaluations are due, once.

Each (stage, evaluator, due date) is claimed in ``sent_notice`` in the same transaction as its message, so two
workers never both send it; a moved due date is a new date and gets its own reminder.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.reminders import service as reminder_service
from app.challenges.models import ChallengeStage
from app.clock import ensure_utc
from app.evaluations import service as evaluation_service
from app.evaluations.deadlines.models import EvaluationDueDate
from app.evaluations.deadlines.service import unfinished_assignments
from app.formatting import format_local_date
from app.links import Links
from app.notifications.reminders.service import claim
from app.notifications.service import queue_email

KIND = "evaluation_due"
BEFORE = timedelta(days=2)


def send_due_reminders(session: Session, *, now: datetime, links: Links) -> int:
    """Remind each evaluator with unfinished work once, from two days before the due date until it passes.

    Nothing for a cancelled challenge or a released stage, nothing to those who switched reminders off.
    Returns the number of messages queued; the caller commits.
    """
    now = ensure_utc(now)
    due_rows = session.scalars(
        select(EvaluationDueDate).where(EvaluationDueDate.due_at > now, EvaluationDueDate.due_at <= now + BEFORE)
    )
    sent = 0
    for due in list(due_rows):
        stage = session.get(ChallengeStage, due.stage_id)
        if stage is None or stage.challenge.is_cancelled:
            continue
        if evaluation_service.is_stage_released(session, stage_id=stage.id):
            continue
        sent += _remind_stage(session, stage=stage, due=due, now=now, links=links)
    return sent


def _remind_stage(
    session: Session, *, stage: ChallengeStage, due: EvaluationDueDate, now: datetime, links: Links
) -> int:
    counts = Counter(a.evaluator_id for a in unfinished_assignments(session, stage_id=stage.id))
    sent = 0
    for user in reminder_service.reminder_recipients(session, user_ids=counts):
        key = f"u{user.id}:2d@{due.due_on.isoformat()}"
        if not claim(session, kind=KIND, object_id=stage.id, key=key, now=now, user_id=user.id):
            continue
        challenge = stage.challenge
        queue_email(
            session,
            to=user.email,
            template="evaluation_due_reminder",
            language=user.language,
            context={
                "challenge_title": challenge.title(user.language),
                "stage_title": evaluation_service.stage_title(challenge, stage, user.language),
                "count": counts[user.id],
                "due_date": format_local_date(due.last_moment, user.language),
                "link": links.url("evaluate_queue"),
                "account_link": links.url("account"),
            },
            now=now,
            user_id=user.id,
        )
        sent += 1
    return sent
