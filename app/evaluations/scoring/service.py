"""The evaluator's work: the assignment, the declaration, the scores, the others' scores, and reopening (the
queue is in ``queue``).

Services take the session first and keyword-only arguments, never commit, raise domain errors and record
an audit event for every change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Select, Table, bindparam, insert, select
from sqlalchemy.orm import Session, contains_eager, defer
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeCoordinator, ChallengeStage, ChallengeVersion
from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations.assignments.service import stage_assignment
from app.evaluations.blind import service as blind_service
from app.evaluations.enums import (
    ASSIGNMENT_MACHINE,
    EVALUATION_MACHINE,
    SECURITY_ASSESSMENT_MACHINE,
    AssignmentStatus,
    EvaluationStatus,
)
from app.evaluations.models import (
    Assignment,
    ConflictDeclaration,
    Evaluation,
    EvaluationScore,
    SecurityAssessment,
)
from app.evaluations.schemas import DeclarationForm
from app.evaluations.service import (
    Standing,
    assessments_by_assignment,
    definition_for,
    evaluations_by_assignment,
    get_standing,
    lock_assignment,
    record_completion,
    released_in_stage,
    require_open_evaluation,
    scores_by_evaluation,
)
from app.i18n import N_
from app.inserts import insert_object
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.models import Organisation
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal, ProposalVersion
from app.statemachine import HasStatus

REQUIRED = N_("This field is required.")


@dataclass
class Opened:
    assignment: Assignment  # with its evaluation and assessment loaded (None when not begun)
    challenge: Challenge
    stage: ChallengeStage
    item: Standing
    definition: ChallengeDefinition
    released: bool = False  # the stage's decisions had been released when it was opened
    locked: bool = False  # opened with its row locked (``lock_assignment``): what it holds is current to the commit


@cache
def _opening_statement() -> Select[Any]:
    """``open_assignment``'s query, built once (building it and its cache key costs more than the answer)."""
    return (
        select(Assignment, Proposal, ChallengeStage, Challenge, ProposalVersion, Organisation.status, ChallengeVersion)
        .add_columns(released_in_stage(Proposal.stage_id))
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(ChallengeStage, ChallengeStage.id == Proposal.stage_id)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .outerjoin(
            ProposalVersion,
            (ProposalVersion.proposal_id == Proposal.id) & (ProposalVersion.number == Proposal.version_count),
        )
        .outerjoin(Organisation, Organisation.id == Proposal.organisation_id)
        .outerjoin(
            ChallengeVersion,
            (ChallengeVersion.challenge_id == Challenge.id)
            & (ChallengeVersion.number == ProposalVersion.challenge_version),
        )
        .outerjoin(Evaluation, Evaluation.assignment_id == Assignment.id)
        .outerjoin(SecurityAssessment, SecurityAssessment.assignment_id == Assignment.id)
        .where(Assignment.id == bindparam("assignment_id"))
        .options(
            defer(Proposal.draft),  # the company's working copy, never evaluated
            contains_eager(Assignment.evaluation),
            contains_eager(Assignment.assessment),
        )
    )


def open_assignment(session: Session, *, assignment_id: int, user: User, now: datetime, lock: bool = False) -> Opened:
    """The evaluator's own assignment after the deadline; 404 for anyone else, before it, or after a conflict.

    One query: the assignment with its evaluation and assessment, the proposal and the version that stands, the
    stage, the challenge and the version of its definition the proposal answered, and whether the stage is released.

    ``lock``, for a change (a declaration, scores, an assessment): on PostgreSQL the assignment's row is locked
    first, so the same form posted twice at once (two tabs, a double click) is read by the second only after the
    first has committed, and refused as already submitted rather than failing on the row the first inserted. A
    SQLite database has one writer at a time already.
    """
    if lock:
        lock_assignment(session, assignment_id=assignment_id)
    found = session.execute(_opening_statement(), {"assignment_id": assignment_id}).first()
    if found is None:
        raise NotFound()
    assignment, proposal, stage, challenge, version, organisation_status, definition_version, released = found
    if not permissions.can_open_assignment(user, assignment, stage, now):
        raise NotFound()
    if version is None or organisation_status is None or proposal.status != ProposalStatus.SUBMITTED.value:
        raise NotFound()  # as ``get_standing``: only a submitted proposal's standing version is evaluated
    definition = (
        challenge_service.version_definition(definition_version)
        if definition_version is not None
        else definition_for(challenge, version.challenge_version)
    )
    item = Standing(proposal, version, organisation_status)
    return Opened(assignment, challenge, stage, item, definition, bool(released), locked=lock)


