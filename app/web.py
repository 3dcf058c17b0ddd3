"""Web helpers shared by every domain: templates, language, dependencies and error pages."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn
from urllib.parse import urlsplit

import anyio.to_thread
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from sqlalchemy.orm import Session
from starlette.datastructures import URL, FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import NoMatchFound
from starlette.templating import Jinja2Templates

from app import i18n
from app.audit.service import Actor, record_security_event
from app.clock import Clock
from app.database import is_unavailable
from app.errors import DomainError, NotFound, NotPermitted
from app.formatting import format_file_size, format_local_date, format_local_datetime, format_number
from app.i18n import N_
from app.links import Links
from app.loopviews import READING_METHODS
from app.routing import leaf_routes
from app.security.bodies import BodyLimit, read_rest_of_body
from app.security.clients import client_ip as client_ip  # re-exported: views read the address from here
from app.security.cookies import cookie_name
from app.settings import Settings

log = logging.getLogger("portal")

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = ROOT / "templates"
STATIC_DIR = ROOT / "static"
LANGUAGE_COOKIE = "portal_lang"
SAFE_METHODS = READING_METHODS


# --- dependencies ---------------------------------------------------------------------------------


# Dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in a worker thread, a
# hop that costs more than the work. Only what touches the database or a file runs in a thread.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session per request; writing requests get the writing bind. Only closes: services' callers commit.

    Opening a session does no I/O (it connects at its first query), so it happens on the event loop. Closing
    one that still holds a transaction ends it over the network on PostgreSQL, so that runs in a worker thread;
    SQLite ends it in this process in microseconds (a read's end, or a failed write's frames dropped from the
    log), less than the hop to a thread and back costs.
    """
    db = request.app.state.db
    writing = request.method not in SAFE_METHODS
    session = db.session(write=writing)
    if writing:
        db.writing.opened()
    try:
        yield session
    finally:
        try:
            if session.in_transaction() and db.dialect != "sqlite":
                # Its own limiter, as FastAPI does for a ``def`` dependency's exit: closing gives a pooled
                # connection back, and waiting for one of the shared worker threads (all of which may be
                # waiting for a pooled connection) would deadlock.
                await anyio.to_thread.run_sync(session.close, limiter=anyio.CapacityLimiter(1))
            else:
                session.close()
        finally:
            if writing:
                db.writing.closed()


async def get_links(request: Request) -> Links:
    links: Links = request.app.state.links
    return links


async def get_now(request: Request) -> datetime:
    clock: Clock = request.app.state.clock
    return clock.now()


def get_language(request: Request) -> str:
    if cached := getattr(request.state, "language", None):
        return str(cached)
    settings: Settings = request.app.state.settings
    request.state.language = language = i18n.resolve_language(
        query=i18n.query_language(request.scope["query_string"].decode("latin-1")),
        cookie=request.cookies.get(cookie_name(LANGUAGE_COOKIE, https=settings.https)),
        accept_language=request.headers.get("accept-language"),
        default=settings.default_language,
    )
    return language


async def language_of(request: Request) -> str:
    return get_language(request)


DbSession = Annotated[Session, Depends(get_db)]
Now = Annotated[datetime, Depends(get_now)]
Language = Annotated[str, Depends(language_of)]
AppSettings = Annotated[Settings, Depends(get_settings)]
AppLinks = Annotated[Links, Depends(get_links)]


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths may be redirect targets (no scheme, no host, no protocol-relative URL)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


# --- templates ------------------------------------------------------------------------------------


