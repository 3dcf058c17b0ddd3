"""Assigning in bulk: automatically (conflict-free, load-balanced, deterministic) and by CSV import/export."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations import assignment as assignment_rules
from app.evaluations import permissions
from app.evaluations import service as evaluation_service
from app.evaluations.enums import AssignmentStatus
from app.evaluations.models import Assignment
from app.i18n import N_


@dataclass
class AutoResult:
    created: int
    shortfalls: tuple[assignment_rules.Shortfall, ...]


def _require_unsealed(stage: ChallengeStage, now: datetime) -> None:
    if permissions.is_sealed(stage, now):
        raise NotFound()


def auto_assign(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    per_proposal: int,
    max_per_evaluator: int,
    actor: Actor,
    now: datetime,
    link: str | None = None,
) -> AutoResult:
    """Fill every admissible proposal up to ``per_proposal`` evaluators from the pool, never with a known conflict.

    With ``link`` (the evaluator's queue) each evaluator given proposals gets one e-mail saying how many.
    """
    _require_unsealed(stage, now)
    evaluation_service.require_open_evaluation(session, stage=stage)
    pool = evaluation_service.list_pool(session, challenge_id=challenge.id)
    if not pool:
        raise ValidationFailed(errors=[FieldError("per_proposal", N_("Add evaluators to the pool first."))])
    today = now.date()
    affiliations = evaluation_service.affiliations_by_user(session, user_ids=[u.id for u in pool])
    evaluators = [evaluation_service.evaluator_of(u, affiliations.get(u.id, []), today=today) for u in pool]
    items = evaluation_service.standing(session, stage_id=stage.id)
    eligibility = evaluation_service.eligibility_of(session, proposal_ids=[i.proposal.id for i in items])
    admissible = [i for i in items if i.proposal.id not in eligibility or eligibility[i.proposal.id].admissible]
    by_reference = {i.proposal.reference: i for i in items}
    existing: list[assignment_rules.Assignment] = []
    excluded: list[assignment_rules.Assignment] = []
    for a in evaluation_service.assignments_for_stage(session, stage_id=stage.id):
        pair = assignment_rules.Assignment(_reference(a.proposal_id), a.evaluator_id)
        (excluded if a.status == AssignmentStatus.CONFLICTED.value else existing).append(pair)
    plan = assignment_rules.assign(
        [evaluation_service.parties_of(i) for i in admissible],
        evaluators,
        per_proposal=per_proposal,
        max_per_evaluator=max_per_evaluator,
        existing=existing,
        excluded=excluded,
    )
    for pair in plan.new:
        session.add(
            Assignment(
                proposal_id=by_reference[pair.proposal].proposal.id,
                evaluator_id=pair.evaluator_id,
                status=AssignmentStatus.ASSIGNED.value,
                assigned_at=now,
                assigned_by_id=actor.user_id,
            )
        )
    session.flush()
    record_event(
        session,
        actor=actor,
        action="assignment.auto",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={
            "per_proposal": per_proposal,
            "max_per_evaluator": max_per_evaluator,
            "created": [[p.proposal, p.evaluator_id] for p in plan.new],
            "short": [s.proposal for s in plan.shortfalls],
        },
    )
    if link is not None:
        counts = Counter(pair.evaluator_id for pair in plan.new)
        evaluation_service.notify_assigned(session, challenge=challenge, stage=stage, counts=counts, link=link, now=now)
    return AutoResult(len(plan.new), plan.shortfalls)


def _reference(proposal_id: int) -> str:
    return f"P-{proposal_id:06d}"


def export_assignments(session: Session, *, stage: ChallengeStage, now: datetime) -> bytes:
    _require_unsealed(stage, now)
    assignments = [
        a
        for a in evaluation_service.assignments_for_stage(session, stage_id=stage.id)
        if a.status != AssignmentStatus.CONFLICTED.value
    ]
    ids = {a.evaluator_id for a in assignments}
    emails = {u.id: u.email for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    return assignment_rules.render_assignments_csv(
        (_reference(a.proposal_id), emails[a.evaluator_id]) for a in assignments
    )


def import_assignments(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    data: bytes,
    actor: Actor,
    now: datetime,
    link: str | None = None,
) -> int:
    """Create the assignments a CSV lists (``proposal,evaluator_email``); any bad row imports nothing.

    With ``link`` (the evaluator's queue) each evaluator given proposals gets one e-mail saying how many.
    """
    _require_unsealed(stage, now)
    evaluation_service.require_open_evaluation(session, stage=stage)
    items = evaluation_service.standing(session, stage_id=stage.id)
    pool = evaluation_service.list_pool(session, challenge_id=challenge.id)
    parsed = assignment_rules.parse_assignments_csv(
        data, proposals={i.proposal.reference for i in items}, evaluator_emails={u.email for u in pool}
    )
    if parsed.errors:
        raise ValidationFailed(errors=[FieldError("file", e.message, dict(e.params)) for e in parsed.errors])
    ids = {i.proposal.reference: i.proposal.id for i in items}
    users = {u.email.casefold(): u.id for u in pool}
    current = {
        (a.proposal_id, a.evaluator_id) for a in evaluation_service.assignments_for_stage(session, stage_id=stage.id)
    }
    pairs = [(ids[ref], users[email]) for ref, email in parsed.rows if (ids[ref], users[email]) not in current]
    outcome = evaluation_service.assign_many(
        session, challenge=challenge, stage=stage, pairs=pairs, actor=actor, now=now, source="csv", link=link
    )
    return outcome.created
