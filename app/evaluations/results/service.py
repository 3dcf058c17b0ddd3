"""A stage's results: aggregation, calibration, consensus and the results table for exports.

Every query here loads a whole stage at once, so a page costs the same number of queries for 5 or 2,000
proposals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations import service as evaluation_service
from app.evaluations.eligibility import service as eligibility_service
from app.evaluations.enums import EvaluationStatus
from app.evaluations.models import (
    ConsensusScore,
    Decision,
    EligibilityDecision,
)
from app.evaluations.results import exports
from app.evaluations.results import rules as results_rules
from app.evaluations.results.queries import (
    AssessmentValue,
    AssignmentValue,
    ConsensusValue,
    EvaluationValue,
    ScoreValue,
    consensus_of,
    consensus_values,
    decisions_of,
    score_values,
    stage_rows,
)
from app.evaluations.results.rules import EvaluationPolicy
from app.evaluations.route.service import default_threshold
from app.evaluations.scoring import rules as scoring
from app.evaluations.service import Standing
from app.i18n import N_


def criterion_rules(definition: ChallengeDefinition) -> list[scoring.CriterionRule]:
    return [scoring.CriterionRule(c.key, c.weight, c.minimum) for c in definition.criteria]


@dataclass
class EvaluationRow:
    assignment: AssignmentValue
    evaluator: User
    evaluation: EvaluationValue | None
    scores: dict[str, ScoreValue]
    assessment: AssessmentValue | None
    total: float | None = None

    @property
    def submitted(self) -> bool:
        return self.evaluation is not None and self.evaluation.status == EvaluationStatus.SUBMITTED.value


@dataclass
class ProposalResult:
    standing: Standing
    eligibility: EligibilityDecision | None
    rows: list[EvaluationRow]
    stats: dict[str, scoring.CriterionStatistics]
    flagged: tuple[str, ...]
    consensus: dict[str, ConsensusValue]
    decision: Decision | None
    ranked: results_rules.RankedProposal | None = None
    mean_total: float | None = None

    proposal_id: int = 0
    reference: str = ""

    def __post_init__(self) -> None:
        self.proposal_id = self.standing.proposal.id
        self.reference = self.standing.proposal.reference

    @property
    def admissible(self) -> bool:
        return self.eligibility is None or self.eligibility.admissible

    @property
    def submitted_count(self) -> int:
        return sum(1 for row in self.rows if row.submitted)

    @property
    def consensus_pending(self) -> tuple[str, ...]:
        """The flagged criteria that have no consensus score yet: consensus is required while there are any."""
        return tuple(key for key in self.flagged if key not in self.consensus)


@dataclass
class StageResults:
    challenge: Challenge
    stage: ChallengeStage
    definition: ChallengeDefinition
    threshold: float
    proposals: list[ProposalResult]
    ranking: list[ProposalResult] = field(default_factory=list)
    evaluators: dict[int, User] = field(default_factory=dict)

    def by_id(self, proposal_id: int) -> ProposalResult:
        for item in self.proposals:
            if item.proposal_id == proposal_id:
                return item
        raise NotFound()


def _rows_by_proposal(
    assignments: list[AssignmentValue],
    evaluations: dict[int, EvaluationValue],
    scores: dict[int, dict[str, ScoreValue]],
    assessments: dict[int, AssessmentValue],
    evaluators: dict[int, User],
    weights: dict[str, int],
) -> dict[int, list[EvaluationRow]]:
    """Each proposal's evaluation rows, with the weighted total of every complete submitted evaluation."""
    keys = list(weights)
    by_proposal: dict[int, list[EvaluationRow]] = {}
    for assignment in assignments:
        evaluation = evaluations.get(assignment.id)
        row = EvaluationRow(
            assignment,
            evaluators[assignment.evaluator_id],
            evaluation,
            scores.get(evaluation.id, {}) if evaluation else {},
            assessments.get(assignment.id),
        )
        if row.submitted:
            complete = {k: row.scores[k].score for k in keys if k in row.scores and row.scores[k].score is not None}
            if len(complete) == len(keys):
                row.total = scoring.weighted_total(complete, weights)  # type: ignore[arg-type]
        by_proposal.setdefault(assignment.proposal_id, []).append(row)
    return by_proposal