def coordinator_emails(session: Session, *, challenge_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(ChallengeCoordinator, ChallengeCoordinator.user_id == User.id)
            .where(ChallengeCoordinator.challenge_id == challenge_id, User.is_active.is_(True))
            .order_by(User.id)
        )
    )


def declare(
    session: Session, *, opened: Opened, form: DeclarationForm, actor: Actor, now: datetime, links: Links
) -> Assignment:
    """Declare no conflict (content opens) or a conflict (the assignment is released; coordinators told)."""
    require_open_evaluation(session, stage=opened.stage, released=opened.released)
    if form.has_conflict and not form.reason:
        raise ValidationFailed(errors=[FieldError("reason", N_("Describe the conflict of interest."))])
    assignment = opened.assignment
    target = AssignmentStatus.CONFLICTED if form.has_conflict else AssignmentStatus.ACCEPTED
    if not ASSIGNMENT_MACHINE.allows(assignment.status, target):
        raise InvalidTransition(N_("The declaration has already been made."))
    session.add(
        ConflictDeclaration(
            assignment_id=assignment.id, has_conflict=form.has_conflict, reason=form.reason, declared_at=now
        )
    )
    session.flush()
    ASSIGNMENT_MACHINE.move(
        session,
        assignment,
        target,
        actor=actor,
        now=now,
        action="assignment.declare",
        data={"conflict": form.has_conflict, "reason": form.reason, "proposal_id": assignment.proposal_id},
    )
    if form.has_conflict:
        for coordinator in coordinator_emails(session, challenge_id=opened.challenge.id):
            queue_email(
                session,
                to=coordinator.email,
                template="evaluation_conflict",
                language=coordinator.language,
                context={
                    "reference": opened.item.proposal.reference,
                    "challenge_title": opened.challenge.title(coordinator.language),
                    "link": links.url("eval_assignments", slug=opened.challenge.slug, stage_key=opened.stage.key),
                },
                now=now,
                user_id=coordinator.id,
            )
    return assignment


def _check_scores(
    definition: ChallengeDefinition, raw: dict[str, tuple[str, str]], *, submit: bool
) -> tuple[dict[str, int | None], list[FieldError]]:
    from app.evaluations.schemas import justification_field, score_field

    scale = definition.scale
    parsed: dict[str, int | None] = {}
    errors: list[FieldError] = []
    for criterion in definition.criteria:
        text, justification = raw.get(criterion.key, ("", ""))
        value: int | None = None
        if text:
            try:
                value = int(text)
            except ValueError:
                errors.append(FieldError(score_field(criterion.key), N_("Choose a score on the scale.")))
            else:
                if not scale.min <= value <= scale.max:
                    errors.append(
                        FieldError(
                            score_field(criterion.key),
                            N_("Choose a score from %(min)s to %(max)s."),
                            {"min": scale.min, "max": scale.max},
                        )
                    )
                    value = None
        elif submit:
            errors.append(FieldError(score_field(criterion.key), N_("Choose a score on the scale.")))
        if submit and not justification:
            errors.append(FieldError(justification_field(criterion.key), N_("Give a justification for this score.")))
        if len(justification) > 10000:
            errors.append(
                FieldError(
                    justification_field(criterion.key),
                    N_("Enter at most %(max_length)s characters."),
                    {"max_length": 10000},
                )
            )
        parsed[criterion.key] = value
    return parsed, errors


def _parse_trl(text: str, *, submit: bool) -> tuple[int | None, list[FieldError]]:
    if not text:
        return None, ([FieldError("assessed_trl", N_("Choose the TRL you assess."))] if submit else [])
    try:
        value = int(text)
    except ValueError:
        return None, [FieldError("assessed_trl", N_("Choose a TRL from 1 to 9."))]
    if not 1 <= value <= 9:
        return None, [FieldError("assessed_trl", N_("Choose a TRL from 1 to 9."))]
    return value, []


