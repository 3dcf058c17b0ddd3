"""A challenge's status changes besides publication, with what each one means for the people involved.

Evaluation starts only after the last deadline: moving earlier would close intake silently. Cancelling
needs a reason, closes intake, and e-mails every organisation with a draft or submission and every
follower of the challenge (through the outbox, in the same transaction).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge
from app.clock import AMSTERDAM
from app.errors import FieldError, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.workspace.challenges import service as manage

# Transitions that must say why (publishing is checked by ``publish_challenge``).
REASONED = frozenset({ChallengeStatus.CANCELLED})
STAGE_STILL_OPEN = N_(
    "A stage still accepts proposals until %(deadline)s, so the challenge cannot move to evaluation yet. Each "
    "stage can be evaluated once its own deadline has passed."
)


def change_status(
    session: Session,
    *,
    challenge: Challenge,
    to: ChallengeStatus,
    reason: str | None,
    actor: Actor,
    now: datetime,
    links: Links,
) -> None:
    """Any step of the lifecycle, through the one transition table; cancelling needs a reason and tells
    everyone involved; evaluation waits for the last deadline."""
    if to == ChallengeStatus.PUBLISHED:
        manage.publish_challenge(session, challenge=challenge, reason=reason, actor=actor, now=now)
        return
    text = (reason or "").strip() or None
    if to in REASONED and text is None:
        raise ValidationFailed([FieldError("reason", manage.REASON_REQUIRED)])
    if to == ChallengeStatus.EVALUATION:
        _check_intake_over(challenge, now=now)
    challenge_service.transition_challenge(session, challenge=challenge, to=to, actor=actor, now=now, reason=text)
    if to == ChallengeStatus.CANCELLED:
        challenge.cancelled_at = now
        notify_cancelled(session, challenge=challenge, now=now, links=links)


def _check_intake_over(challenge: Challenge, *, now: datetime) -> None:
    stage = challenge_service.current_stage(challenge, now)
    if stage is not None and now < stage.deadline_at:
        local = stage.deadline_at.astimezone(AMSTERDAM)
        raise ValidationFailed(
            [
                FieldError(
                    "to",
                    STAGE_STILL_OPEN,
                    {"deadline": f"{local:%Y-%m-%d %H:%M} {local.tzname()}"},
                )
            ]
        )


def notify_cancelled(session: Session, *, challenge: Challenge, now: datetime, links: Links) -> set[int]:
    """E-mail the members of every organisation with a draft or submission and every follower, once each, in
    their language; returns who."""
    from app.notifications.service import queue_email
    from app.organisations.models import Membership
    from app.proposals import service as proposal_service
    from app.questions.models import ChallengeFollower

    organisation_ids = proposal_service.organisation_ids_with_proposals(session, challenge_id=challenge.id)
    members = select(Membership.user_id).where(Membership.organisation_id.in_(organisation_ids))
    followers = select(ChallengeFollower.user_id).where(ChallengeFollower.challenge_id == challenge.id)
    users = session.scalars(
        select(User).where(User.is_active, User.id.in_(members.union(followers))).order_by(User.id)
    ).all()
    local = now.astimezone(AMSTERDAM)
    for user in users:
        queue_email(
            session,
            to=user.email,
            template="challenge_cancelled",
            language=user.language,
            context={
                "name": user.name,
                "title": challenge.title(user.language),
                "date": f"{local:%Y-%m-%d %H:%M} {local.tzname()}",
                "reason": challenge.status_reason or "",
                "link": links.url("challenge_detail", slug=challenge.slug),
            },
            now=now,
            user_id=user.id,
        )
    return {user.id for user in users}