def stage_results(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    now: datetime,
    policy: EvaluationPolicy,
    threshold: float | None = None,
    proposal_ids: list[int] | None = None,
) -> StageResults:
    """Everything the results, progress and consensus pages show, in a fixed number of queries.

    Disagreement is flagged at ``threshold`` when given (the results page's own), else at the policy's.
    """
    if permissions.is_sealed(stage, now):
        raise NotFound()
    definition = challenge_service.current_definition(challenge)
    configured = float(policy.disagreement_threshold)
    limit = threshold if threshold is not None and threshold > 0 else default_threshold(definition, configured)
    items = evaluation_service.standing(session, stage_id=stage.id, proposal_ids=proposal_ids)
    ids = [item.proposal.id for item in items]
    eligibility = eligibility_service.eligibility_of(session, proposal_ids=ids)
    assignments, evaluations, assessments = stage_rows(session, stage.id, set(ids), proposal_ids)
    scores = score_values(session, stage.id, proposal_ids)
    evaluator_ids = {a.evaluator_id for a in assignments}
    evaluators = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(evaluator_ids)))} if evaluator_ids else {}
    )
    consensus = consensus_values(session, ids)
    decisions = decisions_of(session, ids)
    weights = {c.key: c.weight for c in definition.criteria}
    keys = [c.key for c in definition.criteria]
    by_proposal = _rows_by_proposal(assignments, evaluations, scores, assessments, evaluators, weights)
    results = []
    for item in items:
        rows = by_proposal.get(item.proposal.id, [])
        submitted = [
            {k: s.score for k, s in row.scores.items() if s.score is not None and k in weights}
            for row in rows
            if row.submitted
        ]
        stats = scoring.proposal_statistics(submitted, keys)
        totals = [row.total for row in rows if row.total is not None]
        results.append(
            ProposalResult(
                standing=item,
                eligibility=eligibility.get(item.proposal.id),
                rows=rows,
                stats=stats,
                flagged=scoring.disagreement(stats, limit),
                consensus=consensus.get(item.proposal.id, {}),
                decision=decisions.get(item.proposal.id),
                mean_total=sum(totals) / len(totals) if totals else None,
            )
        )
    outcome = StageResults(challenge, stage, definition, limit, results, evaluators=evaluators)
    _rank(outcome)
    return outcome


def _rank(results: StageResults) -> None:
    admissible = [item for item in results.proposals if item.admissible]
    keys = {c.key for c in results.definition.criteria}
    entries = [
        results_rules.RankingEntry(
            reference=item.reference,
            received_at=item.standing.version.received_at,
            consensus={k: (item.consensus[k].score if k in item.consensus else None) for k in keys},
        )
        for item in admissible
    ]
    ranked = results_rules.ranking(
        entries, criterion_rules(results.definition), results.definition.knockout_total_minimum
    )
    by_reference = {item.reference: item for item in admissible}
    results.ranking = []
    for entry in ranked:
        item = by_reference[entry.reference]
        item.ranked = entry
        results.ranking.append(item)


def calibration(results: StageResults) -> results_rules.Calibration:
    """Advisory: per evaluator mean and spread, per proposal the z-normalised total."""
    weights = {c.key: c.weight for c in results.definition.criteria}
    rows = []
    for item in results.proposals:
        for row in item.rows:
            if row.submitted:
                values = {k: s.score for k, s in row.scores.items() if k in weights and s.score is not None}
                if len(values) == len(weights):
                    rows.append(results_rules.EvaluationScores(row.assignment.evaluator_id, item.reference, values))
    return results_rules.calibration(rows, weights)


