"""``/subscriptions``: anyone subscribes by e-mail to new challenges in chosen NLD-gebieden, confirms by the link
in the confirmation e-mail and unsubscribes by the link in every message; confirming and unsubscribing are
buttons (POST), so a mail scanner that opens links changes nothing."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.mail_throttle import TooManyRequests
from app.challenges.subscriptions import service
from app.challenges.subscriptions.schemas import SubscribeForm
from app.errors import FieldError, ValidationFailed
from app.forms import form_values, parse_form, translate_errors
from app.security import SMALL_FORM, body_limit
from app.web import AppSettings, DbSession, Language, Now, PostedForm, client_ip, render, see_other

router = APIRouter()
FORM = "challenges/subscriptions/form.html"
DONE = ("sent", "confirmed", "unsubscribed")


def _form_page(
    request: Request,
    db: DbSession,
    language: str,
    *,
    values: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    done: str | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "areas": list(service.area_names(db, language=language).items()),
        "values": values or {"language": language, "areas": []},
        "errors": translate_errors(language, errors or []),
        "done": done if done in DONE else None,
    }
    return render(request, FORM, context, status_code=status_code)


@router.get("/subscriptions", name="subscribe")
def subscribe_form(request: Request, db: DbSession, language: Language, done: str | None = None) -> Response:
    return _form_page(request, db, language, done=done)


@router.post("/subscriptions")
@body_limit(SMALL_FORM)
def subscribe(request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language) -> Response:
    values = form_values(posted)
    values["areas"] = values.get("areas") if isinstance(values.get("areas"), list) else [values.get("areas", "")]
    form, errors = parse_form(SubscribeForm, values)
    status_code = 422
    if form is not None:
        try:
            service.request_subscription(
                db,
                email=form.email,
                areas=form.areas,
                language=form.language,
                ip=client_ip(request),
                now=now,
                links=request.app.state.links,
            )
            db.commit()
            return see_other(request, "subscribe", "done=sent")
        except ValidationFailed as failed:
            errors = failed.errors
        except TooManyRequests as error:
            errors, status_code = [FieldError("__all__", error.message, dict(error.params))], 429
    response = _form_page(request, db, language, values=values, errors=errors, status_code=status_code)
    if status_code == 429:
        response.headers["Retry-After"] = str(errors[0].params.get("seconds", 1))
    return response


def _link_page(request: Request, template: str, token: str, *, valid: bool) -> Response:
    page = template if valid else "challenges/subscriptions/link_invalid.html"
    return render(request, page, {"token": token}, status_code=200 if valid else 410)


@router.get("/subscriptions/confirm/{token}", name="subscription_confirm")
def confirm_page(request: Request, token: str, db: DbSession, now: Now) -> Response:
    try:
        service.pending(db, token=token, now=now)
    except service.LinkInvalid:
        return _link_page(request, "", token, valid=False)
    return _link_page(request, "challenges/subscriptions/confirm.html", token, valid=True)


@router.post("/subscriptions/confirm/{token}")
@body_limit(SMALL_FORM)
def confirm(request: Request, posted: PostedForm, token: str, db: DbSession, now: Now) -> Response:
    try:
        service.confirm(db, token=token, now=now)
    except service.LinkInvalid:
        return _link_page(request, "", token, valid=False)
    db.commit()
    return see_other(request, "subscribe", "done=confirmed")


@router.get("/subscriptions/unsubscribe/{token}", name="subscription_unsubscribe")
def unsubscribe_page(request: Request, token: str, settings: AppSettings) -> Response:
    try:
        service.check_unsubscribe_token(settings.resolved_secret_key(), token)
    except service.LinkInvalid:
        return _link_page(request, "", token, valid=False)
    return _link_page(request, "challenges/subscriptions/unsubscribe.html", token, valid=True)


@router.post("/subscriptions/unsubscribe/{token}")
@body_limit(SMALL_FORM)
def unsubscribe(request: Request, posted: PostedForm, token: str, db: DbSession, settings: AppSettings) -> Response:
    try:
        service.unsubscribe(db, token=token, secret=settings.resolved_secret_key())
    except service.LinkInvalid:
        return _link_page(request, "", token, valid=False)
    db.commit()
    return see_other(request, "subscribe", "done=unsubscribed")
