"""The due date form on the coordinator's assignments page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from app.accounts.dependencies import StaffUser
from app.errors import InvalidTransition, ValidationFailed
from app.evaluations.assignments.views import assignments_page
from app.evaluations.deadlines import service
from app.evaluations.dependencies import STAGE, EvaluationScope, stage_page
from app.forms import errors_of, form_values, translate_errors
from app.web import DbSession, Language, Now, PostedForm, actor_of

router = APIRouter()


@router.post(STAGE + "/due-date", name="eval_due_date")
def due_date(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    values = form_values(posted)
    try:
        service.set_due_date(
            db,
            challenge=scope.challenge,
            stage=scope.stage,
            text=str(values.get("due_on", "")),
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
        db.commit()
        return stage_page(request, "eval_assignments", scope)
    except (ValidationFailed, InvalidTransition) as failed:
        db.rollback()
        errors = translate_errors(language, errors_of(failed))
    return assignments_page(request, db, scope, now, errors=errors, values=values, status_code=422)
