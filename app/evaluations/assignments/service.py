"""The evaluator pool and the assignments of a stage: by hand, automatically and from a CSV file.

Services take the session first and keyword-only arguments, never commit, raise domain errors and record
an audit event for every change.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations import service as evaluation_service
from app.evaluations.affiliations import service as affiliation_service
from app.evaluations.assignments import rules as assignment_rules
from app.evaluations.deadlines.service import notify_assigned
from app.evaluations.eligibility import service as eligibility_service
from app.evaluations.enums import (
    AssignmentStatus,
    EvaluationStatus,
)
from app.evaluations.models import (
    Assignment,
    EligibilityDecision,
)
from app.evaluations.pool.service import is_challenge_coordinator, list_pool
from app.evaluations.service import Standing, get_standing, parties_of, require_open_evaluation
from app.i18n import N_
from app.links import Links
from app.proposals.models import Proposal


def _check_assignable(
    session: Session, *, stage: ChallengeStage, item: Standing, evaluator: User, today: date
) -> list[FieldError]:
    errors: list[FieldError] = []
    if not permissions.is_evaluator(evaluator):
        errors.append(FieldError("evaluator_id", MSG_NOT_EVALUATOR))
        return errors
    eligibility = session.get(EligibilityDecision, item.proposal.id)
    if eligibility is not None and not eligibility.admissible:
        errors.append(FieldError("proposal_id", MSG_INADMISSIBLE))
    existing = session.scalar(
        select(Assignment).where(Assignment.proposal_id == item.proposal.id, Assignment.evaluator_id == evaluator.id)
    )
    if existing is not None:
        errors.append(FieldError("evaluator_id", MSG_ALREADY))
    if is_challenge_coordinator(session, challenge_id=stage.challenge_id, user_id=evaluator.id):
        errors.append(FieldError("evaluator_id", MSG_COORDINATOR))
    candidate = affiliation_service.conflict_profile(session, evaluator, today=today)
    if assignment_rules.has_conflict(candidate, parties_of(item)):
        errors.append(FieldError("evaluator_id", MSG_CONFLICT))
    return errors


def _create_assignment(
    session: Session,
    *,
    stage: ChallengeStage,
    proposal_id: int,
    evaluator_id: int,
    actor: Actor,
    now: datetime,
) -> Assignment:
    """Assign one evaluator to one proposal, unless a known conflict, a double or inadmissibility blocks it.

    Tells nobody: ``assign`` e-mails the evaluator; a bulk action tells each evaluator once for all their new
    proposals (``notify_assigned``).
    """
    evaluation_service.require_unsealed(stage, now)
    require_open_evaluation(session, stage=stage)
    item = get_standing(session, stage=stage, proposal_id=proposal_id)
    evaluator = session.get(User, evaluator_id)
    if evaluator is None:
        raise ValidationFailed(errors=[FieldError("evaluator_id", N_("Choose an evaluator from the list."))])
    errors = _check_assignable(session, stage=stage, item=item, evaluator=evaluator, today=now.date())
    if errors:
        raise ValidationFailed(errors=errors)
    assignment = Assignment(
        proposal_id=proposal_id,
        evaluator_id=evaluator_id,
        stage_id=stage.id,
        status=AssignmentStatus.ASSIGNED.value,
        assigned_at=now,
        assigned_by_id=actor.user_id,
    )
    session.add(assignment)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="assignment.create",
        object_type="evaluation_assignment",
        object_id=assignment.id,
        at=now,
        data={"proposal_id": proposal_id, "evaluator_id": evaluator_id},
    )
    return assignment


def assign(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    proposal_id: int,
    evaluator_id: int,
    actor: Actor,
    now: datetime,
    links: Links,
) -> Assignment:
    """Assign one evaluator to one proposal (see ``_create_assignment``) and e-mail the evaluator a link to their queue."""
    assignment = _create_assignment(
        session, stage=stage, proposal_id=proposal_id, evaluator_id=evaluator_id, actor=actor, now=now
    )
    notify_assigned(session, challenge=challenge, stage=stage, counts={evaluator_id: 1}, links=links, now=now)
    return assignment


def unassign(session: Session, *, stage: ChallengeStage, assignment_id: int, actor: Actor, now: datetime) -> None:
    """Remove an assignment on which nothing was scored yet."""
    assignment = stage_assignment(session, stage=stage, assignment_id=assignment_id)
    require_open_evaluation(session, stage=stage)
    if assignment.evaluation is not None and assignment.evaluation.status != EvaluationStatus.DRAFT.value:
        raise InvalidTransition(N_("An assignment with a submitted evaluation cannot be removed."))
    record_event(
        session,
        actor=actor,
        action="assignment.remove",
        object_type="evaluation_assignment",
        object_id=assignment.id,
        at=now,
        data={"proposal_id": assignment.proposal_id, "evaluator_id": assignment.evaluator_id},
    )
    session.delete(assignment)
    session.flush()


def stage_assignment(session: Session, *, stage: ChallengeStage, assignment_id: int) -> Assignment:
    assignment = session.get(Assignment, assignment_id)
    if assignment is None or assignment.stage_id != stage.id:
        raise NotFound()
    return assignment


MSG_NOT_EVALUATOR = N_("Choose an evaluator from the list.")


MSG_INADMISSIBLE = N_("This proposal is not admissible and is not evaluated.")


MSG_ALREADY = N_("This evaluator is already assigned to this proposal.")


MSG_CONFLICT = N_("This evaluator has a known conflict of interest with this consortium.")


MSG_COORDINATOR = N_("This person coordinates this challenge and cannot be one of its evaluators.")


# The same refusals in a bulk import, naming the row's proposal and evaluator.
_BULK_MESSAGES = {
    MSG_NOT_EVALUATOR: N_("%(reference)s, %(email)s: this person is not an evaluator."),
    MSG_INADMISSIBLE: N_("%(reference)s, %(email)s: the proposal is not admissible."),
    MSG_ALREADY: N_("%(reference)s, %(email)s: already assigned."),
    MSG_CONFLICT: N_("%(reference)s, %(email)s: the evaluator has a known conflict of interest with this consortium."),
    MSG_COORDINATOR: N_("%(reference)s, %(email)s: this person coordinates this challenge."),
}


@dataclass
class AssignOutcome:
    created: int = 0
    errors: list[FieldError] = field(default_factory=list)


def assign_many(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    pairs: list[tuple[int, int]],
    actor: Actor,
    now: datetime,
    source: str,
    links: Links,
) -> AssignOutcome:
    """Create the (proposal id, evaluator id) pairs; all or nothing: one refused pair refuses the whole set.

    Each evaluator with new proposals gets one e-mail for the set, with a link to their queue.
    """
    require_open_evaluation(session, stage=stage)
    outcome = AssignOutcome()
    for proposal_id, evaluator_id in pairs:
        try:
            with session.begin_nested():
                _create_assignment(
                    session,
                    stage=stage,
                    proposal_id=proposal_id,
                    evaluator_id=evaluator_id,
                    actor=actor,
                    now=now,
                )
            outcome.created += 1
        except ValidationFailed as failed:
            user = session.get(User, evaluator_id)
            proposal = session.get(Proposal, proposal_id)
            params: dict[str, object] = {
                "reference": proposal.reference if proposal else str(proposal_id),
                "email": user.email if user else str(evaluator_id),
            }
            for error in failed.errors:
                outcome.errors.append(FieldError("file", _BULK_MESSAGES.get(error.message, MSG_CONFLICT), params))
    if outcome.errors:
        raise ValidationFailed(errors=outcome.errors)
    record_event(
        session,
        actor=actor,
        action="assignment.bulk",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"source": source, "created": outcome.created},
    )
    counts = Counter(evaluator_id for _, evaluator_id in pairs)
    notify_assigned(session, challenge=challenge, stage=stage, counts=counts, links=links, now=now)
    return outcome


@dataclass
class AutoResult:
    created: int
    shortfalls: tuple[assignment_rules.Shortfall, ...]


def _existing_pairs(
    session: Session, *, stage_id: int
) -> tuple[list[assignment_rules.Assignment], list[assignment_rules.Assignment]]:
    """The stage's current assignments as pairs: those that stand, and those refused for a conflict."""
    existing: list[assignment_rules.Assignment] = []
    excluded: list[assignment_rules.Assignment] = []
    references = _references(session, stage_id=stage_id)
    for a in evaluation_service.assignments_for_stage(session, stage_id=stage_id):
        pair = assignment_rules.Assignment(references[a.proposal_id], a.evaluator_id)
        (excluded if a.status == AssignmentStatus.CONFLICTED.value else existing).append(pair)
    return existing, excluded


