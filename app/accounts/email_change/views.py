"""Changing one's e-mail address: asked for on the account page, confirmed through the link sent to the new
address (a page with a button, so a mail scanner that opens links changes nothing)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy.exc import IntegrityError
from starlette.responses import Response

from app.accounts import service as accounts
from app.accounts.dependencies import CurrentAuth
from app.accounts.email_change import service
from app.accounts.email_change.schemas import EmailChangeForm
from app.accounts.mail_throttle import TooManyRequests
from app.accounts.views import account_page
from app.errors import FieldError, ValidationFailed
from app.forms import form_values, parse_form, translate_errors
from app.security import SMALL_FORM, body_limit
from app.web import DbSession, Language, Now, PostedForm, client_ip, render, see_other

router = APIRouter()


@router.post("/account/email", name="account_email")
@body_limit(SMALL_FORM)
def account_email(
    request: Request, posted: PostedForm, db: DbSession, auth: CurrentAuth, now: Now, language: Language
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(EmailChangeForm, values)
    status_code = 422
    try:
        if form is None:
            raise ValidationFailed(errors)
        service.request_email_change(
            db,
            user_id=auth.user_id,
            new_email=form.new_email,
            password=form.email_password,
            now=now,
            ip=client_ip(request),
            links=request.app.state.links,
        )
    except ValidationFailed as failure:
        errors = failure.errors
    except TooManyRequests as error:
        errors, status_code = [FieldError("new_email", error.message, dict(error.params))], 429
    if errors:
        db.rollback()
        shown = {"new_email": values.get("new_email", "")}
        email_errors = translate_errors(language, errors)
        return account_page(
            request, db, auth, language, status_code=status_code, email_values=shown, email_errors=email_errors
        )
    db.commit()
    return see_other(request, "account", query="saved=email")


def _link_invalid(request: Request, message: str | None = None) -> Response:
    return render(request, "accounts/email_change_invalid.html", {"message": message}, status_code=410)


@router.get("/account/email/confirm/{token}", name="email_change_confirm")
def email_change_form(request: Request, token: str, db: DbSession, now: Now) -> Response:
    try:
        new_email = service.check_change_link(db, token=token, now=now)
    except accounts.LinkInvalid:
        return _link_invalid(request)
    return render(request, "accounts/email_change_confirm.html", {"token": token, "new_email": new_email})


@router.post("/account/email/confirm/{token}")
@body_limit(SMALL_FORM)
def email_change_confirm(request: Request, token: str, db: DbSession, now: Now) -> Response:
    try:
        user = service.confirm_email_change(
            db, token=token, now=now, ip=client_ip(request), links=request.app.state.links
        )
    except accounts.LinkInvalid:
        return _link_invalid(request)
    except service.EmailTaken as error:
        return _link_invalid(request, error.message)
    except IntegrityError:  # another account took the address in the same moment
        db.rollback()
        return _link_invalid(request, service.EmailTaken.message)
    db.commit()
    return render(request, "accounts/email_change_done.html", {"new_email": user.email})
