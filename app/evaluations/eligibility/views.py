"""The coordinator's admissibility page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.dependencies import StaffUser
from app.challenges import service as challenge_service
from app.errors import InvalidTransition, ValidationFailed
from app.evaluations import service as evaluation_service
from app.evaluations.dependencies import STAGE, EvaluationScope, Scope, base_context, stage_page
from app.evaluations.eligibility import service as eligibility_service
from app.evaluations.schemas import EligibilityForm
from app.forms import errors_of, form_values, parse_form, translate_errors
from app.organisations.schemas import country_names
from app.web import DbSession, Language, Now, PostedForm, actor_of, render

router = APIRouter()


def _eligibility_page(
    request: Request,
    db: Session,
    scope: Scope,
    language: str,
    *,
    errors: dict[str, str] | None = None,
    failed_id: int | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    items = evaluation_service.standing(db, stage_id=scope.stage.id)
    eligibility = eligibility_service.eligibility_of(db, proposal_ids=[i.proposal.id for i in items])
    definition = challenge_service.current_definition(scope.challenge)
    context = base_context(
        scope,
        items=items,
        eligibility=eligibility,
        definition=definition,
        facts=eligibility_service.eligibility_facts(db, definition=definition, items=items),
        countries=country_names(language),
        errors=errors or {},
        failed_id=failed_id,
        values=values or {},
    )
    return render(request, "evaluations/eligibility.html", context, status_code=status_code)


@router.get(STAGE + "/eligibility", name="eval_eligibility")
def eligibility(request: Request, scope: EvaluationScope, db: DbSession, language: Language) -> Response:
    return _eligibility_page(request, db, scope, language)


@router.post(STAGE + "/eligibility/{proposal_id}", name="eval_eligibility_set")
def eligibility_set(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    proposal_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(EligibilityForm, values)
    if form is not None:
        try:
            eligibility_service.set_eligibility(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                proposal_id=proposal_id,
                form=form,
                actor=actor_of(request, user),
                now=now,
            )
            db.commit()
            return stage_page(request, "eval_eligibility", scope)
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = errors_of(failed)
    # The page holds a form per proposal: the messages are keyed by field and proposal, as the fields' ids are.
    messages = {
        name if name == "__all__" else f"{name}-{proposal_id}": message
        for name, message in translate_errors(language, errors).items()
    }
    return _eligibility_page(
        request,
        db,
        scope,
        language,
        errors=messages,
        failed_id=proposal_id,
        values=values,
        status_code=422,
    )