def _store_scores(
    session: Session,
    *,
    opened: Opened,
    scores: dict[str, int | None],
    raw: dict[str, tuple[str, str]],
    trl: int | None,
    submit: bool,
    now: datetime,
) -> Evaluation:
    """The scores, their justifications and the assessed TRL written (the status is the caller's, but for a
    new evaluation submitted at once, inserted submitted). A new evaluation is inserted, and its scores in one
    statement, without the unit of work (``app.inserts``: it costs more than the database)."""
    evaluation = opened.assignment.evaluation
    if evaluation is None:
        evaluation = Evaluation(
            assignment_id=opened.assignment.id,
            status=(EvaluationStatus.SUBMITTED if submit else EvaluationStatus.DRAFT).value,
            assessed_trl=trl,
            created_at=now,
            updated_at=now,
            submitted_at=now if submit else None,
        )
        insert_object(session, evaluation)
        set_committed_value(opened.assignment, "evaluation", evaluation)
        rows = [
            {"evaluation_id": evaluation.id, "criterion_key": key, "score": value, "justification": raw[key][1]}
            for key, value in scores.items()
        ]
        scores_table = cast(Table, EvaluationScore.__table__)  # the table's insert: no ORM bulk layer for plain rows
        session.execute(insert(scores_table), rows)
        session.expire(evaluation, ["scores"])  # read back from the database when asked for
        return evaluation
    current = {row.criterion_key: row for row in evaluation.scores}
    for key, value in scores.items():
        row = current.get(key)
        if row is None:
            row = EvaluationScore(criterion_key=key)
            evaluation.scores.append(row)
        row.score = value
        row.justification = raw[key][1]
    evaluation.assessed_trl = trl
    evaluation.updated_at = now
    if submit:
        evaluation.submitted_at = now
    return evaluation


def save_evaluation(
    session: Session,
    *,
    opened: Opened,
    raw: dict[str, tuple[str, str]],
    assessed_trl: str,
    submit: bool,
    actor: Actor,
    now: datetime,
) -> Evaluation:
    """Save the scores as a draft, or submit them (every score and justification required; then locked)."""
    if not permissions.can_read_content(opened.assignment):
        raise NotFound()
    require_open_evaluation(session, stage=opened.stage, released=opened.released)
    evaluation = opened.assignment.evaluation
    if not permissions.can_edit_evaluation(evaluation):
        raise InvalidTransition(N_("This evaluation has been submitted; only a coordinator can reopen it."))
    scores, errors = _check_scores(opened.definition, raw, submit=submit)
    trl, trl_errors = _parse_trl(assessed_trl, submit=submit)
    if errors or trl_errors:
        raise ValidationFailed(errors=errors + trl_errors)
    created = evaluation is None
    evaluation = _store_scores(session, opened=opened, scores=scores, raw=raw, trl=trl, submit=submit, now=now)
    data = {"assignment_id": opened.assignment.id, "scores": scores, "assessed_trl": trl}
    # The evaluation has its id (``_store_scores`` inserts a new one, submitted already when it is submitted at
    # once): the event's append flushes the rest.
    if submit:
        EVALUATION_MACHINE.move(
            session,
            evaluation,
            EvaluationStatus.SUBMITTED,
            actor=actor,
            now=now,
            action="evaluation.submit",
            data=data,
            born=EvaluationStatus.DRAFT if created else None,
        )
        record_completion(session, assignment=opened.assignment, locked=opened.locked)
    else:
        record_event(
            session,
            actor=actor,
            action="evaluation.save",
            object_type="evaluation",
            object_id=evaluation.id,
            at=now,
            data=data,
        )
    return evaluation


@dataclass
class OtherEvaluation:
    label: str  # "Evaluator 2": never a name on the evaluator's page
    evaluation: Evaluation
    scores: dict[str, EvaluationScore]
    assessment: SecurityAssessment | None


