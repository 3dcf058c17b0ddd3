"""Account pages: register, confirm, log in (with the second factor), log out, reset and change passwords."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from app.accounts import dependencies, permissions, sessions
from app.accounts import service as accounts
from app.accounts.dependencies import CurrentAuth
from app.accounts.mail_throttle import TooManyRequests
from app.accounts.models import AuthSession, User
from app.accounts.reminders import service as reminders
from app.accounts.schemas import (
    ChangePasswordForm,
    EmailForm,
    LoginForm,
    NameForm,
    NewPasswordForm,
    RegisterForm,
)
from app.accounts.sections import AccountSections
from app.accounts.throttling import LoginLimits
from app.accounts.two_factor import service as two_factor
from app.errors import DomainError, FieldError, ValidationFailed
from app.forms import form_values, parse_form, translate_errors
from app.security import SMALL_FORM, body_limit, renew_csrf_cookie
from app.settings import Settings
from app.web import AppSettings, DbSession, Language, Now, PostedForm, client_ip, render, safe_next

router = APIRouter()


def login_limits(settings: Settings) -> LoginLimits:
    return LoginLimits(
        per_account=settings.login_max_failures_per_account,
        per_ip=settings.login_max_failures_per_ip,
        window=timedelta(minutes=settings.login_failure_window_minutes),
        first_delay=timedelta(seconds=settings.login_first_delay_seconds),
        max_delay=timedelta(seconds=settings.login_max_delay_seconds),
        second_factor_per_login=settings.two_factor_max_failures_per_login,
        second_factor_per_hour=settings.two_factor_max_failures_per_hour,
    )


def throttled_page(
    request: Request,
    page: str,
    language: str,
    error: DomainError,
    values: dict[str, Any] | None = None,
    **extra: Any,
) -> Response:
    """429 with the wait in seconds, on the page and in ``Retry-After``."""
    message = FieldError("__all__", error.message, dict(error.params))
    response = form_page(request, page, language, values or {}, [message], status_code=429, **extra)
    response.headers["Retry-After"] = str(error.params.get("seconds", 1))
    return response


def form_page(
    request: Request,
    template: str,
    language: str,
    values: dict[str, Any],
    errors: list[FieldError],
    status_code: int = 422,
    **extra: Any,
) -> Response:
    safe_values = {k: v for k, v in values.items() if "password" not in k}
    context = {"values": safe_values, "errors": translate_errors(language, errors), **extra}
    return render(request, template, context, status_code=status_code)


def landing(request: Request, user: User, default: str = "/") -> str:
    """Where a login without a ``next`` target ends: the user's own work (see ``landing_route``)."""
    route = permissions.landing_route(user)
    return str(request.app.url_path_for(route)) if route else default


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _check_email_page(request: Request, kind: str) -> Response:
    return render(request, "accounts/check_email.html", {"kind": kind})


# --- register and confirm -----------------------------------------------------------------------


@router.get("/register", name="register")
def register_form(request: Request) -> Response:
    return render(request, "accounts/register.html", {"values": {}, "errors": {}})


@router.post("/register")
@body_limit(SMALL_FORM)
def register(request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language) -> Response:
    values = form_values(posted)
    form, errors = parse_form(RegisterForm, values)
    if form is not None:
        errors = accounts.new_password_errors(form.password, form.password_confirm, email=form.email)
    if form is None or errors:
        return form_page(request, "accounts/register.html", language, values, errors)
    try:
        accounts.register(
            db,
            email=form.email,
            name=form.name,
            password=form.password,
            language=language,
            now=now,
            ip=client_ip(request),
            links=request.app.state.links,
        )
    except TooManyRequests as error:
        return throttled_page(request, "accounts/register.html", language, error, values)
    db.commit()
    return _check_email_page(request, "register")


@router.get("/confirm/{token}", name="confirm_email")
def confirm_email(request: Request, token: str, db: DbSession, now: Now) -> Response:
    try:
        accounts.confirm_email(db, token=token, now=now, ip=client_ip(request))
    except accounts.LinkInvalid:
        return render(
            request, "accounts/link_invalid.html", {"kind": "confirm", "values": {}, "errors": {}}, status_code=410
        )
    db.commit()
    return render(request, "accounts/confirmed.html")


