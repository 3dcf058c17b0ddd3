"""The procurement route: the advice per proposal, the route recommended for the challenge from it, and the
coordinator's decision."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition
from app.clock import to_local
from app.errors import FieldError, ValidationFailed
from app.evaluations import permissions
from app.evaluations import service as evaluation_service
from app.evaluations.enums import ROUTE_MACHINE, EvaluationStatus, RouteStatus
from app.evaluations.models import (
    Assignment,
    RouteDecision,
    SecurityAssessment,
)
from app.evaluations.route import rules as route
from app.evaluations.schemas import RouteForm
from app.evaluations.scoring import rules as scoring
from app.evaluations.security import rules as security_rules
from app.i18n import N_
from app.statemachine import HasStatus


def adv_thresholds(periods: Sequence[tuple[int, date, date | None]]) -> tuple[route.AdvThreshold, ...]:
    """The configured ADV thresholds (settings ``adv_thresholds``) for the route recommendation."""
    return tuple(route.AdvThreshold(euros, start, end) for euros, start, end in periods)


def day_without_threshold(periods: Sequence[tuple[int, date, date | None]], *, now: datetime) -> date | None:
    """Today (Europe/Amsterdam) when no configured ADV threshold is valid on it, else None: the dashboards warn."""
    today = to_local(now).date()
    return today if route.threshold_on(adv_thresholds(periods), today) is None else None


def default_threshold(
    definition: ChallengeDefinition, points_on_five: float = scoring.DEFAULT_DISAGREEMENT_THRESHOLD
) -> float:
    """The disagreement threshold: the configured points on a 0-5 scale, proportionally on other scales (>= 1)."""
    span = definition.scale.max - definition.scale.min
    return max(1, round(points_on_five * span / 5))


@dataclass(frozen=True)
class ProposalAdvice:
    """The route advice for one proposal, from its own assessments and its consortium's frozen ownership."""

    proposal_id: int
    reference: str
    organisation_name: str
    stage: ChallengeStage
    advice: route.RouteRecommendation


def _ratings_by_proposal(session: Session, proposal_ids: list[int]) -> dict[int, dict[int, dict[str, str]]]:
    """Per proposal, every submitted assessment's ratings by assignment."""
    rows = session.execute(
        select(Assignment.proposal_id, SecurityAssessment)
        .join(SecurityAssessment, SecurityAssessment.assignment_id == Assignment.id)
        .where(
            Assignment.proposal_id.in_(proposal_ids),
            SecurityAssessment.status == EvaluationStatus.SUBMITTED.value,
        )
    )
    ratings: dict[int, dict[int, dict[str, str]]] = {}
    for proposal_id, assessment in rows:
        factors = {k: v["rating"] for k, v in assessment.factors.items() if v.get("rating")}
        ratings.setdefault(proposal_id, {})[assessment.assignment_id] = factors
    return ratings


def _advise(
    definition: ChallengeDefinition,
    *,
    now: datetime,
    thresholds: Sequence[route.AdvThreshold],
    ratings: dict[int, dict[str, str]],
    members: list[security_rules.MemberControl],
) -> route.RouteRecommendation:
    return route.recommend_route(
        military_equipment=definition.procurement.military_equipment,
        sensitive=definition.procurement.sensitive,
        estimated_value_eur=definition.procurement.estimated_value_eur,
        thresholds=thresholds,
        decision_date=to_local(now).date(),
        ratings=ratings,
        members=len(members),
        flagged_members=sum(1 for member in members if member.flagged),
    )


def proposal_recommendations(
    session: Session,
    *,
    challenge: Challenge,
    now: datetime,
    thresholds: Sequence[route.AdvThreshold] = (),
) -> list[ProposalAdvice]:
    """The advice for every proposal standing in a stage past its deadline, each from its own assessments."""
    definition = challenge_service.current_definition(challenge)
    items = [
        (stage, item)
        for stage in challenge.stages
        if not permissions.is_sealed(stage, now)
        for item in evaluation_service.standing(session, stage_id=stage.id)
    ]
    ratings = _ratings_by_proposal(session, [item.proposal.id for _, item in items])
    return [
        ProposalAdvice(
            proposal_id=item.proposal.id,
            reference=item.proposal.reference,
            organisation_name=item.organisation_name,
            stage=stage,
            advice=_advise(
                definition,
                now=now,
                thresholds=thresholds,
                ratings=ratings.get(item.proposal.id, {}),
                members=security_rules.members_of(item.content),
            ),
        )
        for stage, item in items
    ]


def route_recommendation(
    session: Session,
    *,
    challenge: Challenge,
    now: datetime,
    thresholds: Sequence[route.AdvThreshold] = (),
    per_proposal: Sequence[ProposalAdvice] | None = None,
) -> route.RouteRecommendation:
    """The route recommended for the challenge: the most far-reaching of its proposals' advice (``per_proposal``
    when already made), with each proposal's route as a reason."""
    if per_proposal is None:
        per_proposal = proposal_recommendations(session, challenge=challenge, now=now, thresholds=thresholds)
    definition = challenge_service.current_definition(challenge)
    alone = _advise(definition, now=now, thresholds=thresholds, ratings={}, members=[])
    return route.summarise([(item.reference, item.advice) for item in per_proposal], without_proposals=alone)


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
            challenge_id=challenge.id,
            recommended=recommended,
            reasons=[],
            chosen="",
            decided_at=now,
            status=RouteStatus.CONFIRMED.value,
        )
        session.add(decision)
    withdrawn = decision.approved_by_id if decision.status == RouteStatus.APPROVED.value else None
    decision.recommended = recommended
    decision.reasons = [
        {"message": r.message, "params": plain_params(r.params)} for r in advice.reasons + advice.warnings
    ]
    decision.chosen = form.chosen.value
    decision.reason = form.reason
    decision.decided_by_id = actor.user_id
    decision.decided_at = now
    # Four eyes: the confirmed route awaits a second coordinator's approval; confirming again withdraws one.
    decision.approved_by_id = None
    decision.approved_at = None
    session.flush()
    ROUTE_MACHINE.move(
        session,
        cast(HasStatus, decision),
        RouteStatus.CONFIRMED,
        actor=actor,
        now=now,
        object_id=challenge.id,
        action="procurement_route.confirm" if form.chosen.value == recommended else "procurement_route.override",
        data={
            "recommended": recommended,
            "chosen": form.chosen.value,
            "reason": form.reason,
            "confirmed_by": _user_name(session, actor.user_id),
            "approval_withdrawn_from": _user_name(session, withdrawn),
        },
    )
    return decision


def _user_name(session: Session, user_id: int | None) -> str | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user.name if user is not None else None


def plain_params(params: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in dict(params).items()}
