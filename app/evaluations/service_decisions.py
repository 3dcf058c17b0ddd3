"""The coordinators' results: aggregation, calibration, consensus, ranking, shortlist, procurement route,
decisions and their release. The arithmetic is in ``scoring`` and ``route`` (pure); this module loads,
feeds them and records what the coordinator decides.

Every query here loads a whole stage at once, so a page costs the same number of queries for 5 or 2,000
proposals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition
from app.clock import to_local
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import exports, permissions, route, scoring
from app.evaluations import service as evaluation_service
from app.evaluations.enums import DECISION_TRANSITIONS, DecisionOutcome, DecisionStatus, EvaluationStatus
from app.evaluations.models import (
    Assignment,
    ConsensusScore,
    Decision,
    EligibilityDecision,
    Evaluation,
    EvaluationScore,
    RouteDecision,
    SecurityAssessment,
)
from app.evaluations.schemas import DecisionForm, RouteForm
from app.evaluations.service import Standing
from app.i18n import N_, translate, translate_plural
from app.links import Links
from app.notifications.service import queue_email


def adv_thresholds(periods: Sequence[tuple[int, date, date | None]]) -> tuple[route.AdvThreshold, ...]:
    """The configured ADV thresholds (settings ``adv_thresholds``) for the route recommendation."""
    return tuple(route.AdvThreshold(euros, start, end) for euros, start, end in periods)


def default_threshold(
    definition: ChallengeDefinition, points_on_five: float = scoring.DEFAULT_DISAGREEMENT_THRESHOLD
) -> float:
    """The disagreement threshold: the configured points on a 0-5 scale, proportionally on other scales (>= 1)."""
    span = definition.scale.max - definition.scale.min
    return max(1, round(points_on_five * span / 5))


def criterion_rules(definition: ChallengeDefinition) -> list[scoring.CriterionRule]:
    return [scoring.CriterionRule(c.key, c.weight, c.minimum) for c in definition.criteria]


class ScoreValue(NamedTuple):
    """One criterion's score of one evaluation, loaded as plain values (results pages load thousands)."""

    score: int | None
    justification: str


def _score_values(session: Session, stage_id: int, only: list[int] | None) -> dict[int, dict[str, ScoreValue]]:
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


class EvaluationValue(NamedTuple):
    id: int
    assignment_id: int
    status: str
    assessed_trl: int | None


class AssessmentValue(NamedTuple):
    assignment_id: int
    status: str
    factors: dict[str, Any]


def _stage_rows(
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
    ranked: scoring.RankedProposal | None = None
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


def stage_results(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    now: datetime,
    threshold: float | None = None,
    proposal_ids: list[int] | None = None,
) -> StageResults:
    """Everything the results, progress and consensus pages show, in a fixed number of queries."""
    if permissions.is_sealed(stage, now):
        raise NotFound()
    definition = challenge_service.current_definition(challenge)
    configured = float(session.info.get("disagreement_threshold", scoring.DEFAULT_DISAGREEMENT_THRESHOLD))
    limit = threshold if threshold is not None and threshold > 0 else default_threshold(definition, configured)
    items = evaluation_service.standing(session, stage_id=stage.id, proposal_ids=proposal_ids)
    ids = [item.proposal.id for item in items]
    eligibility = evaluation_service.eligibility_of(session, proposal_ids=ids)
    assignments, evaluations, assessments = _stage_rows(session, stage.id, set(ids), proposal_ids)
    scores = _score_values(session, stage.id, proposal_ids)
    evaluator_ids = {a.evaluator_id for a in assignments}
    evaluators = (
        {u.id: u for u in session.scalars(select(User).where(User.id.in_(evaluator_ids)))} if evaluator_ids else {}
    )
    consensus = _consensus_values(session, ids)
    decisions = _decisions_of(session, ids)
    weights = {c.key: c.weight for c in definition.criteria}
    keys = [c.key for c in definition.criteria]
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
        scoring.RankingEntry(
            reference=item.reference,
            received_at=item.standing.version.received_at,
            consensus={k: (item.consensus[k].score if k in item.consensus else None) for k in keys},
        )
        for item in admissible
    ]
    ranked = scoring.ranking(entries, criterion_rules(results.definition), results.definition.knockout_total_minimum)
    by_reference = {item.reference: item for item in admissible}
    results.ranking = []
    for entry in ranked:
        item = by_reference[entry.reference]
        item.ranked = entry
        results.ranking.append(item)