@router.post("/confirm", name="confirm_resend")
@body_limit(SMALL_FORM)
def confirm_resend(request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language) -> Response:
    values = form_values(posted)
    form, errors = parse_form(EmailForm, values)
    if form is None:
        return form_page(request, "accounts/link_invalid.html", language, values, errors, kind="confirm")
    try:
        accounts.request_confirmation(
            db, email=form.email, now=now, links=request.app.state.links, ip=client_ip(request)
        )
    except TooManyRequests as error:
        return throttled_page(request, "accounts/link_invalid.html", language, error, values, kind="confirm")
    db.commit()
    return _check_email_page(request, "confirm")


# --- login and logout ---------------------------------------------------------------------------


@router.get("/login", name="login")
def login_form(request: Request, next: str | None = None) -> Response:
    return render(request, "accounts/login.html", {"values": {}, "errors": {}, "next": safe_next(next, "")})


def _set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    """The new session's cookie, and a new CSRF cookie: no token from before the login works after it."""
    name = sessions.session_cookie_name(settings)
    response.set_cookie(name, token, httponly=True, samesite="lax", secure=settings.https, path="/")
    renew_csrf_cookie(response, https=settings.https)


def drop_session_cookie(response: Response, settings: Settings) -> None:
    name = sessions.session_cookie_name(settings)
    response.delete_cookie(name, path="/", secure=settings.https, httponly=True, samesite="lax")


@router.post("/login")
@body_limit(SMALL_FORM)
def login(
    request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language, settings: AppSettings
) -> Response:
    values = form_values(posted)
    next_path = safe_next(values.get("next") if isinstance(values.get("next"), str) else None, "")
    form, errors = parse_form(LoginForm, values)
    page = "accounts/login.html"
    if form is None:
        return form_page(request, page, language, values, errors, next=next_path)
    ip = client_ip(request)
    try:
        user = accounts.authenticate(
            db, email=form.email, password=form.password, ip=ip, now=now, limits=login_limits(settings)
        )
    except accounts.LoginThrottled as error:
        return throttled_page(request, page, language, error, values, next=next_path)
    except accounts.EmailNotConfirmed as error:
        db.commit()
        message = FieldError("__all__", error.message)
        return form_page(request, page, language, values, [message], next=next_path, unconfirmed=True)
    except accounts.AccountBlocked as error:
        db.commit()
        return form_page(request, page, language, values, [FieldError("__all__", error.message)], status_code=403)
    except accounts.InvalidCredentials as error:
        db.commit()
        return form_page(request, page, language, values, [FieldError("__all__", error.message)], next=next_path)
    old = dependencies.load_auth(request)
    token = accounts.log_in(
        db,
        user=user,
        now=now,
        policy=dependencies.session_policy(settings),
        ip=ip,
        user_agent=request.headers.get("user-agent"),
        previous_session_id=old.id if old else None,
    )
    needs_totp, staff = user.totp_enabled, user.is_staff
    db.commit()
    target = next_path or landing(request, user)
    if needs_totp or staff:
        route = "two_factor_verify" if needs_totp else "two_factor_setup"
        target = str(request.app.url_path_for(route)) + ("?" + urlencode({"next": next_path}) if next_path else "")
    response = redirect(target)
    _set_session_cookie(response, token, settings)
    return response


@router.post("/logout", name="logout")
@body_limit(SMALL_FORM)
def logout(request: Request, db: DbSession, now: Now, settings: AppSettings) -> Response:
    auth = dependencies.load_auth(request)
    if auth is not None:
        accounts.log_out(db, session_id=auth.id, now=now, ip=client_ip(request))
        db.commit()
    response = redirect("/")
    drop_session_cookie(response, settings)
    return response


# --- password reset -----------------------------------------------------------------------------


@router.get("/password/forgot", name="password_forgot")
def password_forgot_form(request: Request) -> Response:
    return render(request, "accounts/password_forgot.html", {"values": {}, "errors": {}})


