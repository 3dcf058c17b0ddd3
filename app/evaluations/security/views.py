"""The evaluator's security assessment page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.dependencies import EvaluatorUser
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations.blind import service as blind_service
from app.evaluations.route import rules as route
from app.evaluations.schemas import parse_assessment
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.security import rules as security_rules
from app.evaluations.security import service as security_service
from app.forms import errors_of, form_values, translate_errors
from app.loopviews import on_event_loop
from app.organisations.schemas import country_names
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()
FACTOR_FIELDS = "evaluations/_factor_fields.html"


def _security_page(
    request: Request,
    db: Session,
    opened: evaluator_service.Opened,
    language: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    """The page; when the challenge scores blind, the consortium unnamed and names hidden in the texts."""
    assessment = opened.assignment.assessment
    blind = opened.definition.blind_scoring
    if values is None:
        values = {}
        for factor, entry in (assessment.factors if assessment else {}).items():
            values[f"rating_{factor}"] = entry.get("rating", "")
            values[f"factor_justification_{factor}"] = entry.get("justification", "")
    released = opened.released
    editable = (assessment is None or not assessment.is_submitted) and not released
    factors, ratings = tuple(route.FACTOR_LABELS.items()), tuple((k.value, v) for k, v in route.RATING_LABELS.items())
    blank = None
    if editable and not values and not errors:  # the same for every proposal in a language: kept
        blank = request.app.state.blank_parts.render(FACTOR_FIELDS, language, {"factors": factors, "ratings": ratings})
    context = {
        "opened": opened,
        "assignment": opened.assignment,
        "challenge": opened.challenge,
        "assessment": assessment,
        "released": released,
        "editable": editable,
        "factors": factors,
        "ratings": ratings,
        "blank_factors": blank,
        "parties": blind_service.shown_parties(opened.item, blind=blind, language=language),
        "hide": blind_service.hider(db, item=opened.item, blind=blind),
        "members": security_rules.members_of(opened.item.content),
        "version": opened.item.version,
        "blind": opened.definition.blind_scoring,
        "countries": country_names(language),
        "errors": errors or {},
        "values": values,
        "scores_submitted": request.query_params.get("done") == "scores" and not errors,
    }
    return render(request, "evaluations/security.html", context, status_code=status_code)


@router.get("/evaluate/assignments/{assignment_id}/security", name="evaluate_security")
@on_event_loop
def security(
    request: Request, assignment_id: int, db: DbSession, now: Now, user: EvaluatorUser, language: Language
) -> Response:
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now)
    if not permissions.can_read_content(opened.assignment):
        raise NotFound()
    return _security_page(request, db, opened, language)


@router.post("/evaluate/assignments/{assignment_id}/security")
@on_event_loop
def security_save(
    request: Request,
    posted: PostedForm,
    assignment_id: int,
    db: DbSession,
    now: Now,
    user: EvaluatorUser,
    language: Language,
) -> Response:
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now, lock=True)
    if not permissions.can_read_content(opened.assignment):
        raise NotFound()
    values = form_values(posted)
    submit = values.get("action") == "submit"
    try:
        security_service.save_assessment(
            db,
            opened=opened,
            factors=parse_assessment(values),
            submit=submit,
            actor=actor_of(request, user),
            now=now,
        )
        evaluation = opened.assignment.evaluation
        db.commit()
        if not submit:
            return see_other(request, "evaluate_security", assignment_id=assignment_id)
        if permissions.can_edit_evaluation(evaluation):  # the scores are still to be submitted
            return see_other(request, "evaluate_assignment", query="done=assessment", assignment_id=assignment_id)
        return see_other(request, "evaluate_queue", query="done=evaluation")
    except (ValidationFailed, InvalidTransition) as failed:
        db.rollback()
        errors = errors_of(failed)
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now)
    return _security_page(
        request, db, opened, language, errors=translate_errors(language, errors), values=values, status_code=422
    )
