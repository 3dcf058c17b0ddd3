"""A stage's stored evaluation data as plain values, one query per kind for the whole stage (the results\nservice builds its pages from them).\n"""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.evaluations.enums import EVALUATION_MACHINE, AssignmentStatus, EvaluationStatus
from app.evaluations.models import (
    Assignment,
    ConsensusScore,
    Decision,
    Evaluation,
    EvaluationScore,
    SecurityAssessment,
)


class ScoreValue(NamedTuple):
    """One criterion's score of one evaluation, loaded as plain values (results pages load thousands)."""

    score: int | None
    justification: str


def score_values(session: Session, stage_id: int, only: list[int] | None) -> dict[int, dict[str, ScoreValue]]:
    """Every score of the stage's evaluations, by evaluation id (a join, not a list of ids: stages are large)."""
    from app.proposals.models import Proposal

    result: dict[int, dict[str, ScoreValue]] = {}
    query = (
        select(
            EvaluationScore.evaluation_id,
            EvaluationScore.criterion_key,
            EvaluationScore.score,
            EvaluationScore.justification,
        )
        .join(Evaluation, Evaluation.id == EvaluationScore.evaluation_id)
        .join(Assignment, Assignment.id == Evaluation.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.stage_id == stage_id)
    )
    if only is not None:
        query = query.where(Proposal.id.in_(only))
    for evaluation_id, key, score, justification in session.execute(query):
        result.setdefault(evaluation_id, {})[key] = ScoreValue(score, justification)
    return result


class AssignmentValue(NamedTuple):
    id: int
    proposal_id: int
    evaluator_id: int
    status: str

    @property
    def undeclared(self) -> bool:
        return self.status == AssignmentStatus.ASSIGNED

    @property
    def accepted(self) -> bool:
        return self.status == AssignmentStatus.ACCEPTED

    @property
    def conflicted(self) -> bool:
        return self.status == AssignmentStatus.CONFLICTED


class EvaluationValue(NamedTuple):
    id: int
    assignment_id: int
    status: str
    assessed_trl: int | None

    @property
    def is_draft(self) -> bool:
        return self.status == EvaluationStatus.DRAFT

    @property
    def status_label(self) -> str:
        return EVALUATION_MACHINE.label(self.status)


class AssessmentValue(NamedTuple):
    assignment_id: int
    status: str
    factors: dict[str, Any]

    @property
    def is_submitted(self) -> bool:
        return self.status == EvaluationStatus.SUBMITTED


def stage_rows(
    session: Session, stage_id: int, proposal_ids: set[int], only: list[int] | None
) -> tuple[list[AssignmentValue], dict[int, EvaluationValue], dict[int, AssessmentValue]]:
    """A stage's assignments, evaluations and security assessments as plain values, one query each."""
    from app.proposals.models import Proposal

    assignments = [
        AssignmentValue(*row)
        for row in session.execute(
            select(Assignment.id, Assignment.proposal_id, Assignment.evaluator_id, Assignment.status)
            .join(Proposal, Proposal.id == Assignment.proposal_id)
            .where(Proposal.stage_id == stage_id)
            .order_by(Assignment.proposal_id, Assignment.id)
        )
        if row[1] in proposal_ids
    ]
    in_stage = (
        select(Assignment.id).join(Proposal, Proposal.id == Assignment.proposal_id).where(Proposal.stage_id == stage_id)
    )
    if only is not None:
        in_stage = in_stage.where(Proposal.id.in_(only))
    evaluations = {
        row[1]: EvaluationValue(*row)
        for row in session.execute(
            select(Evaluation.id, Evaluation.assignment_id, Evaluation.status, Evaluation.assessed_trl).where(
                Evaluation.assignment_id.in_(in_stage)
            )
        )
    }
    assessments = {
        row[0]: AssessmentValue(*row)
        for row in session.execute(
            select(SecurityAssessment.assignment_id, SecurityAssessment.status, SecurityAssessment.factors).where(
                SecurityAssessment.assignment_id.in_(in_stage)
            )
        )
    }
    return assignments, evaluations, assessments


class ConsensusValue(NamedTuple):
    """One criterion's consensus; ``moderator`` is the name of who recorded it ("" once their account is gone)."""

    score: int
    rationale: str
    recorded_at: datetime | None = None
    moderator: str = ""


def consensus_values(session: Session, ids: list[int]) -> dict[int, dict[str, ConsensusValue]]:
    """Consensus per proposal and criterion as plain values (the results page reads thousands)."""
    result: dict[int, dict[str, ConsensusValue]] = {}
    if ids:
        rows = session.execute(
            select(
                ConsensusScore.proposal_id,
                ConsensusScore.criterion_key,
                ConsensusScore.score,
                ConsensusScore.rationale,
                ConsensusScore.recorded_at,
                User.name,
            )
            .outerjoin(User, User.id == ConsensusScore.moderator_id)
            .where(ConsensusScore.proposal_id.in_(ids))
        )
        for proposal_id, key, score, rationale, recorded_at, moderator in rows:
            result.setdefault(proposal_id, {})[key] = ConsensusValue(score, rationale, recorded_at, moderator or "")
    return result


def consensus_of(session: Session, ids: list[int]) -> dict[int, dict[str, ConsensusScore]]:
    result: dict[int, dict[str, ConsensusScore]] = {}
    if ids:
        for row in session.scalars(select(ConsensusScore).where(ConsensusScore.proposal_id.in_(ids))):
            result.setdefault(row.proposal_id, {})[row.criterion_key] = row
    return result


def decisions_of(session: Session, ids: list[int]) -> dict[int, Decision]:
    if not ids:
        return {}
    return {row.proposal_id: row for row in session.scalars(select(Decision).where(Decision.proposal_id.in_(ids)))}
