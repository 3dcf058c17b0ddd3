"""The worker's job that reminds companies of a draft not yet submitted: 7 days, 1 day and 2 hours before the
stage's deadline, each once per draft (and per deadline: an extended deadline gets its own reminders).

Each (draft, threshold, deadline) is claimed in ``sent_notice`` in the same transaction as its messages, so
two workers never both send it. A worker that was away sends only the nearest threshold that has passed, not
the ones it missed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.reminders import service as reminder_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeStage
from app.clock import ensure_utc
from app.formatting import format_local_datetime
from app.links import Links
from app.notifications.reminders.service import claim
from app.notifications.service import queue_email
from app.organisations.models import Membership
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal

KIND = "draft_deadline"
# Nearest first: the first threshold that has passed is the one to send.
THRESHOLDS = (("2h", timedelta(hours=2)), ("1d", timedelta(days=1)), ("7d", timedelta(days=7)))
FURTHEST = THRESHOLDS[-1][1]


def threshold_due(deadline: datetime, now: datetime) -> str | None:
    """The label of the nearest threshold before ``deadline`` that ``now`` has passed; None outside the window."""
    if not deadline - FURTHEST <= now < deadline:
        return None
    return next(label for label, before in THRESHOLDS if now >= deadline - before)


def send_draft_reminders(session: Session, *, now: datetime, links: Links) -> int:
    """Remind the members of each organisation with an unsubmitted draft in an open stage of a published
    challenge, in their language, unless they switched reminders off. Returns the messages queued; the caller
    commits."""
    now = ensure_utc(now)
    rows = session.execute(
        select(Proposal, ChallengeStage)
        .join(ChallengeStage, ChallengeStage.id == Proposal.stage_id)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .where(
            Proposal.status == ProposalStatus.DRAFT.value,
            Challenge.status == ChallengeStatus.PUBLISHED.value,
            ChallengeStage.deadline_at > now,
            ChallengeStage.deadline_at <= now + FURTHEST,
        )
        .order_by(Proposal.id)
    )
    sent = 0
    for proposal, stage in list(rows):
        deadline = ensure_utc(stage.deadline_at)
        label = threshold_due(deadline, now)
        if label is None:
            continue
        key = f"{label}@{deadline.strftime('%Y-%m-%dT%H:%M')}"
        if not claim(session, kind=KIND, object_id=proposal.id, key=key, now=now):
            continue
        sent += _remind_members(session, proposal=proposal, stage=stage, label=label, now=now, links=links)
    return sent


def _remind_members(
    session: Session, *, proposal: Proposal, stage: ChallengeStage, label: str, now: datetime, links: Links
) -> int:
    members = session.scalars(select(Membership.user_id).where(Membership.organisation_id == proposal.organisation_id))
    recipients = reminder_service.reminder_recipients(session, user_ids=members)
    for user in recipients:
        queue_email(
            session,
            to=user.email,
            template="draft_deadline_reminder",
            language=user.language,
            context={
                "challenge_title": stage.challenge.title(user.language),
                "reference": proposal.reference,
                "deadline": format_local_datetime(stage.deadline_at, user.language),
                "left": label,
                "link": links.url("proposal_detail", proposal_id=proposal.id),
                "account_link": links.url("account"),
            },
            now=now,
            user_id=user.id,
        )
    return len(recipients)
