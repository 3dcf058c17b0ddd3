"""Queries every part of the evaluation shares: a stage's proposals and their standing, the stage's
assignments, evaluations, scores and assessments, and whether the stage is sealed or released.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, select, update
from sqlalchemy.orm import Session, aliased, defer
from sqlalchemy.orm.attributes import set_committed_value

from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition
from app.errors import InvalidTransition, NotFound
from app.evaluations import permissions
from app.evaluations.assignments import rules as assignment_rules
from app.evaluations.enums import (
    AssignmentStatus,
    DecisionStatus,
    EvaluationStatus,
)
from app.evaluations.models import (
    Assignment,
    Decision,
    Evaluation,
    EvaluationScore,
    SecurityAssessment,
)
from app.i18n import N_
from app.organisations.enums import OrganisationStatus
from app.organisations.models import Organisation
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal, ProposalVersion


def definition_for(challenge: Challenge, number: int) -> ChallengeDefinition:
    """The definition of the challenge version a proposal answered (the criteria and weights it was told)."""
    for version in challenge.versions:
        if version.number == number:
            return challenge_service.version_definition(version)
    return challenge_service.current_definition(challenge)


@dataclass
class Standing:
    """A submitted proposal and the version that stands at the deadline."""

    proposal: Proposal
    version: ProposalVersion
    # Whether an administrator has verified the organisation (now, not at submission): staff see it.
    organisation_status: str = OrganisationStatus.UNVERIFIED.value

    @property
    def content(self) -> dict[str, Any]:
        return self.version.content

    @property
    def organisation_name(self) -> str:
        return str(self.content.get("organisation", {}).get("legal_name", ""))


def standing(session: Session, *, stage_id: int, proposal_ids: Iterable[int] | None = None) -> list[Standing]:
    """Every submitted proposal of a stage with its latest version, in one query, ordered by proposal id."""
    query = (
        select(Proposal, ProposalVersion, Organisation.status)
        .join(
            ProposalVersion,
            (ProposalVersion.proposal_id == Proposal.id) & (ProposalVersion.number == Proposal.version_count),
        )
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .where(Proposal.stage_id == stage_id, Proposal.status == ProposalStatus.SUBMITTED.value)
        .order_by(Proposal.id)
        .options(defer(Proposal.draft))  # the working copy is the company's, never evaluated
    )
    if proposal_ids is not None:
        query = query.where(Proposal.id.in_(list(proposal_ids)))
    return [Standing(proposal, version, status) for proposal, version, status in session.execute(query).all()]


def get_standing(session: Session, *, stage: ChallengeStage, proposal_id: int) -> Standing:
    found = standing(session, stage_id=stage.id, proposal_ids=[proposal_id])
    if not found:
        raise NotFound()
    return found[0]


def count_submitted(session: Session, *, stage_id: int) -> int:
    return int(
        session.scalar(
            select(func.count(Proposal.id)).where(
                Proposal.stage_id == stage_id, Proposal.status == ProposalStatus.SUBMITTED.value
            )
        )
        or 0
    )


def require_unsealed(stage: ChallengeStage, now: datetime) -> None:
    if permissions.is_sealed(stage, now):
        raise NotFound()


MSG_STAGE_RELEASED = N_("The decisions of this stage have been released: its evaluation can no longer change.")
MSG_CANCELLED = N_("The challenge is cancelled: there is nothing to assign, score or decide.")


def released_in_stage(stage_id: Any) -> Any:
    """Whether the stage's decisions have been released, as an SQL expression (``stage_id`` a column or a bound
    parameter). Release is all at once, so one released decision says so."""
    proposal = aliased(Proposal)
    return (
        select(Decision.proposal_id)
        .join(proposal, proposal.id == Decision.proposal_id)
        .where(proposal.stage_id == stage_id, Decision.status == DecisionStatus.RELEASED.value)
        .exists()
    )


@cache
def _released_statement() -> Any:  # built once: building it costs more than the database's answer
    return select(released_in_stage(bindparam("stage_id")))


def is_stage_released(session: Session, *, stage_id: int) -> bool:
    """Whether the stage's decisions have been released."""
    return bool(session.scalar(_released_statement(), {"stage_id": stage_id}))


def require_open_evaluation(session: Session, *, stage: ChallengeStage, released: bool | None = None) -> None:
    """Refuse any change to the evaluation of a stage whose challenge is cancelled or whose decisions have been
    released. ``released``: whether the stage was released, when this transaction has read it already (an
    evaluator's assignment is opened with it, ``open_assignment``); otherwise it is asked here."""
    if stage.challenge.is_cancelled:
        raise InvalidTransition(MSG_CANCELLED)
    if released is None:
        released = is_stage_released(session, stage_id=stage.id)
    if released:
        raise InvalidTransition(MSG_STAGE_RELEASED)


# A Core statement on the tables, built once: run through the ORM, each execution would build its cache key anew.
@cache
def _completion() -> Any:
    assignments = cast(Table, Assignment.__table__)
    evaluations, assessments = Evaluation.__table__, SecurityAssessment.__table__
    submitted = EvaluationStatus.SUBMITTED.value
    scored = select(evaluations.c.id).where(
        evaluations.c.assignment_id == assignments.c.id, evaluations.c.status == submitted
    )
    assessed = select(assessments.c.assignment_id).where(
        assessments.c.assignment_id == assignments.c.id, assessments.c.status == submitted
    )
    accepted = assignments.c.status == AssignmentStatus.ACCEPTED.value
    completed = and_(accepted, scored.exists(), assessed.exists())
    return (  # a row whose flag stays as it is is not written (no new row version, no log record)
        update(assignments)
        .where(assignments.c.id == bindparam("assignment_id"), assignments.c.completed != completed)
        .values(completed=completed)
    )


