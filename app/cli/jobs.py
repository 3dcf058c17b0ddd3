"""The scheduled jobs ``portal worker`` runs beside the outbox: reminders, digests and notices of new challenges,
and the housekeeping that forgets what has served its purpose (login attempts older than 30 days).

Each job runs in a transaction of its own and queues its messages in the outbox with a ``sent_notice`` row per
notice in that same transaction, so a notice goes out once even with several workers; a job that fails is
rolled back and logged, and the others still run. ``now`` comes from the caller's clock.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.throttling import forget_old_attempts
from app.challenges.events.jobs import queue_reminders as send_event_reminders
from app.challenges.subscriptions.service import send_new_challenge_notices
from app.clock import Clock
from app.evaluations.deadlines.reminders import send_due_reminders
from app.links import Links
from app.notifications.service import DeliveryDatabase
from app.proposals.reminders.service import send_draft_reminders
from app.questions.digest.service import send_question_digests

log = logging.getLogger(__name__)

Job = Callable[[Session, datetime, Links, str], int]

JOBS: dict[str, Job] = {
    "draft reminders": lambda s, now, links, _secret: send_draft_reminders(s, now=now, links=links),
    "evaluation due reminders": lambda s, now, links, _secret: send_due_reminders(s, now=now, links=links),
    "question digests": lambda s, now, links, _secret: send_question_digests(s, now=now, links=links),
    "market dialogue reminders": lambda s, now, links, _secret: send_event_reminders(s, now=now, links=links),
    "new challenge notices": lambda s, now, links, secret: send_new_challenge_notices(
        s, now=now, links=links, secret=secret
    ),
}


# Housekeeping: each returns how many rows it removed.
HOUSEKEEPING: dict[str, Callable[[Session, datetime], int]] = {
    "old login attempts forgotten": lambda s, now: forget_old_attempts(s, now=now),
}


@dataclass
class JobCounts:
    queued: dict[str, int] = field(default_factory=dict)
    failed: list[str] = field(default_factory=list)
    removed: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.queued.values())

    def summary(self) -> str:
        parts = [f"{name}: {count}" for name, count in self.queued.items() if count]
        failed = f"; failed: {', '.join(self.failed)}" if self.failed else ""
        removed = "".join(f"; {name}: {count}" for name, count in self.removed.items() if count)
        return (
            f"Scheduled notices queued: {self.total}"
            + (f" ({', '.join(parts)})" if parts else "")
            + removed
            + failed
            + "."
        )


def run_jobs(db: DeliveryDatabase, *, now: datetime, links: Links, secret: str) -> JobCounts:
    """Run every job once at ``now``; each commits its own notices and messages."""
    counts = JobCounts()
    for name, job in JOBS.items():
        try:
            with db.unit_of_work() as session:
                counts.queued[name] = job(session, now, links, secret)
                session.commit()
        except Exception:
            log.exception("scheduled job %s failed; it runs again at the next pass", name)
            counts.failed.append(name)
    for name, chore in HOUSEKEEPING.items():
        try:
            with db.unit_of_work() as session:
                counts.removed[name] = chore(session, now)
                session.commit()
        except Exception:
            log.exception("housekeeping (%s) failed; it runs again at the next pass", name)
            counts.failed.append(name)
    return counts


class JobSchedule:
    """Runs the jobs at most once per ``interval`` seconds of the process's monotonic clock (the first call runs)."""

    def __init__(self, db: DeliveryDatabase, *, clock: Clock, links: Links, secret: str, interval: float) -> None:
        self.db, self.clock, self.links, self.secret, self.interval = db, clock, links, secret, interval
        self._last = float("-inf")

    def run_if_due(self) -> JobCounts | None:
        if time.monotonic() - self._last < self.interval:
            return None
        self._last = time.monotonic()
        return run_jobs(self.db, now=self.clock.now(), links=self.links, secret=self.secret)