@router.post("/password/forgot")
@body_limit(SMALL_FORM)
def password_forgot(request: Request, posted: PostedForm, db: DbSession, now: Now, language: Language) -> Response:
    values = form_values(posted)
    form, errors = parse_form(EmailForm, values)
    if form is None:
        return form_page(request, "accounts/password_forgot.html", language, values, errors)
    try:
        accounts.request_password_reset(
            db, email=form.email, now=now, links=request.app.state.links, ip=client_ip(request)
        )
    except TooManyRequests as error:
        return throttled_page(request, "accounts/password_forgot.html", language, error, values)
    db.commit()
    return _check_email_page(request, "reset")


def _reset_invalid(request: Request) -> Response:
    context = {"kind": "reset", "values": {}, "errors": {}}
    return render(request, "accounts/link_invalid.html", context, status_code=410)


@router.get("/password/reset/{token}", name="password_reset")
def password_reset_form(request: Request, token: str, db: DbSession, now: Now) -> Response:
    try:
        accounts.check_reset_link(db, token=token, now=now)
    except accounts.LinkInvalid:
        return _reset_invalid(request)
    return render(request, "accounts/password_reset.html", {"values": {}, "errors": {}, "token": token})


@router.post("/password/reset/{token}")
@body_limit(SMALL_FORM)
def password_reset(
    request: Request, posted: PostedForm, token: str, db: DbSession, now: Now, language: Language, settings: AppSettings
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(NewPasswordForm, values)
    page = "accounts/password_reset.html"
    try:
        if form is None:
            accounts.check_reset_link(db, token=token, now=now)
            return form_page(request, page, language, {}, errors, token=token)
        accounts.reset_password(
            db, token=token, password=form.password, confirmation=form.password_confirm, now=now, ip=client_ip(request)
        )
    except accounts.LinkInvalid:
        return _reset_invalid(request)
    except ValidationFailed as failure:
        return form_page(request, page, language, {}, failure.errors, token=token)
    db.commit()
    response = render(request, "accounts/password_reset_done.html")
    drop_session_cookie(response, settings)
    return response


# --- account page -------------------------------------------------------------------------------


def account_page(
    request: Request, db: DbSession, auth: AuthSession, language: str, *, status_code: int = 200, **extra: Any
) -> Response:
    sections: AccountSections = getattr(request.app.state, "account_sections", AccountSections())
    context: dict[str, Any] = {
        "user": auth.user,
        "sections": sections.for_user(db, auth.user, language),
        "recovery_left": two_factor.count_recovery_codes(db, user_id=auth.user_id),
        "reminders_on": reminders.reminders_enabled(db, user_id=auth.user_id),
        "name_values": {"name": auth.user.name},
        "name_errors": {},
        "password_errors": {},
        "saved": request.query_params.get("saved"),
    }
    context.update(extra)
    return render(request, "accounts/account.html", context, status_code=status_code)


@router.get("/account", name="account")
def account(request: Request, db: DbSession, auth: CurrentAuth, language: Language) -> Response:
    return account_page(request, db, auth, language)


@router.post("/account/name", name="account_name")
@body_limit(SMALL_FORM)
def account_name(
    request: Request, posted: PostedForm, db: DbSession, auth: CurrentAuth, now: Now, language: Language
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(NameForm, values)
    if form is None:
        return account_page(
            request,
            db,
            auth,
            language,
            status_code=422,
            name_values=values,
            name_errors=translate_errors(language, errors),
        )
    accounts.change_name(db, user_id=auth.user_id, name=form.name, now=now, ip=client_ip(request))
    db.commit()
    return redirect(str(request.app.url_path_for("account")) + "?saved=name")


@router.post("/account/password", name="account_password")
@body_limit(SMALL_FORM)
def account_password(
    request: Request, posted: PostedForm, db: DbSession, auth: CurrentAuth, now: Now, language: Language
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(ChangePasswordForm, values)
    try:
        if form is None:
            raise ValidationFailed(errors)
        accounts.change_password(
            db,
            user_id=auth.user_id,
            current=form.current_password,
            password=form.password,
            confirmation=form.password_confirm,
            keep_session_id=auth.id,
            now=now,
            ip=client_ip(request),
        )
    except ValidationFailed as failure:
        errors_by_field = translate_errors(language, failure.errors)
        return account_page(request, db, auth, language, status_code=422, password_errors=errors_by_field)
    db.commit()
    return redirect(str(request.app.url_path_for("account")) + "?saved=password")