@cache
def _lock_statement() -> Any:  # Core, built once
    assignments = cast(Table, Assignment.__table__)
    return select(assignments.c.id).where(assignments.c.id == bindparam("assignment_id")).with_for_update()


def lock_assignment(session: Session, *, assignment_id: int) -> None:
    """Lock the assignment's row to the end of the transaction (PostgreSQL; a SQLite writer holds the database):
    whoever changes its declaration, evaluation or assessment takes it first, so each reads the others' commits
    (``record_completion(locked=True)`` counts on it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(_lock_statement(), {"assignment_id": assignment_id})


def record_completion(session: Session, *, assignment: Assignment, locked: bool = False) -> None:
    """Keep ``Assignment.completed`` (scores and security assessment both submitted) true to the rows, after a
    submit or a reopen of either has recorded its audit event.

    ``locked``: the caller holds the assignment's row lock since before it read the assignment with its
    evaluation and assessment (``open_assignment(lock=True)``; on SQLite the writer holds the database), and
    every other change of either half takes that lock first (the evaluator's forms, a coordinator's reopen), so
    the objects as loaded and changed are the rows as they stand: the flag is computed from them, and written
    only when it changes (no statement at all for the first half submitted).

    Otherwise one statement computes the flag from the rows. Called after the event, it is ordered after any
    other transaction's submit of the other half: on PostgreSQL the event's append holds the audit chain's lock
    to the commit (``app.audit.service.record_event``), so this statement, which sees whatever was committed
    when it starts, starts after the other transaction committed or before it appends (and that one's own
    statement then sees this). The scores submitted in one tab and the assessment in another, at the same
    moment, cannot each miss the other's and leave the assignment to do."""
    if locked:
        completed = is_completed(assignment)
        if completed != assignment.completed:
            session.connection().execute(_set_completed(), {"assignment_id": assignment.id, "flag": completed})
            set_committed_value(assignment, "completed", completed)
        return
    session.flush()
    session.connection().execute(_completion(), {"assignment_id": assignment.id})
    session.expire(assignment, ["completed"])


def is_completed(assignment: Assignment) -> bool:
    """Accepted, with its scores and its security assessment submitted (as loaded)."""
    submitted = EvaluationStatus.SUBMITTED.value
    evaluation, assessment = assignment.evaluation, assignment.assessment
    return (
        assignment.status == AssignmentStatus.ACCEPTED.value
        and evaluation is not None
        and evaluation.status == submitted
        and assessment is not None
        and assessment.status == submitted
    )


@cache
def _set_completed() -> Any:
    assignments = cast(Table, Assignment.__table__)
    return update(assignments).where(assignments.c.id == bindparam("assignment_id")).values(completed=bindparam("flag"))


def parties_of(item: Standing) -> assignment_rules.ProposalParties:
    """Every organisation of a proposal's consortium (lead first), as the conflict check compares them."""
    content = item.content
    lead = content.get("organisation") or {}
    organisations = [
        assignment_rules.OrganisationIdentity(
            organisation_id=lead.get("id") or item.proposal.organisation_id,
            kvk_number=lead.get("kvk_number"),
            country=lead.get("country"),
            registry_id=lead.get("registry_id"),
            name=lead.get("legal_name", ""),
        )
    ]
    for partner in content.get("partners") or []:
        organisations.append(
            assignment_rules.OrganisationIdentity(
                organisation_id=partner.get("organisation_id"),
                kvk_number=partner.get("kvk_number"),
                country=partner.get("country"),
                registry_id=partner.get("registry_id"),
                name=partner.get("legal_name", ""),
            )
        )
    return assignment_rules.ProposalParties(reference=item.proposal.reference, organisations=tuple(organisations))


def assignments_for_stage(session: Session, *, stage_id: int) -> list[Assignment]:
    return list(
        session.scalars(
            select(Assignment).where(Assignment.stage_id == stage_id).order_by(Assignment.proposal_id, Assignment.id)
        )
    )


def evaluations_by_assignment(session: Session, *, assignment_ids: Iterable[int]) -> dict[int, Evaluation]:
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = session.scalars(select(Evaluation).where(Evaluation.assignment_id.in_(ids)))
    return {row.assignment_id: row for row in rows}


def scores_by_evaluation(session: Session, *, evaluation_ids: Iterable[int]) -> dict[int, dict[str, EvaluationScore]]:
    ids = list(evaluation_ids)
    result: dict[int, dict[str, EvaluationScore]] = {}
    if not ids:
        return result
    for row in session.scalars(select(EvaluationScore).where(EvaluationScore.evaluation_id.in_(ids))):
        result.setdefault(row.evaluation_id, {})[row.criterion_key] = row
    return result


def assessments_by_assignment(session: Session, *, assignment_ids: Iterable[int]) -> dict[int, SecurityAssessment]:
    ids = list(assignment_ids)
    if not ids:
        return {}
    rows = session.scalars(select(SecurityAssessment).where(SecurityAssessment.assignment_id.in_(ids)))
    return {row.assignment_id: row for row in rows}


def stage_title(challenge: Challenge, stage: ChallengeStage, language: str) -> str:
    """The stage's title in a language, as the challenge's current definition gives it (its key if absent)."""
    for spec in challenge_service.current_definition(challenge).stages:
        if spec.key == stage.key:
            return spec.title.get(language)
    return stage.key
