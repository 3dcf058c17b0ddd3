"""The coordinator's procurement route page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.dependencies import StaffUser
from app.challenges import service as challenge_service
from app.challenges.models import Challenge
from app.errors import InvalidTransition, NotPermitted, ValidationFailed
from app.evaluations.approvals import service as approval_service
from app.evaluations.dependencies import BASE, UnsealedChallenge
from app.evaluations.route import rules as route
from app.evaluations.route import service as route_service
from app.evaluations.schemas import RouteForm
from app.forms import form_values, parse_form, translate_errors
from app.i18n import translate
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()


def _route_page(
    request: Request,
    db: Session,
    challenge: Challenge,
    now: Any,
    *,
    viewer: int,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    thresholds = _thresholds(request)
    per_proposal = route_service.proposal_recommendations(db, challenge=challenge, now=now, thresholds=thresholds)
    advice = route_service.route_recommendation(
        db, challenge=challenge, now=now, thresholds=thresholds, per_proposal=per_proposal
    )
    current = route_service.get_route_decision(db, challenge_id=challenge.id)
    approval = (
        approval_service.route_approval(db, challenge=challenge, route=current, viewer=viewer) if current else None
    )
    context = {
        "approval": approval,
        "challenge": challenge,
        "definition": challenge_service.current_definition(challenge),
        "stage": None,
        "advice": advice,
        "per_proposal": per_proposal,
        "several_stages": len(challenge.stages) > 1,
        "current": current,
        "route_labels": route.ROUTE_LABELS,
        "factor_labels": route.FACTOR_LABELS,
        "rating_labels": route.RATING_LABELS,
        "errors": errors or {},
        "values": values
        or {"chosen": current.chosen if current else advice.route.value, "reason": current.reason if current else ""},
    }
    return render(request, "evaluations/route.html", context, status_code=status_code)


def _thresholds(request: Request) -> tuple[route.AdvThreshold, ...]:
    return route_service.adv_thresholds(request.app.state.settings.adv_threshold_periods())


@router.get(BASE + "/route", name="eval_route")
def route_page(request: Request, challenge: UnsealedChallenge, db: DbSession, now: Now, user: StaffUser) -> Response:
    return _route_page(request, db, challenge, now, viewer=user.id)


@router.post(BASE + "/route/approve", name="eval_route_approve")
def route_approve(
    request: Request,
    challenge: UnsealedChallenge,
    posted: PostedForm,
    slug: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    """Four eyes: a second coordinator, not the one who confirmed it, approves the confirmed route."""
    try:
        approval_service.approve_route(db, challenge=challenge, actor=actor_of(request, user), now=now)
        db.commit()
        return see_other(request, "eval_route", slug=slug)
    except (InvalidTransition, NotPermitted) as refused:
        db.rollback()
        status_code = 403 if isinstance(refused, NotPermitted) else 422
        errors = {"__all__": translate(language, refused.message)}
    return _route_page(request, db, challenge, now, viewer=user.id, errors=errors, status_code=status_code)


@router.post(BASE + "/route")
def route_decide(
    request: Request,
    challenge: UnsealedChallenge,
    posted: PostedForm,
    slug: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(RouteForm, values)
    if form is not None:
        try:
            route_service.decide_route(
                db,
                challenge=challenge,
                form=form,
                actor=actor_of(request, user),
                now=now,
                thresholds=_thresholds(request),
            )
            db.commit()
            return see_other(request, "eval_route", slug=slug)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    return _route_page(
        request,
        db,
        challenge,
        now,
        viewer=user.id,
        errors=translate_errors(language, errors),
        values=values,
        status_code=422,
    )
