"""The procurement route: the recommendation and the coordinator's decision."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.models import Challenge
from app.challenges.schemas import ChallengeDefinition
from app.clock import to_local
from app.errors import FieldError, ValidationFailed
from app.evaluations.enums import EvaluationStatus
from app.evaluations.models import (
    Assignment,
    RouteDecision,
    SecurityAssessment,
)
from app.evaluations.route import rules as route
from app.evaluations.schemas import RouteForm
from app.evaluations.scoring import rules as scoring
from app.i18n import N_


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
    decision.reasons = [
        {"message": r.message, "params": plain_params(r.params)} for r in advice.reasons + advice.warnings
    ]
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


def plain_params(params: Any) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in dict(params).items()}