class ConsensusValue(NamedTuple):
    """One criterion's consensus; ``moderator`` is the name of who recorded it ("" once their account is gone)."""

    score: int
    rationale: str
    recorded_at: datetime | None = None
    moderator: str = ""


def _consensus_values(session: Session, ids: list[int]) -> dict[int, dict[str, ConsensusValue]]:
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


def _consensus_of(session: Session, ids: list[int]) -> dict[int, dict[str, ConsensusScore]]:
    result: dict[int, dict[str, ConsensusScore]] = {}
    if ids:
        for row in session.scalars(select(ConsensusScore).where(ConsensusScore.proposal_id.in_(ids))):
            result.setdefault(row.proposal_id, {})[row.criterion_key] = row
    return result


def _decisions_of(session: Session, ids: list[int]) -> dict[int, Decision]:
    if not ids:
        return {}
    return {row.proposal_id: row for row in session.scalars(select(Decision).where(Decision.proposal_id.in_(ids)))}


def calibration(results: StageResults) -> scoring.Calibration:
    """Advisory: per evaluator mean and spread, per proposal the z-normalised total."""
    weights = {c.key: c.weight for c in results.definition.criteria}
    rows = []
    for item in results.proposals:
        for row in item.rows:
            if row.submitted:
                values = {k: s.score for k, s in row.scores.items() if k in weights and s.score is not None}
                if len(values) == len(weights):
                    rows.append(scoring.EvaluationScores(row.assignment.evaluator_id, item.reference, values))
    return scoring.calibration(rows, weights)


# --- consensus ------------------------------------------------------------------------------------


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
    current = _consensus_of(session, [proposal_id]).get(proposal_id, {})
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


# --- procurement route ----------------------------------------------------------------------------


def route_recommendation(
    session: Session,
    *,
    challenge: Challenge,
    now: datetime,
    thresholds: Sequence[route.AdvThreshold] = (),
) -> route.RouteRecommendation:
    """The portal's advice from the challenge's data and every submitted security assessment."""
    definition = challenge_service.current_definition(challenge)
    from app.proposals.models import Proposal

    assessments = session.scalars(
        select(SecurityAssessment)
        .join(Assignment, Assignment.id == SecurityAssessment.assignment_id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.challenge_id == challenge.id, SecurityAssessment.status == EvaluationStatus.SUBMITTED.value)
    )
    ratings = {a.assignment_id: {k: v["rating"] for k, v in a.factors.items() if v.get("rating")} for a in assessments}
    return route.recommend_route(
        military_equipment=definition.procurement.military_equipment,
        sensitive=definition.procurement.sensitive,
        estimated_value_eur=definition.procurement.estimated_value_eur,
        thresholds=thresholds,
        decision_date=to_local(now).date(),
        ratings=ratings,
    )


def get_route_decision(session: Session, *, challenge_id: int) -> RouteDecision | None:
    return session.get(RouteDecision, challenge_id)