def format_remaining(deadline: datetime, now: datetime, language: str) -> str:
    remaining = deadline - now
    if remaining <= timedelta(0):
        return i18n.translate(language, "closed")
    days, hours = remaining.days, remaining.seconds // 3600
    if days >= 2:
        return i18n.translate_plural(language, "%(num)d day left", "%(num)d days left", days)
    if days >= 1 or hours >= 2:
        return i18n.translate_plural(language, "%(num)d hour left", "%(num)d hours left", days * 24 + hours)
    minutes = max(1, remaining.seconds // 60)
    return i18n.translate_plural(language, "%(num)d minute left", "%(num)d minutes left", minutes)


def build_templates(*, production: bool = False) -> Jinja2Templates:
    """The page templates. In production they are not checked for changes on disk at every use (a ``stat`` per
    template per page); a deployment restarts or reloads the workers anyway."""
    env = Environment(
        auto_reload=not production,
        loader=FileSystemLoader(TEMPLATE_DIR),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["url_for"] = _path_for
    return Jinja2Templates(env=env)


@pass_context
def _path_for(context: Any, name: str, /, **params: Any) -> URL:
    """A route's path, never an absolute URL: Starlette's own ``url_for`` builds one from the request's
    Host header, which a client chooses (and a cache or a forwarded page would keep)."""
    return URL(path_for(context["request"].app, name, **params))


class RouteTable:
    """``app.url_path_for`` without its search: Starlette tries every route in order (with FastAPI's included
    routers, over a thousand checks for a route near the end), on every link of every page. The route that
    answers a name with a set of parameter names is found once, then asked directly; the routes do not change
    after the app is built."""

    def __init__(self, routes: list[Any]) -> None:
        self._routes = routes
        self._found: dict[tuple[str, tuple[str, ...]], Any] = {}

    def path(self, name: str, /, **params: Any) -> str:
        key = (name, tuple(sorted(params)))
        route = self._found.get(key)
        if route is not None:
            return str(route.url_path_for(name, **params))
        for candidate in leaf_routes(self._routes):
            try:
                path = candidate.url_path_for(name, **params)
            except NoMatchFound:
                continue
            self._found[key] = candidate
            return str(path)
        raise NoMatchFound(name, params)


def path_for(app: Any, name: str, /, **params: Any) -> str:
    """The path of a named route (see ``RouteTable``)."""
    table: RouteTable | None = getattr(app.state, "route_table", None)
    if table is None:
        table = app.state.route_table = RouteTable(app.router.routes)
    return table.path(name, **params)


def template_context(request: Request, language: str) -> dict[str, Any]:
    now = request.app.state.clock.now()
    return {
        "request": request,
        "lang": language,
        "other_lang": "en" if language == "nl" else "nl",
        "alternates": i18n.alternate_urls(request.app.state.links.base_url, request.url.path, request.url.query),
        **i18n.template_functions(language),
        "now": now,
        "local_datetime": lambda value: format_local_datetime(value, language),
        "local_date": lambda value: format_local_date(value, language),
        "remaining": lambda deadline: format_remaining(deadline, now, language),
        "number": lambda value: format_number(value, language),
        "file_size": lambda value: format_file_size(value, language),
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "auth": request.app.state.auth_loader(request),
    }


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> Response:
    """Render a page in the request's language with the shared context."""
    language = get_language(request)
    full = template_context(request, language)
    full.update(context or {})
    templates: Jinja2Templates = request.app.state.templates
    headers = {"Content-Language": language, "Vary": i18n.language_vary(request.url.query)}
    return templates.TemplateResponse(request, template, full, status_code=status_code, headers=headers)


# --- error pages ----------------------------------------------------------------------------------


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def error_response(request: Request, status_code: int, message: str | None = None) -> Response:
    language = get_language(request)
    titles = {
        400: N_("The request could not be understood"),
        403: N_("Access denied"),
        404: N_("Page not found"),
        405: N_("This action is not possible here"),
        413: N_("The upload is too large"),
        415: N_("This kind of content is not accepted here"),
        422: N_("The request could not be processed"),
        429: N_("Too many attempts"),
        500: N_("Something went wrong on our side"),
        503: N_("The portal is unavailable for a moment"),
    }
    title = titles.get(status_code, N_("The request could not be carried out"))
    if _wants_json(request):
        detail = i18n.translate(language, message or title)
        return JSONResponse({"detail": detail}, status_code=status_code)
    context = {"status_code": status_code, "title": title, "message": message}
    return render(request, "errors/error.html", context, status_code=status_code)


async def http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    message = exc.detail if isinstance(exc.detail, str) and exc.detail not in _STANDARD_PHRASES else None
    response = error_response(request, exc.status_code, message)
    for name, value in (exc.headers or {}).items():
        response.headers[name] = value
    return response


async def validation_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _wants_json(request):
        # The shape the OpenAPI declares (FastAPI's ValidationError: loc, msg, type), without echoing the input.
        errors = [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in exc.errors()]
        return JSONResponse({"detail": errors}, status_code=422)
    return error_response(request, 400, N_("Some of the information sent was not in the expected form."))


async def domain_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    if isinstance(exc, NotFound):
        return error_response(request, 404)
    if isinstance(exc, NotPermitted):
        return error_response(request, 403)
    return error_response(request, 400, domain_message(request, exc))


def domain_message(request: Request, exc: DomainError) -> str:
    """A domain error's message in the request's language, times among its values in Dutch time."""
    language = get_language(request)
    params = {
        key: format_local_datetime(value, language) if isinstance(value, datetime) else value
        for key, value in exc.params.items()
    }
    return i18n.translate(language, exc.message, **params)


async def unhandled_exception_handler(request: Request, exc: Exception) -> Response:
    if is_unavailable(exc):  # raised outside the routes' own handlers
        return database_unavailable_response(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, 500)


DATABASE_RETRY_SECONDS = 5
"""What a 503 for an unreachable database tells clients to wait (``Retry-After``): a restart takes seconds."""


async def database_error_handler(request: Request, exc: Exception) -> Response:
    """The database is down, restarting or unreachable: the portal's own 503 page. Any other database error
    is a fault of ours and goes on to the 500 page (and the log, with its traceback)."""
    if not is_unavailable(exc):
        raise exc
    # A form or an upload refused before its body was read: read the rest, or the client (still sending)
    # would find the connection closed instead of the page.
    drained = await read_rest_of_body(request.scope, request.receive)
    response = database_unavailable_response(request, exc)
    if not drained:
        response.headers["Connection"] = "close"
    return response


def database_unavailable_response(request: Request, exc: Exception) -> Response:
    """503 "try again in a moment" in the reader's language, with ``Retry-After``; the page itself needs no
    database (it shows no one logged in: looking up the session would need the database again)."""
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path, _first_line(exc))
    request.state.auth = None
    message = N_("The portal cannot reach its database at the moment. Please try again in a moment.")
    response = error_response(request, 503, message)
    response.headers["Retry-After"] = str(DATABASE_RETRY_SECONDS)
    return response


def _first_line(exc: Exception) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return f"{type(exc).__name__}: {text.splitlines()[0] if text else ''}"


_STANDARD_PHRASES = frozenset({"Not Found", "Method Not Allowed", "Forbidden", "Bad Request", "Internal Server Error"})


# --- view helpers ---------------------------------------------------------------------------------


def see_other(request: Request, route: str, query: str = "", fragment: str = "", **params: Any) -> Response:
    """The 303 after a successful POST, to a named route (with an optional query string and fragment)."""
    target = path_for(request.app, route, **params)
    target += (f"?{query}" if query else "") + (f"#{fragment}" if fragment else "")
    return RedirectResponse(target, status_code=303)


def moved_permanently(request: Request, route: str, **params: Any) -> Response:
    """The 308 from an old URL to its named route's new one, keeping the query string (links in old e-mails)."""
    target = str(request.app.url_path_for(route, **params))
    target += f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(target, status_code=308)


def actor_of(request: Request, user: Any) -> Actor:
    """The audit actor for a logged-in user making this request."""
    return Actor(user.id, label=user.email, ip=client_ip(request))


def refuse_sealed(
    request: Request, db: Session, *, user: Any, object_type: str, object_id: int, stage_id: int
) -> NoReturn:
    """Record a staff member's refused read of sealed content (before the deadline), then answer 404.

    The request's own session is ended first: it may only read (a GET), and on SQLite a second writer on
    the same thread would wait for it. The event gets a short transaction of its own.
    """
    db.rollback()
    database = request.app.state.db
    with database.unit_of_work() as session:
        record_security_event(
            session,
            action="security.sealed_refused",
            actor=actor_of(request, user),
            object_type=object_type,
            object_id=object_id,
            at=request.app.state.clock.now(),
            stage=str(stage_id),
            path=request.url.path,
        )
        session.commit()
    raise NotFound()


async def read_posted_form(request: Request) -> FormData:
    """The posted form, read before the view runs (the view then runs in a worker thread).

    Views that touch the database are plain ``def`` functions: FastAPI runs them in its thread pool, so a
    view waiting for the database (SQLite's writer lock, a pooled PostgreSQL connection) never stops the
    event loop that other requests, including the one holding that lock, need to finish.
    """
    return without_nul(await request.form())


def without_nul(form: FormData) -> FormData:
    """The form's text values without NUL characters, as the upload forms' fields are read: no field means one,
    and PostgreSQL refuses a statement holding one, so a value with one would be a server error rather than a
    value to check."""
    if not any(isinstance(value, str) and "\x00" in value for _, value in form.multi_items()):
        return form
    return FormData(
        [(key, value.replace("\x00", "") if isinstance(value, str) else value) for key, value in form.multi_items()]
    )


PostedForm = Annotated[FormData, Depends(read_posted_form)]


SMALL_UPLOAD_BYTES = 1024 * 1024
# The routes that read a ``SmallUpload`` take multipart bodies of at most this size.
SMALL_UPLOAD_LIMIT = BodyLimit(SMALL_UPLOAD_BYTES, multipart=True)


async def read_small_upload(request: Request) -> FormData | None:
    """A multipart form with one small file (a definition file, a CSV), or None when the request announces
    more than 1 MiB or no length at all: the body is then not read."""
    declared = request.headers.get("content-length", "")
    if not declared.isdigit() or int(declared) > SMALL_UPLOAD_BYTES:
        return None
    return without_nul(await request.form(max_files=1, max_fields=10))


SmallUpload = Annotated[FormData | None, Depends(read_small_upload)]