def auto_assign(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    per_proposal: int,
    max_per_evaluator: int,
    actor: Actor,
    now: datetime,
    links: Links,
) -> AutoResult:
    """Fill every admissible proposal up to ``per_proposal`` evaluators from the pool, never with a known conflict.

    Each evaluator given proposals gets one e-mail saying how many, with a link to their queue.
    """
    evaluation_service.require_unsealed(stage, now)
    evaluation_service.require_open_evaluation(session, stage=stage)
    # A coordinator of the challenge never evaluates it (a pool member made coordinator before this rule).
    pool = [
        u
        for u in list_pool(session, challenge_id=challenge.id)
        if not is_challenge_coordinator(session, challenge_id=challenge.id, user_id=u.id)
    ]
    if not pool:
        raise ValidationFailed(errors=[FieldError("per_proposal", N_("Add evaluators to the pool first."))])
    evaluators = affiliation_service.conflict_profiles(session, pool, today=now.date())
    items = evaluation_service.standing(session, stage_id=stage.id)
    eligibility = eligibility_service.eligibility_of(session, proposal_ids=[i.proposal.id for i in items])
    admissible = [i for i in items if i.proposal.id not in eligibility or eligibility[i.proposal.id].admissible]
    by_reference = {i.proposal.reference: i for i in items}
    existing, excluded = _existing_pairs(session, stage_id=stage.id)
    plan = assignment_rules.assign(
        [evaluation_service.parties_of(i) for i in admissible],
        evaluators,
        per_proposal=per_proposal,
        max_per_evaluator=max_per_evaluator,
        existing=existing,
        excluded=excluded,
    )
    _add_planned(session, plan.new, by_reference=by_reference, actor=actor, now=now)
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
    counts = Counter(pair.evaluator_id for pair in plan.new)
    notify_assigned(session, challenge=challenge, stage=stage, counts=counts, links=links, now=now)
    return AutoResult(len(plan.new), plan.shortfalls)


