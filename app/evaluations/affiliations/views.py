"""The evaluator's affiliations page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.dependencies import EvaluatorUser
from app.accounts.models import User
from app.errors import ValidationFailed
from app.evaluations.affiliations import service as affiliation_service
from app.evaluations.enums import AFFILIATION_LABELS
from app.evaluations.schemas import AffiliationForm
from app.forms import form_values, parse_form, translate_errors
from app.i18n import translate
from app.organisations.schemas import country_names
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()


def _affiliations_page(
    request: Request,
    db: Session,
    user: User,
    language: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "affiliations": affiliation_service.list_affiliations(db, user_id=user.id),
        "natures": [(key, translate(language, label)) for key, label in AFFILIATION_LABELS.items()],
        "countries": list(country_names(language).items()),
        "errors": errors or {},
        "values": values or {"nature": "employment"},
    }
    return render(request, "evaluations/affiliations.html", context, status_code=status_code)


@router.get("/account/affiliations", name="affiliations")
def affiliations(request: Request, db: DbSession, user: EvaluatorUser, language: Language) -> Response:
    return _affiliations_page(request, db, user, language)


@router.post("/account/affiliations")
def affiliation_add(
    request: Request, posted: PostedForm, db: DbSession, now: Now, user: EvaluatorUser, language: Language
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(AffiliationForm, values)
    if form is not None:
        try:
            affiliation_service.add_affiliation(db, user=user, form=form, actor=actor_of(request, user), now=now)
            db.commit()
            return see_other(request, "affiliations")
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    return _affiliations_page(
        request, db, user, language, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.post("/account/affiliations/{affiliation_id}/remove", name="affiliation_remove")
def affiliation_remove(request: Request, affiliation_id: int, db: DbSession, now: Now, user: EvaluatorUser) -> Response:
    affiliation_service.remove_affiliation(
        db, user=user, affiliation_id=affiliation_id, actor=actor_of(request, user), now=now
    )
    db.commit()
    return see_other(request, "affiliations")
