"""Changes to a published challenge: formal corrections (a new version, re-confirmation) and deadline extensions.

Criteria, weights and the scale are frozen at publication (Aanbestedingswet 2012 art. 2.115). Other
domains are reached through their service modules: the Nota van Inlichtingen takes the notices
(``add_announcement``) and publishes them once (``publish_announcements``); proposals marks re-confirmations
and knows who has a draft or submission.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition
from app.clock import AMSTERDAM, local_to_utc
from app.errors import FieldError, InvalidTransition, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.proposals import service as proposal_service
from app.proposals.models import Proposal
from app.proposals.submissions import service as submission_service
from app.questions.nota import service as question_service
from app.workspace.challenges.forms import definition_errors
from app.workspace.challenges.service import REASON_REQUIRED, check_tags

# --- corrections and extensions after publication -------------------------------------------------


def _frozen_parts(definition: ChallengeDefinition) -> dict[str, Any]:
    return {
        "scale": [(level.value) for level in definition.scale.levels] + [definition.scale.min, definition.scale.max],
        "criteria": [(c.key, c.weight, c.minimum) for c in definition.criteria],
        "knockout": definition.knockout_total_minimum,
    }


def _check_frozen(before: ChallengeDefinition, after: ChallengeDefinition) -> list[FieldError]:
    errors: list[FieldError] = []
    if after.slug != before.slug:
        errors.append(FieldError("slug", N_("The web address cannot change after publication.")))
    old, new = _frozen_parts(before), _frozen_parts(after)
    if old["criteria"] != new["criteria"]:
        errors.append(FieldError("criteria", N_("Criteria, their weights and minimums are fixed after publication.")))
    if old["scale"] != new["scale"]:
        errors.append(FieldError("scale", N_("The scale is fixed after publication.")))
    if old["knockout"] != new["knockout"]:
        errors.append(FieldError("knockout_total_minimum", N_("The minimum total is fixed after publication.")))
    if [s.key for s in before.stages] != [s.key for s in after.stages]:
        errors.append(FieldError("stages", N_("Stages cannot be added or removed after publication.")))
    return errors


@dataclass
class DeadlineChange:
    stage: ChallengeStage
    old: datetime
    new: datetime


def _check_times(
    challenge: Challenge, before: ChallengeDefinition, after: ChallengeDefinition, *, now: datetime, days: int
) -> tuple[list[FieldError], list[DeadlineChange]]:
    """Deadlines may only move later, only before they pass; a late correction must extend the open stage."""
    errors: list[FieldError] = []
    changes: list[DeadlineChange] = []
    stages = {stage.key: stage for stage in challenge.stages}
    for index, (old, new) in enumerate(zip(before.stages, after.stages, strict=True)):
        stage = stages[old.key]
        if new.opens_at != old.opens_at and stage.opens_at <= now:
            errors.append(
                FieldError(f"stages.{index}.opens_at", N_("This stage has opened; its opening time is fixed."))
            )
        if new.deadline == old.deadline:
            continue
        if stage.deadline_at <= now:
            errors.append(FieldError(f"stages.{index}.deadline", N_("The deadline has passed; it cannot move.")))
        elif new.deadline < old.deadline:
            errors.append(FieldError(f"stages.{index}.deadline", N_("A deadline can only move later.")))
        else:
            changes.append(DeadlineChange(stage, stage.deadline_at, local_to_utc(new.deadline)))
    margin = timedelta(days=days)
    moved = {change.stage.key: change.new for change in changes}
    for index, spec in enumerate(after.stages):
        stage = stages[spec.key]
        if now < stage.deadline_at <= now + margin and moved.get(spec.key, stage.deadline_at) < now + margin:
            errors.append(
                FieldError(
                    f"stages.{index}.deadline",
                    N_("A correction this close to the deadline must extend it to at least %(days)s days from now."),
                    {"days": days},
                )
            )
    return errors, changes


def correct_challenge(
    session: Session,
    *,
    challenge: Challenge,
    definition: ChallengeDefinition,
    reason: str | None,
    actor: Actor,
    now: datetime,
    extension_days: int,
    links: Links,
) -> int:
    """A formal correction of a published challenge: a new version with its reason.

    Criteria, weights and the scale stay as published. Side effects: stage deadlines follow (an extension
    in the same step), the correction is announced in the Nota van Inlichtingen, every submitted proposal
    must be re-confirmed (its company is e-mailed), organisations with a proposal hear of an extension.
    Returns how many proposals need re-confirmation.
    """
    if challenge.status != ChallengeStatus.PUBLISHED.value:
        raise InvalidTransition(current=challenge.status, to="correct")
    before = challenge_service.current_definition(challenge)
    errors = _check_frozen(before, definition)
    changes: list[DeadlineChange] = []
    if not errors:
        time_errors, changes = _check_times(challenge, before, definition, now=now, days=extension_days)
        errors += time_errors
    if not (reason or "").strip():
        errors.append(FieldError("reason", REASON_REQUIRED))
    if errors:
        raise ValidationFailed(errors)
    text = (reason or "").strip()
    check_tags(session, definition)
    if challenge_service.definition_hash(definition) == challenge_service.current_definition_hash(challenge):
        raise ValidationFailed([FieldError("__all__", N_("Nothing was changed."))])
    challenge_service.save_definition(session, definition=definition, actor=actor, now=now, reason=text)
    record_event(
        session,
        actor=actor,
        action="challenge.correct",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"version": challenge.current_version, "reason": text, "extended": [c.stage.key for c in changes]},
    )
    _announce(
        session,
        challenge=challenge,
        title=(N_("Correction of the challenge (version %(n)s)"), {"n": challenge.current_version}),
        text=text,
        actor=actor,
        now=now,
    )
    told: set[int] = set()
    for change in changes:
        told |= _record_extension(session, challenge=challenge, change=change, reason=text, actor=actor, now=now)
    count = _require_reconfirmation(session, challenge=challenge, reason=text, actor=actor, now=now, links=links)
    told |= _asked_to_reconfirm(session, challenge=challenge, now=now)
    # One Nota version for the whole correction; whoever had an e-mail of their own above is not sent another.
    _publish_notices(session, challenge=challenge, actor=actor, now=now, already_told=told, links=links)
    return count


def extend_deadline(
    session: Session,
    *,
    challenge: Challenge,
    stage_key: str,
    deadline_local: datetime | None,
    reason: str | None,
    actor: Actor,
    now: datetime,
    links: Links,
) -> None:
    """Move a stage's deadline later, with a reason: a new version, an announcement, and e-mail to every
    organisation with a draft or a submission."""
    if challenge.status != ChallengeStatus.PUBLISHED.value:
        raise InvalidTransition(current=challenge.status, to="extend")
    stage = next((s for s in challenge.stages if s.key == stage_key), None)
    if stage is None:
        raise ValidationFailed([FieldError("stage", N_("Choose one of the options."))])
    errors: list[FieldError] = []
    if deadline_local is None:
        errors.append(FieldError("deadline", N_("Enter a date and time.")))
    if not (reason or "").strip():
        errors.append(FieldError("reason", REASON_REQUIRED))
    if errors:
        raise ValidationFailed(errors)
    assert deadline_local is not None
    # The definition keeps Europe/Amsterdam wall-clock minutes: compare what will be stored, not what was typed
    # (a time with an offset or with seconds would otherwise pass the check and be stored earlier).
    if deadline_local.tzinfo is not None:
        deadline_local = deadline_local.astimezone(AMSTERDAM)
    deadline_local = deadline_local.replace(tzinfo=None, second=0, microsecond=0)
    if stage.deadline_at <= now:
        raise ValidationFailed([FieldError("stage", N_("The deadline has passed; it cannot move."))])
    if local_to_utc(deadline_local) <= stage.deadline_at:
        raise ValidationFailed([FieldError("deadline", N_("The new deadline must be later than the current one."))])
    data = challenge_service.current_definition(challenge).model_dump(mode="python")
    for spec in data["stages"]:
        if spec["key"] == stage_key:
            spec["deadline"] = deadline_local
    try:
        definition = ChallengeDefinition.model_validate(data)
    except ValidationError as error:
        raise ValidationFailed(
            [FieldError("deadline", e.message, e.params) for e in definition_errors(error)]
        ) from None
    text = (reason or "").strip()
    old = stage.deadline_at
    challenge_service.save_definition(session, definition=definition, actor=actor, now=now, reason=text)
    told = _record_extension(
        session,
        challenge=challenge,
        change=DeadlineChange(stage, old, stage.deadline_at),
        reason=text,
        actor=actor,
        now=now,
    )
    _publish_notices(session, challenge=challenge, actor=actor, now=now, already_told=told, links=links)


def _record_extension(
    session: Session, *, challenge: Challenge, change: DeadlineChange, reason: str, actor: Actor, now: datetime
) -> set[int]:
    """Audit the extension, add its notice to the next Nota version, e-mail the companies; returns who was told."""
    record_event(
        session,
        actor=actor,
        action="challenge.extend",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={
            "stage": change.stage.key,
            "from": change.old.isoformat(),
            "to": change.new.isoformat(),
            "reason": reason,
        },
    )
    _announce(
        session,
        challenge=challenge,
        title=(N_("The deadline is extended"), {}),
        text=reason,
        actor=actor,
        now=now,
    )
    return notify_extension(session, challenge=challenge, stage=change.stage, reason=reason, now=now)


def notify_extension(
    session: Session, *, challenge: Challenge, stage: ChallengeStage, reason: str, now: datetime
) -> set[int]:
    """E-mail every member of every organisation with a draft or submission, in their language; returns who."""
    from app.notifications.service import queue_email
    from app.organisations.models import Membership

    organisation_ids = _organisations_with_proposals(session, challenge_id=challenge.id)
    if not organisation_ids:
        return set()
    users = session.scalars(
        select(User)
        .join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id.in_(organisation_ids), User.is_active)
        .distinct()
        .order_by(User.id)
    ).all()
    local = stage.deadline_at.astimezone(AMSTERDAM)
    for user in users:
        queue_email(
            session,
            to=user.email,
            template="challenge_deadline_extended",
            language=user.language,
            context={
                "name": user.name,
                "title": challenge.title(user.language),
                "deadline": f"{local:%Y-%m-%d %H:%M} {local.tzname()}",
                "reason": reason,
                "slug": challenge.slug,
            },
            now=now,
            user_id=user.id,
        )
    return {user.id for user in users}


# --- the other domains, reached where they exist --------------------------------------------------


def _organisations_with_proposals(session: Session, *, challenge_id: int) -> set[int]:
    return set(proposal_service.organisation_ids_with_proposals(session, challenge_id=challenge_id))


def _require_reconfirmation(
    session: Session, *, challenge: Challenge, reason: str, actor: Actor, now: datetime, links: Links
) -> int:
    return submission_service.require_reconfirmation(
        session, challenge=challenge, reason=reason, actor=actor, now=now, links=links
    )


def _publish_notices(
    session: Session, *, challenge: Challenge, actor: Actor, now: datetime, already_told: set[int], links: Links
) -> None:
    question_service.publish_announcements(
        session, challenge=challenge, actor=actor, now=now, already_told=already_told, links=links
    )


def _asked_to_reconfirm(session: Session, *, challenge: Challenge, now: datetime) -> set[int]:
    """Members of the organisations whose proposals were just marked for re-confirmation (they were e-mailed)."""
    from app.organisations.models import Membership

    return set(
        session.scalars(
            select(Membership.user_id)
            .join(Proposal, Proposal.organisation_id == Membership.organisation_id)
            .where(Proposal.challenge_id == challenge.id, Proposal.reconfirmation_required_at == now)
        )
    )


def _announce(
    session: Session, *, challenge: Challenge, title: tuple[str, dict[str, Any]], text: str, actor: Actor, now: datetime
) -> None:
    """Add a notice to the next Nota van Inlichtingen version (both languages; the reason as the coordinator wrote
    it). The caller publishes once, with ``_publish_notices``."""
    from app import i18n

    msgid, params = title
    question_service.add_announcement(
        session,
        challenge=challenge,
        title_nl=i18n.translate("nl", msgid, **params),
        title_en=i18n.translate("en", msgid, **params),
        text_nl=text,
        text_en=text,
        actor=actor,
        now=now,
    )