def _add_planned(
    session: Session,
    pairs: Sequence[assignment_rules.Assignment],
    *,
    by_reference: dict[str, Any],
    actor: Actor,
    now: datetime,
) -> None:
    """Store the planned (proposal, evaluator) pairs as new assignments, not yet declared."""
    for pair in pairs:
        session.add(
            Assignment(
                proposal_id=by_reference[pair.proposal].proposal.id,
                evaluator_id=pair.evaluator_id,
                stage_id=by_reference[pair.proposal].proposal.stage_id,
                status=AssignmentStatus.ASSIGNED.value,
                assigned_at=now,
                assigned_by_id=actor.user_id,
            )
        )
    session.flush()


def _references(session: Session, *, stage_id: int) -> dict[int, str]:
    """Proposal id -> reference, for every proposal of the stage."""
    rows = session.execute(select(Proposal.id, Proposal.reference).where(Proposal.stage_id == stage_id))
    return {proposal_id: reference for proposal_id, reference in rows}


def export_assignments(session: Session, *, stage: ChallengeStage, now: datetime) -> bytes:
    evaluation_service.require_unsealed(stage, now)
    assignments = [
        a
        for a in evaluation_service.assignments_for_stage(session, stage_id=stage.id)
        if a.status != AssignmentStatus.CONFLICTED.value
    ]
    ids = {a.evaluator_id for a in assignments}
    emails = {u.id: u.email for u in session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    references = _references(session, stage_id=stage.id)
    return assignment_rules.render_assignments_csv(
        (references[a.proposal_id], emails[a.evaluator_id]) for a in assignments
    )


def import_assignments(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    data: bytes,
    actor: Actor,
    now: datetime,
    links: Links,
) -> int:
    """Create the assignments a CSV lists (``proposal,evaluator_email``); any bad row imports nothing.

    Each evaluator given proposals gets one e-mail saying how many, with a link to their queue.
    """
    evaluation_service.require_unsealed(stage, now)
    evaluation_service.require_open_evaluation(session, stage=stage)
    items = evaluation_service.standing(session, stage_id=stage.id)
    pool = list_pool(session, challenge_id=challenge.id)
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
    outcome = assign_many(
        session, challenge=challenge, stage=stage, pairs=pairs, actor=actor, now=now, source="csv", links=links
    )
    return outcome.created