def decide_route(
    session: Session,
    *,
    challenge: Challenge,
    form: RouteForm,
    actor: Actor,
    now: datetime,
    thresholds: Sequence[route.AdvThreshold] = (),
) -> RouteDecision:
    """Confirm the recommended route, or override it with a reason; kept with the challenge and audited."""
    advice = route_recommendation(session, challenge=challenge, now=now, thresholds=thresholds)
    recommended = advice.route.value
    if form.chosen.value != recommended and not form.reason:
        raise ValidationFailed(
            errors=[FieldError("reason", N_("Give the reason for choosing another route than the one recommended."))]
        )
    decision = session.get(RouteDecision, challenge.id)
    if decision is None:
        decision = RouteDecision(
            challenge_id=challenge.id, recommended=recommended, reasons=[], chosen="", decided_at=now
        )
        session.add(decision)
    decision.recommended = recommended
    decision.reasons = [{"message": r.message, "params": _plain(r.params)} for r in advice.reasons + advice.warnings]
    decision.chosen = form.chosen.value
    decision.reason = form.reason
    decision.decided_by_id = actor.user_id
    decision.decided_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="procurement_route.confirm" if form.chosen.value == recommended else "procurement_route.override",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"recommended": recommended, "chosen": form.chosen.value, "reason": form.reason},
    )
    return decision


def _plain(params: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in dict(params).items()}


# --- shortlist and decisions ----------------------------------------------------------------------


def next_stage(challenge: Challenge, stage: ChallengeStage) -> ChallengeStage | None:
    later = [s for s in challenge.stages if s.position > stage.position]
    return min(later, key=lambda s: s.position) if later else None


def _move(decision: Decision, target: DecisionStatus) -> None:
    if target not in DECISION_TRANSITIONS[DecisionStatus(decision.status)]:
        raise InvalidTransition(N_("The decision has been released and cannot change."))
    decision.status = target.value


def prepare_decision(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    proposal_id: int,
    form: DecisionForm,
    actor: Actor,
    now: datetime,
) -> Decision:
    """Prepare (or change) one proposal's decision and feedback; a change needs a new review."""
    if permissions.is_sealed(stage, now):
        raise NotFound()
    evaluation_service.get_standing(session, stage=stage, proposal_id=proposal_id)
    evaluation_service.require_open_evaluation(session, stage=stage)
    if form.outcome == DecisionOutcome.INVITE and next_stage(challenge, stage) is None:
        raise ValidationFailed(
            errors=[FieldError("outcome", N_("This is the last stage: there is no next stage to invite to."))]
        )
    decision = session.get(Decision, proposal_id)
    if decision is None:
        decision = Decision(
            proposal_id=proposal_id, outcome=form.outcome.value, feedback=form.feedback, prepared_at=now
        )
        decision.status = DecisionStatus.PREPARED.value
        session.add(decision)
    else:
        _move(decision, DecisionStatus.PREPARED)
    decision.outcome = form.outcome.value
    decision.feedback = form.feedback
    decision.prepared_by_id = actor.user_id
    decision.prepared_at = now
    decision.reviewed_by_id = None
    decision.reviewed_at = None
    session.flush()
    record_event(
        session,
        actor=actor,
        action="decision.prepare",
        object_type="proposal",
        object_id=proposal_id,
        at=now,
        data={"outcome": form.outcome.value},
    )
    return decision


def review_decisions(session: Session, *, stage: ChallengeStage, actor: Actor, now: datetime) -> int:
    """Mark every prepared decision of the stage as reviewed; returns how many."""
    if permissions.is_sealed(stage, now):
        raise NotFound()
    evaluation_service.require_open_evaluation(session, stage=stage)
    ids = [item.proposal.id for item in evaluation_service.standing(session, stage_id=stage.id)]
    count = 0
    for decision in _decisions_of(session, ids).values():
        if decision.status == DecisionStatus.PREPARED.value:
            _move(decision, DecisionStatus.REVIEWED)
            decision.reviewed_by_id = actor.user_id
            decision.reviewed_at = now
            count += 1
    session.flush()
    record_event(
        session,
        actor=actor,
        action="decision.review",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"count": count},
    )
    return count


@dataclass
class ReleasePreview:
    """What releasing a stage's decisions does, or why it cannot be done yet."""

    decisions: int
    outcomes: list[tuple[str, int]]  # (outcome, how many), in the order of ``DecisionOutcome``
    companies: int  # companies with at least one active member to e-mail
    closes_challenge: bool  # the last stage: the challenge becomes "decided"
    problems: list[FieldError]


