"""Coordinator use cases: find managed challenges, create and edit drafts, publish, the dashboard.

Services take the session first, never commit, raise domain errors and record an audit event per change.
The later lifecycle (evaluation, cancelling) is in ``app.workspace.lifecycle``, corrections and extensions
in ``app.workspace.corrections``, coordinators and taxonomies in
``app.workspace.administration``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.audit.service import Actor, list_events, record_event
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeCoordinator, ChallengeStage
from app.challenges.permissions import can_manage_challenge, is_administrator
from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.i18n import N_
from app.proposals import service as proposal_service
from app.proposals.models import Proposal
from app.questions import service as question_service
from app.workspace.administration.service import list_coordinators

REASON_REQUIRED = N_("Give a reason.")


# --- finding challenges -------------------------------------------------------------------------


def list_managed_challenges(session: Session, *, user: User) -> list[Challenge]:
    """Every challenge for administrators; for a coordinator the ones assigned to them."""
    query = select(Challenge).options(selectinload(Challenge.stages)).order_by(Challenge.id.desc())
    if not is_administrator(user):
        query = query.join(ChallengeCoordinator, ChallengeCoordinator.challenge_id == Challenge.id).where(
            ChallengeCoordinator.user_id == user.id
        )
    return list(session.scalars(query))


def get_managed_challenge(session: Session, *, challenge_id: int, user: User) -> Challenge:
    """A challenge the user manages, with stages, tags and versions; NotFound for everyone else."""
    challenge = session.scalar(
        select(Challenge)
        .where(Challenge.id == challenge_id)
        .options(selectinload(Challenge.stages), selectinload(Challenge.tags), selectinload(Challenge.versions))
    )
    if challenge is None or not can_manage_challenge(session, user, challenge):
        raise NotFound()
    return challenge


def get_copyable_challenge(session: Session, *, challenge_id: int, user: User) -> Challenge:
    """A challenge to start a new one from: one the user manages, or any public one."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None:
        raise NotFound()
    if challenge.status == ChallengeStatus.DRAFT.value and not can_manage_challenge(session, user, challenge):
        raise NotFound()
    return challenge_service.get_challenge_by_slug(session, slug=challenge.slug)


# --- drafts -------------------------------------------------------------------------------------


def _check_slug_free(session: Session, *, slug: str, challenge_id: int | None = None) -> None:
    owner = session.scalar(select(Challenge.id).where(Challenge.slug == slug))
    if owner is not None and owner != challenge_id:
        raise ValidationFailed([FieldError("slug", N_("Another challenge already uses this web address."))])


def check_tags(session: Session, definition: ChallengeDefinition) -> None:
    problems = challenge_service.check_taxonomy(session, [definition])
    if problems:
        raise ValidationFailed(
            [FieldError(error.path.split("[")[0], N_("Choose tags from the list.")) for _, error in problems]
        )


def create_challenge(
    session: Session, *, definition: ChallengeDefinition, user: User, actor: Actor, now: datetime
) -> Challenge:
    """A new draft from a definition; a coordinator who creates it is assigned to it."""
    _check_slug_free(session, slug=definition.slug)
    check_tags(session, definition)
    challenge_service.save_definition(session, definition=definition, actor=actor, now=now)
    challenge = challenge_service.get_challenge_by_slug(session, slug=definition.slug)
    if not is_administrator(user):
        session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=user.id, assigned_at=now))
        session.flush()
    return challenge


def update_draft(
    session: Session, *, challenge: Challenge, definition: ChallengeDefinition, actor: Actor, now: datetime
) -> None:
    """Rewrite a draft's definition in place (drafts keep one version until they are published)."""
    if challenge.status != ChallengeStatus.DRAFT.value:
        raise InvalidTransition(current=challenge.status, to="edit")
    _check_slug_free(session, slug=definition.slug, challenge_id=challenge.id)
    check_tags(session, definition)
    content_hash = challenge_service.definition_hash(definition)
    if challenge_service.current_definition_hash(challenge) == content_hash:
        return
    challenge.slug = definition.slug
    challenge_service.replace_draft_definition(session, challenge=challenge, definition=definition, now=now)
    record_event(
        session,
        actor=actor,
        action="challenge.edit",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"slug": challenge.slug, "version": challenge.current_version, "hash": content_hash},
    )


# --- publishing ---------------------------------------------------------------