def others_for(session: Session, *, opened: Opened) -> list[OtherEvaluation]:
    """Other evaluators' submitted work on the same proposal, only once one's own is submitted."""
    if not permissions.can_see_others(opened.assignment.evaluation):
        return []
    assignments = [
        a
        for a in session.scalars(
            select(Assignment).where(Assignment.proposal_id == opened.assignment.proposal_id).order_by(Assignment.id)
        )
        if a.id != opened.assignment.id
    ]
    evaluations = evaluations_by_assignment(session, assignment_ids=[a.id for a in assignments])
    submitted = [e for e in evaluations.values() if e.status == EvaluationStatus.SUBMITTED.value]
    scores = scores_by_evaluation(session, evaluation_ids=[e.id for e in submitted])
    assessments = assessments_by_assignment(session, assignment_ids=[a.id for a in assignments])
    result = []
    for number, evaluation in enumerate(sorted(submitted, key=lambda e: e.assignment_id), start=1):
        assessment = assessments.get(evaluation.assignment_id)
        if assessment is not None and assessment.status != EvaluationStatus.SUBMITTED.value:
            assessment = None
        result.append(OtherEvaluation(str(number), evaluation, scores.get(evaluation.id, {}), assessment))
    return result


def _tell_reopened(session: Session, *, assignment_id: int, reason: str, now: datetime, links: Links) -> None:
    """E-mail the evaluator that their evaluation was reopened, with the reason (names hidden when blind) and a link."""
    assignment = session.get_one(Assignment, assignment_id)
    evaluator = session.get_one(User, assignment.evaluator_id)
    proposal = session.get_one(Proposal, assignment.proposal_id)
    item = get_standing(session, stage=session.get_one(ChallengeStage, proposal.stage_id), proposal_id=proposal.id)
    challenge = session.get_one(Challenge, proposal.challenge_id)
    blind = definition_for(challenge, item.version.challenge_version).blind_scoring
    reason = blind_service.hider(session, item=item, blind=blind)(reason)
    queue_email(
        session,
        to=evaluator.email,
        template="evaluation_reopened",
        language=evaluator.language,
        context={
            "reference": proposal.reference,
            "reason": reason,
            "link": links.url("evaluate_assignment", assignment_id=assignment.id),
        },
        now=now,
        user_id=evaluator.id,
    )


def reopen_evaluation(
    session: Session,
    *,
    stage: ChallengeStage,
    evaluation_id: int,
    reason: str,
    actor: Actor,
    now: datetime,
    links: Links,
) -> Evaluation:
    """A coordinator reopens a submitted evaluation (and its security assessment); the evaluator is e-mailed the reason."""
    evaluation = session.get(Evaluation, evaluation_id)
    if evaluation is None:
        raise NotFound()
    lock_assignment(session, assignment_id=evaluation.assignment_id)  # the evaluator's forms wait meanwhile
    assignment = stage_assignment(session, stage=stage, assignment_id=evaluation.assignment_id)
    require_open_evaluation(session, stage=stage)
    if not EVALUATION_MACHINE.allows(evaluation.status, EvaluationStatus.REOPENED):
        raise InvalidTransition(N_("Only a submitted evaluation can be reopened."))
    if not reason:
        raise ValidationFailed(errors=[FieldError("reason", REQUIRED)])
    evaluation.reopened_at = now
    evaluation.reopen_reason = reason
    assessment = session.get(SecurityAssessment, evaluation.assignment_id)
    session.flush()
    EVALUATION_MACHINE.move(
        session,
        evaluation,
        EvaluationStatus.REOPENED,
        actor=actor,
        now=now,
        action="evaluation.reopen",
        data={"reason": reason},
    )
    if assessment is not None and assessment.status == EvaluationStatus.SUBMITTED.value:
        SECURITY_ASSESSMENT_MACHINE.move(
            session,
            cast(HasStatus, assessment),
            EvaluationStatus.REOPENED,
            actor=actor,
            now=now,
            object_id=assessment.assignment_id,
            action="security_assessment.reopen",
            data={"reason": reason},
        )
    record_completion(session, assignment=assignment)
    _tell_reopened(session, assignment_id=evaluation.assignment_id, reason=reason, now=now, links=links)
    return evaluation