@dataclass(frozen=True)
class ReleaseRecord:
    """When, by whom and to how many companies a stage's decisions were released."""

    released_at: datetime
    released_by: str
    decisions: int
    companies: int


def _release_problems(pending: list[ProposalResult]) -> list[FieldError]:
    problems: list[FieldError] = []
    for item in pending:
        if item.decision is None:
            problems.append(
                FieldError("__all__", N_("%(reference)s has no decision yet."), {"reference": item.reference})
            )
        elif item.decision.status != DecisionStatus.REVIEWED.value:
            problems.append(
                FieldError(
                    "__all__", N_("The decision on %(reference)s has not been reviewed."), {"reference": item.reference}
                )
            )
    if not pending:
        problems.append(FieldError("__all__", N_("There are no decisions to release.")))
    return problems


def _outcome_counts(pending: list[ProposalResult]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in pending:
        if item.decision is not None:
            counts[item.decision.outcome] = counts.get(item.decision.outcome, 0) + 1
    return counts


def _notified(session: Session, pending: list[ProposalResult]) -> tuple[dict[int, list[User]], int]:
    """The e-mail recipients per organisation, and how many companies have at least one."""
    organisations = {item.standing.proposal.organisation_id for item in pending}
    recipients = evaluation_service.organisation_recipients(session, organisation_ids=organisations)
    return recipients, sum(1 for organisation_id in organisations if recipients.get(organisation_id))


def release_preview(session: Session, *, challenge: Challenge, stage: ChallengeStage, now: datetime) -> ReleasePreview:
    """What the confirmation page says before release: the decisions by outcome and who is e-mailed."""
    results = stage_results(session, challenge=challenge, stage=stage, now=now)
    pending = [item for item in results.proposals if item.admissible]
    counts = _outcome_counts(pending)
    _, companies = _notified(session, pending)
    return ReleasePreview(
        decisions=sum(counts.values()),
        outcomes=[(outcome.value, counts[outcome.value]) for outcome in DecisionOutcome if outcome.value in counts],
        companies=companies,
        closes_challenge=next_stage(challenge, stage) is None,
        problems=_release_problems(pending),
    )


def release_record(session: Session, *, stage: ChallengeStage) -> ReleaseRecord | None:
    """The stage's release as the audit trail recorded it; None before release."""
    event = session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.action == "decision.release",
            AuditEvent.object_type == "challenge_stage",
            AuditEvent.object_id == str(stage.id),
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    if event is None:
        return None
    user = session.get(User, event.actor_id) if event.actor_id is not None else None
    count = int(event.data.get("count", 0))
    return ReleaseRecord(
        released_at=event.occurred_at,
        released_by=user.name if user is not None else event.actor_label,
        decisions=count,
        companies=int(event.data.get("companies", count)),
    )


# A challenge can be decided from these statuses (from "published" through "evaluation").
_DECIDABLE = frozenset(
    {ChallengeStatus.PUBLISHED.value, ChallengeStatus.EVALUATION.value, ChallengeStatus.DECIDED.value}
)


def _decide_challenge(session: Session, *, challenge: Challenge, actor: Actor, now: datetime) -> None:
    """After the last stage's release the challenge is decided, through "evaluation" if it was still published."""
    if challenge.status == ChallengeStatus.PUBLISHED.value:
        challenge_service.transition_challenge(
            session, challenge=challenge, to=ChallengeStatus.EVALUATION, actor=actor, now=now
        )
    if challenge.status == ChallengeStatus.EVALUATION.value:
        challenge_service.transition_challenge(
            session, challenge=challenge, to=ChallengeStatus.DECIDED, actor=actor, now=now
        )


def release_decisions(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    actor: Actor,
    now: datetime,
    link: Callable[[int], str],
) -> int:
    """Release every decision of the stage together and e-mail each company its decision, consensus and feedback.

    Refused unless every admissible proposal has a reviewed decision, and once the stage is released (release
    closes the stage's evaluation for good). Releasing the last stage moves the challenge to "decided".
    Never an evaluator's identity.
    """
    evaluation_service.require_open_evaluation(session, stage=stage)
    closes_challenge = next_stage(challenge, stage) is None
    if closes_challenge and challenge.status not in _DECIDABLE:
        raise InvalidTransition(
            N_("This challenge has been cancelled or archived: its decisions can no longer be released.")
        )
    results = stage_results(session, challenge=challenge, stage=stage, now=now)
    pending = [item for item in results.proposals if item.admissible]
    problems = _release_problems(pending)
    if problems:
        raise ValidationFailed(errors=problems)
    recipients, companies = _notified(session, pending)
    titles = {c.key: c.title for c in results.definition.criteria}
    outcomes = _outcome_counts(pending)
    for item in pending:
        decision = item.decision
        assert decision is not None
        _move(decision, DecisionStatus.RELEASED)
        decision.released_at = now
        item.standing.proposal.decision_released_at = now
        decision.released_scores = {
            key: {"score": row.score, "rationale": row.rationale, "title": titles[key].model_dump()}
            for key, row in item.consensus.items()
            if key in titles
        }
        decision.released_result = _release_snapshot(results, item)
        for user in recipients.get(item.standing.proposal.organisation_id, []):
            language = user.language
            queue_email(
                session,
                to=user.email,
                template="decision_released",
                language=language,
                context={
                    "reference": item.reference,
                    "challenge_title": challenge.title(language),
                    "outcome": decision.outcome,
                    "feedback": decision.feedback,
                    "result": released_result(decision, language),
                    "link": link(item.proposal_id),
                },
                now=now,
                user_id=user.id,
            )
    session.flush()
    record_event(
        session,
        actor=actor,
        action="decision.release",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"count": len(pending), "companies": companies, "outcomes": outcomes},
    )
    if closes_challenge:
        _decide_challenge(session, challenge=challenge, actor=actor, now=now)
    return len(pending)