def _untranslated(node: Any, path: str = "") -> list[str]:
    """Paths of texts given in one language only (the schema requires both; older versions may not)."""
    found: list[str] = []
    if isinstance(node, dict):
        if set(node) == {"nl", "en"} and (not str(node["nl"]).strip() or not str(node["en"]).strip()):
            return [path]
        for key, value in node.items():
            found += _untranslated(value, f"{path}.{key}" if path else key)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _untranslated(value, f"{path}.{index}")
    return found


def publication_problems(session: Session, *, challenge: Challenge, now: datetime) -> list[FieldError]:
    """What keeps a draft from being published; empty when it is complete."""
    definition = challenge_service.current_definition(challenge)
    problems: list[FieldError] = []
    if not any(stage.deadline_at > now for stage in challenge.stages):
        problems.append(FieldError("stages", N_("At least one stage needs a deadline in the future.")))
    total = sum(criterion.weight for criterion in definition.criteria)
    if total != 100:
        problems.append(
            FieldError("criteria", N_("The criteria weights must add up to 100, not %(total)s."), {"total": total})
        )
    for path in _untranslated(definition.model_dump(mode="json")):
        problems.append(FieldError(path, N_("This text is missing in Dutch or English.")))
    if challenge_service.check_taxonomy(session, [definition]):
        problems.append(FieldError("tags", N_("Choose tags from the list.")))
    return problems


def publish_challenge(
    session: Session, *, challenge: Challenge, reason: str | None, actor: Actor, now: datetime
) -> None:
    """Publish a complete draft, with a reason; refused with the list of what is missing."""
    if challenge.status != ChallengeStatus.DRAFT.value:
        raise InvalidTransition(current=challenge.status, to=ChallengeStatus.PUBLISHED.value)
    problems = publication_problems(session, challenge=challenge, now=now)
    if not (reason or "").strip():
        problems.append(FieldError("reason", REASON_REQUIRED))
    if problems:
        raise ValidationFailed(problems)
    challenge_service.transition_challenge(
        session,
        challenge=challenge,
        to=ChallengeStatus.PUBLISHED,
        actor=actor,
        now=now,
        reason=reason.strip() if reason else None,
    )


# --- the dashboard ------------------------------------------------------------------------------


@dataclass
class StageCounts:
    stage: ChallengeStage
    drafts: int = 0
    submitted: int = 0
    withdrawn: int = 0
    reconfirmation_due: int = 0
    sealed: bool = True
    # After the deadline: submitted proposals whose re-confirmation never came (admissibility: evaluations).
    not_reconfirmed: int = 0


@dataclass
class Dashboard:
    challenge: Challenge
    stages: list[StageCounts]
    open_questions: int | None
    events: list[AuditEvent]
    coordinators: list[User] = field(default_factory=list)


def not_reconfirmed_at_deadline(session: Session, *, stage: ChallengeStage, now: datetime) -> list[Any]:
    """Hook for the admissibility decision (issue 5): submitted proposals still awaiting re-confirmation
    after the stage's deadline. Empty before the deadline (the sealing rule: counts only)."""
    if now < stage.deadline_at:
        return []
    return list(
        session.scalars(
            select(Proposal).where(
                Proposal.stage_id == stage.id,
                Proposal.status == "submitted",
                Proposal.reconfirmation_required_at.is_not(None),
            )
        )
    )


def challenge_dashboard(session: Session, *, challenge: Challenge, now: datetime) -> Dashboard:
    counts = proposal_service.count_proposals(session, challenge_id=challenge.id)
    stages = []
    for stage in challenge.stages:
        row = StageCounts(stage=stage, sealed=now < stage.deadline_at)
        found = counts.get(stage.key)
        if found is not None:
            row.drafts, row.submitted = int(found.drafts), int(found.submitted)
            row.withdrawn, row.reconfirmation_due = int(found.withdrawn), int(found.reconfirmation_due)
        row.not_reconfirmed = len(not_reconfirmed_at_deadline(session, stage=stage, now=now))
        stages.append(row)
    open_questions = question_service.count_open_questions(session, challenge_id=challenge.id)
    return Dashboard(
        challenge=challenge,
        stages=stages,
        open_questions=open_questions,
        events=list_events(session, object_type="challenge", object_id=str(challenge.id), limit=20),
        coordinators=list_coordinators(session, challenge_id=challenge.id),
    )