def record_consensus(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    proposal_id: int,
    entries: dict[str, tuple[str, str]],
    actor: Actor,
    now: datetime,
) -> None:
    """The moderator's consensus score and rationale per criterion (every criterion at once)."""
    if permissions.is_sealed(stage, now):
        raise NotFound()
    evaluation_service.get_standing(session, stage=stage, proposal_id=proposal_id)
    evaluation_service.require_open_evaluation(session, stage=stage)
    definition = challenge_service.current_definition(challenge)
    scale = definition.scale
    errors: list[FieldError] = []
    parsed: dict[str, int] = {}
    for criterion in definition.criteria:
        text, rationale = entries.get(criterion.key, ("", ""))
        try:
            value = int(text)
        except ValueError:
            errors.append(FieldError(f"score_{criterion.key}", N_("Choose a score on the scale.")))
        else:
            if scale.min <= value <= scale.max:
                parsed[criterion.key] = value
            else:
                errors.append(
                    FieldError(
                        f"score_{criterion.key}",
                        N_("Choose a score from %(min)s to %(max)s."),
                        {"min": scale.min, "max": scale.max},
                    )
                )
        if not rationale:
            errors.append(FieldError(f"rationale_{criterion.key}", N_("Give the rationale of the consensus score.")))
    if errors:
        raise ValidationFailed(errors=errors)
    current = consensus_of(session, [proposal_id]).get(proposal_id, {})
    for key, value in parsed.items():
        row = current.get(key)
        if row is None:
            row = ConsensusScore(proposal_id=proposal_id, criterion_key=key, score=value, rationale="", recorded_at=now)
            session.add(row)
        row.score = value
        row.rationale = entries[key][1]
        row.moderator_id = actor.user_id
        row.recorded_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="consensus.record",
        object_type="proposal",
        object_id=proposal_id,
        at=now,
        data={"scores": parsed},
    )


def results_table(results: StageResults, *, language: str, with_names: bool) -> exports.ResultsTable:
    """The export's data: evaluators by name only for coordinators (``with_names``), else numbered, and their
    names and e-mail addresses blanked out of the free texts."""
    criteria = tuple(
        exports.CriterionColumn(c.key, c.title.get(language), c.weight) for c in results.definition.criteria
    )
    keys = {c.key for c in criteria}
    rows = []
    for item in results.ranking + [p for p in results.proposals if not p.admissible]:
        rows.append(
            exports.proposal_result(
                reference=item.reference,
                organisation=item.standing.organisation_name,
                criteria=criteria,
                evaluations=[_evaluated(row, keys, with_names) for row in item.rows if row.submitted],
                consensus={k: (item.consensus[k].score if k in item.consensus else None) for k in keys},
                ranked=item.ranked,
                threshold=results.threshold,
                rationales={k: value.rationale for k, value in item.consensus.items() if k in keys},
                admissible=None if item.eligibility is None else item.eligibility.admissible,
                eligibility_reason=item.eligibility.reason if item.eligibility is not None else "",
                outcome=item.decision.outcome if item.decision is not None else None,
                decision_status=item.decision.status if item.decision is not None else None,
            )
        )
    hidden = () if with_names else tuple(t for user in results.evaluators.values() for t in (user.name, user.email))
    return exports.ResultsTable(criteria=criteria, proposals=tuple(rows), hidden=hidden)


def _evaluated(row: EvaluationRow, keys: set[str], with_names: bool) -> exports.Evaluated:
    """One submitted evaluation for the export, with its submitted security assessment (a draft is left out)."""
    assessment = row.assessment
    factors = (
        {
            str(factor): (str(entry.get("rating") or ""), str(entry.get("justification") or ""))
            for factor, entry in assessment.factors.items()
            if isinstance(entry, dict)
        }
        if assessment is not None and assessment.status == EvaluationStatus.SUBMITTED.value
        else {}
    )
    return exports.Evaluated(
        name=row.evaluator.name if with_names else "",
        scores={k: s.score for k, s in row.scores.items() if k in keys and s.score is not None},
        justifications={k: s.justification for k, s in row.scores.items() if k in keys},
        assessed_trl=row.evaluation.assessed_trl if row.evaluation is not None else None,
        factors=factors,
    )