# The knock-out rules a company is told about; a missing consensus score is not a rule it failed.
KNOCK_OUT_RULES = frozenset({scoring.MSG_BELOW_CRITERION_MINIMUM, scoring.MSG_BELOW_TOTAL_MINIMUM})


def _release_snapshot(results: StageResults, item: ProposalResult) -> dict[str, Any]:
    """What the company is told at release, kept as ``Decision.released_result``: never an evaluator."""
    ranked = item.ranked
    criteria = []
    for criterion in results.definition.criteria:
        consensus = item.consensus.get(criterion.key)
        criteria.append(
            {
                "key": criterion.key,
                "title": criterion.title.model_dump(),
                "weight": criterion.weight,
                "score": consensus.score if consensus else None,
                "rationale": consensus.rationale if consensus else "",
            }
        )
    return {
        "criteria": criteria,
        "scale": {"min": results.definition.scale.min, "max": results.definition.scale.max},
        "total": ranked.total if ranked else None,
        "rank": ranked.rank if ranked else None,
        "ranked": sum(1 for entry in results.ranking if entry.ranked is not None and entry.ranked.rank is not None),
        "knock_outs": [
            {"message": reason.message, "params": _plain(reason.params)}
            for reason in (ranked.knock_out.reasons if ranked else ())
            if reason.message in KNOCK_OUT_RULES
        ],
    }


@dataclass(frozen=True)
class ReleasedCriterion:
    title: str
    weight: int
    score: int | None
    rationale: str


@dataclass(frozen=True)
class ReleasedResult:
    """A released decision's scores and standing as the company reads them, in one language.

    ``standing`` says the rank ("Rank 2 of 5 ranked proposals.") or that the proposal was not ranked;
    ``knock_outs`` the rules it failed, in words.
    """

    criteria: tuple[ReleasedCriterion, ...]
    scale_max: int
    total: str | None
    standing: str
    knock_outs: tuple[str, ...]


