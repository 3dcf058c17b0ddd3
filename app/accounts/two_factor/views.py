"""Second-factor pages: the code at login, and enrolment of an authenticator app.

Both work on a session that still waits for its second factor (everywhere else such a session counts as
logged out). The secret offered at enrolment is made on the server and never read from the form.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts import dependencies
from app.accounts import service as accounts
from app.accounts.dependencies import Redirect
from app.accounts.models import AuthSession
from app.accounts.schemas import CodeForm, TotpSetupForm
from app.accounts.two_factor import service as two_factor
from app.accounts.two_factor.sealing import SecretBox, secret_box
from app.accounts.views import drop_session_cookie, form_page, landing, login_limits, redirect, throttled_page
from app.errors import FieldError, ValidationFailed
from app.forms import form_values, parse_form
from app.security import SMALL_FORM, body_limit, rebind_to_no_session
from app.settings import Settings
from app.web import AppSettings, DbSession, Language, Now, PostedForm, client_ip, render, safe_next

router = APIRouter()


def _box(settings: Settings) -> SecretBox:
    return secret_box(settings.resolved_secret_key())


def _pending_auth(request: Request) -> AuthSession:
    """A logged-in session, second factor given or not (these pages are where it is given)."""
    auth = dependencies.load_auth(request)
    if auth is None:
        raise Redirect("login", request.url.path)
    return auth


def _next(values: dict[str, Any]) -> str:
    return safe_next(values.get("next") if isinstance(values.get("next"), str) else None, "")


@router.get("/login/two-factor", name="two_factor_verify")
def two_factor_verify_form(request: Request, next: str | None = None) -> Response:
    auth = _pending_auth(request)
    if not auth.user.totp_enabled:
        return redirect(str(request.app.url_path_for("two_factor_setup")))
    return render(request, "accounts/two_factor_verify.html", {"values": {}, "errors": {}, "next": safe_next(next, "")})


def _login_ended(request: Request, language: str, settings: Settings, error: two_factor.SecondFactorEnded) -> Response:
    page = "accounts/login.html"
    rebind_to_no_session(request, secret=settings.resolved_secret_key(), https=settings.https)
    response = form_page(request, page, language, {}, [FieldError("__all__", error.message)], status_code=429, next="")
    drop_session_cookie(response, settings)
    return response


@router.post("/login/two-factor")
@body_limit(SMALL_FORM)
def two_factor_verify(
    request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language, settings: AppSettings
) -> Response:
    auth = _pending_auth(request)
    values = form_values(posted)
    next_path = _next(values)
    page = "accounts/two_factor_verify.html"
    form, errors = parse_form(CodeForm, values)
    if form is None:
        return form_page(request, page, language, values, errors, next=next_path)
    try:
        two_factor.verify_second_factor(
            db,
            user_id=auth.user_id,
            session_id=auth.id,
            code=form.code,
            now=now,
            ip=client_ip(request),
            limits=login_limits(settings),
            box=_box(settings),
        )
    except accounts.LoginThrottled as error:
        return throttled_page(request, page, language, error, next=next_path)
    except two_factor.SecondFactorEnded as error:
        db.commit()
        return _login_ended(request, language, settings, error)
    except two_factor.InvalidCode as error:
        db.commit()
        return form_page(request, page, language, {}, [FieldError("code", error.message)], next=next_path)
    db.commit()
    return redirect(next_path or landing(request, auth.user))


def _setup_context(auth: AuthSession, settings: Settings) -> dict[str, Any]:
    import segno  # here: only enrolment draws a QR code, not every worker that serves pages

    secret = two_factor.enrolment_secret(auth, box=_box(settings))
    uri = two_factor.totp_uri(secret=secret, email=auth.user.email)
    return {
        "secret": secret,
        "qr": segno.make(uri).svg_data_uri(scale=4),
        "next": "",
        "staff": auth.user.is_staff,
        "pending": auth.mfa_verified_at is None,
    }


@router.get("/account/two-factor", name="two_factor_setup")
def two_factor_setup_form(request: Request, settings: AppSettings, next: str | None = None) -> Response:
    auth = _pending_auth(request)
    if auth.user.totp_enabled:
        if auth.mfa_verified_at is None:
            return redirect(str(request.app.url_path_for("two_factor_verify")))
        return render(request, "accounts/two_factor_setup.html", {"enabled": True})
    context = _setup_context(auth, settings)
    context.update(values={}, errors={}, next=safe_next(next, ""))
    return render(request, "accounts/two_factor_setup.html", context)


@router.post("/account/two-factor")
@body_limit(SMALL_FORM)
def two_factor_setup(
    request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language, settings: AppSettings
) -> Response:
    auth = _pending_auth(request)
    if auth.user.totp_enabled:
        return redirect(str(request.app.url_path_for("account")))
    values = form_values(posted)
    form, errors = parse_form(TotpSetupForm, values)
    page = "accounts/two_factor_setup.html"
    extra = _setup_context(auth, settings)
    extra["next"] = _next(values)
    if form is None:
        return form_page(request, page, language, {}, errors, **extra)
    try:
        codes = two_factor.enable_totp(
            db,
            user_id=auth.user_id,
            session_id=auth.id,
            code=form.code,
            now=now,
            ip=client_ip(request),
            box=_box(settings),
        )
    except ValidationFailed as failure:
        return form_page(request, page, language, {}, failure.errors, **extra)
    db.commit()
    target = extra["next"] or landing(request, auth.user, default="/account")
    return render(request, "accounts/recovery_codes.html", {"codes": codes, "next": target})
