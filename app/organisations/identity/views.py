"""Reporting that a registration number was registered by someone else: a dispute for the administrators."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentUser
from app.errors import ValidationFailed
from app.forms import form_values, translate_errors
from app.organisations.identity import service
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()


@router.get("/organisations/disputes/new", name="organisation_dispute_new")
def dispute_form(request: Request, user: CurrentUser, kvk: str = "") -> Response:
    values = {"kvk_number": kvk[:20]}
    return render(request, "organisations/dispute_form.html", {"values": values, "errors": {}})


@router.post("/organisations/disputes/new")
def dispute_open(
    request: Request, posted: PostedForm, user: CurrentUser, db: DbSession, now: Now, language: Language
) -> Response:
    values = form_values(posted)
    claim, errors = service.parse_claim(values)
    if claim is not None:
        try:
            service.open_dispute(
                db, claim=claim, claimant=user, actor=actor_of(request, user), now=now, links=request.app.state.links
            )
            db.commit()
            return see_other(request, "organisation_dispute_sent")
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    context = {"values": values, "errors": translate_errors(language, errors)}
    return render(request, "organisations/dispute_form.html", context, status_code=422)


@router.get("/organisations/disputes/sent", name="organisation_dispute_sent")
def dispute_sent(request: Request, user: CurrentUser) -> Response:
    return render(request, "organisations/dispute_sent.html")