def released_result(decision: Decision, language: str) -> ReleasedResult | None:
    """The snapshot kept at release in ``language``; None for a decision released before it was kept."""
    snapshot = decision.released_result
    if not snapshot:
        return None
    titles = {entry["key"]: entry["title"].get(language, entry["key"]) for entry in snapshot["criteria"]}
    criteria = tuple(
        ReleasedCriterion(titles[entry["key"]], entry["weight"], entry["score"], entry["rationale"])
        for entry in snapshot["criteria"]
    )
    knock_outs = []
    for entry in snapshot["knock_outs"]:
        params = dict(entry["params"])
        if isinstance(params.get("total"), float):
            params["total"] = f"{params['total']:.2f}"
        if "criterion" in params:
            params["criterion"] = titles.get(str(params["criterion"]), params["criterion"])
        knock_outs.append(translate(language, entry["message"], **params))
    rank = snapshot["rank"]
    if rank is not None:
        standing = translate_plural(
            language,
            "Rank %(rank)s of %(num)d ranked proposal.",
            "Rank %(rank)s of %(num)d ranked proposals.",
            snapshot["ranked"],
            rank=rank,
        )
    elif knock_outs:
        standing = translate(language, "Not ranked: the proposal did not pass a knock-out rule.")
    else:
        standing = translate(language, "Not ranked.")
    total = snapshot["total"]
    return ReleasedResult(
        criteria=criteria,
        scale_max=snapshot["scale"]["max"],
        total=None if total is None else f"{total:.2f}",
        standing=standing,
        knock_outs=tuple(knock_outs),
    )


def shortlist(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    top: int,
    actor: Actor,
    now: datetime,
    feedback: str,
) -> list[str]:
    """Prepare an 'invite' (or, in the last stage, 'award') decision for the best ``top`` ranked proposals."""
    results = stage_results(session, challenge=challenge, stage=stage, now=now)
    evaluation_service.require_open_evaluation(session, stage=stage)
    chosen = scoring.shortlist([item.ranked for item in results.ranking if item.ranked], top=top)
    outcome = DecisionOutcome.INVITE if next_stage(challenge, stage) is not None else DecisionOutcome.AWARD
    by_reference = {item.reference: item for item in results.ranking}
    for reference in chosen:
        item = by_reference[reference]
        if item.decision is None or item.decision.status != DecisionStatus.RELEASED.value:
            prepare_decision(
                session,
                challenge=challenge,
                stage=stage,
                proposal_id=item.proposal_id,
                form=DecisionForm(outcome=outcome, feedback=feedback),
                actor=actor,
                now=now,
            )
    record_event(
        session,
        actor=actor,
        action="evaluation.shortlist",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"proposals": list(chosen)},
    )
    return list(chosen)


def invite_shortlisted(
    session: Session, *, challenge: Challenge, stage: ChallengeStage, actor: Actor, now: datetime, links: Links
) -> int:
    """Invite the companies of released 'invite' decisions to the next stage (a prefilled draft each)."""
    from app.proposals.models import Proposal
    from app.proposals.submissions import service as proposal_service

    target = next_stage(challenge, stage)
    if target is None:
        raise InvalidTransition(N_("This is the last stage: there is no next stage to invite to."))
    ids = [item.proposal.id for item in evaluation_service.standing(session, stage_id=stage.id)]
    count = 0
    for decision in _decisions_of(session, ids).values():
        if (
            decision.outcome == DecisionOutcome.INVITE.value
            and decision.status == DecisionStatus.RELEASED.value
            and decision.invited_proposal_id is None
        ):
            proposal = session.get_one(Proposal, decision.proposal_id)
            invited = proposal_service.invite_to_stage(
                session, proposal=proposal, stage=target, actor=actor, now=now, links=links
            )
            decision.invited_proposal_id = invited.id
            count += 1
    session.flush()
    record_event(
        session,
        actor=actor,
        action="evaluation.invite_next_stage",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"count": count, "next_stage": target.key},
    )
    return count


def released_decision(session: Session, *, proposal_id: int) -> Decision | None:
    decision = session.get(Decision, proposal_id)
    return decision if permissions.is_released(decision) else None


# --- exports --------------------------------------------------------------------------------------


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
