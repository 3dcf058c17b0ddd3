"""The app factory: the one place where settings, database, clock, templates and routes come together."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from urllib.parse import urlencode

import anyio.to_thread
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import DisconnectionError as DatabaseDisconnected
from sqlalchemy.exc import TimeoutError as DatabasePoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from app import __version__, i18n, layout, web
from app.accounts import permissions as account_permissions
from app.accounts import sessions
from app.accounts import views as account_views
from app.accounts.dependencies import Redirect, load_signed_in
from app.accounts.email_change import views as email_change_views
from app.accounts.preferences import views as preference_views
from app.accounts.reminders import views as reminder_views
from app.accounts.sections import AccountSections
from app.accounts.session_cache import SESSION_TABLES, SessionCache, SQLiteAuthVersion, keep_listening
from app.accounts.two_factor import views as two_factor_views
from app.admin import views as admin_views
from app.admin.areas import views as admin_area_views
from app.admin.audit_viewer import views as admin_audit_views
from app.admin.blocking import views as admin_blocking_views
from app.admin.identity import views as admin_organisation_views
from app.admin.outbox import views as admin_outbox_views
from app.admin.regions import views as admin_region_views
from app.admin.two_factor_reset import views as admin_two_factor_reset_views
from app.challenges import api as challenge_api
from app.challenges import service as challenge_service
from app.challenges.areas import service as area_service
from app.challenges.enums import CHALLENGE_MACHINE, PHASE_CLASSES, PHASE_LABELS, ChallengeStatus, Phase
from app.challenges.events import views as market_event_views
from app.challenges.subscriptions import views as subscription_views
from app.clock import Clock, SystemClock
from app.database import Database
from app.errors import DomainError
from app.evaluations import views as evaluation_views
from app.evaluations.followup import views as followup_views
from app.fragments import BlankParts
from app.links import Links
from app.ops import views as ops_views
from app.organisations import views as organisation_views
from app.organisations.enums import ORGANISATION_MACHINE, OrganisationStatus
from app.organisations.identity import views as organisation_identity_views
from app.organisations.regions import service as region_service
from app.pagecache import PageCacheMiddleware
from app.proposals import views as proposal_views
from app.proposals.documents import isolation
from app.proposals.enums import PROPOSAL_MACHINE, ProposalStatus
from app.proposals.propositions import views as proposition_views
from app.public import cache as public_cache
from app.public import views as public_views
from app.public import warmup
from app.public.feeds import views as feed_views
from app.public.ocds import views as ocds_views
from app.public.openapi import public_openapi
from app.public.outcomes import views as outcome_views
from app.public.receipts import views as receipt_views
from app.public.statements import views as statement_views
from app.public.statistics import views as statistics_views
from app.questions import views as question_views
from app.questions.enums import ENTRY_MACHINE, EntryStatus
from app.routing import HeadAsGet, RouteIndex, flat_routes
from app.security import (
    BodyLimitMiddleware,
    CSRFMiddleware,
    RouteLimits,
    SecurityHeadersMiddleware,
    cookie_name,
)
from app.settings import Settings, load_settings
from app.sqlite_writers import sqlite_file
from app.storage import LocalBlobStore
from app.workspace.administration import views as workspace_administration_views
from app.workspace.challenges import views as workspace_challenge_views
from app.workspace.corrections import views as workspace_correction_views
from app.workspace.events import views as workspace_event_views
from app.workspace.portfolio import views as workspace_portfolio_views
from app.workspace.propositions import views as workspace_proposition_views
from app.workspace.regions import views as workspace_region_views


async def _start_process(settings: Settings) -> None:
    # Views run in worker threads. A few at a time keeps a thread that holds a database lock from
    # waiting for the interpreter behind dozens of others (and within the connection pool's size).
    anyio.to_thread.current_default_thread_limiter().total_tokens = settings.threads
    # Uploaded documents are checked in processes forked from a server started now, not at the first upload;
    # a production worker has its pool of checking processes started too (see ``isolation``).
    checkers = settings.document_checkers
    await anyio.to_thread.run_sync(
        partial(isolation.start_checker, keep=checkers, ready=checkers if settings.production else 0)
    )


def _remove_abandoned_uploads(blobs: LocalBlobStore) -> None:
    """Partial uploads of a worker that was killed (or crashed) are removed when its replacement starts."""
    removed = blobs.remove_abandoned()
    if removed:
        logging.getLogger("portal").warning("removed %d temporary upload file(s) of ended processes", removed)


async def _warm_public_pages(app: FastAPI, settings: Settings) -> None:
    """The public pages rendered once before the first request (``app.public.warmup``); never fatal."""
    try:
        now = app.state.clock.now()
        paths = await anyio.to_thread.run_sync(partial(warmup.public_paths, app.state.db, now=now))
        language_cookie = cookie_name(web.LANGUAGE_COOKIE, https=settings.https)
        await warmup.warm_up(app, paths, base_url=settings.base_url, language_cookie=language_cookie)
    except Exception:
        logging.getLogger("portal").exception("warming up the public pages failed; the worker starts all the same")


@asynccontextmanager
async def _lifespan(settings: Settings, running: FastAPI) -> AsyncIterator[None]:
    """A worker's startup and shutdown."""
    await _start_process(settings)
    listening = _listen_for_session_changes(running)
    await anyio.to_thread.run_sync(_remove_abandoned_uploads, running.state.blobs)
    if settings.production:
        await _warm_public_pages(running, settings)
        # Everything built at startup (modules, routes, templates, mappers) lives as long as the
        # process: moved out of the collector's sight, a full collection no longer walks it, which
        # took up to 90 ms per pause and a tenth of a worker's CPU in a deadline rush.
        gc.collect()
        gc.freeze()
        _give_back_free_memory()
    try:
        yield
    finally:
        if listening is not None:
            listening.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await listening


def create_app(settings: Settings | None = None, *, db: Database | None = None, clock: Clock | None = None) -> FastAPI:
    """Build the portal. Tests pass their own settings, database and clock."""
    settings = settings or load_settings()

    app = FastAPI(
        lifespan=partial(_lifespan, settings),
        title="Defence challenge portal API",
        version=__version__,
        description="Public, read-only API of the challenges published by the Dutch Ministry of Defence.",
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
    )
    app.state.settings = settings
    app.state.db = db or Database(settings.effective_database_url)
    app.state.session_cache = _session_cache(app.state.db)
    app.state.clock = clock or SystemClock()
    app.state.templates = web.build_templates(production=settings.production)
    _add_template_globals(app.state.templates.env)
    app.state.blank_parts = BlankParts(app.state.templates.env)  # a blank form's fields, per content and language
    # Templates see a session only once its second factor (if it needs one) was given.
    app.state.auth_loader = load_signed_in
    # What other domains show on the account page (accounts may not import them): a coordinator's team and areas.
    app.state.account_sections = AccountSections((region_service.account_section, area_service.account_section))
    app.state.blobs = LocalBlobStore(settings.effective_blob_dir)
    app.state.trusted_proxies = settings.trusted_proxy_networks()

    _add_middleware(app, settings)
    app.add_exception_handler(StarletteHTTPException, web.http_exception_handler)
    app.add_exception_handler(RequestValidationError, web.validation_exception_handler)
    app.add_exception_handler(DomainError, web.domain_exception_handler)
    app.add_exception_handler(Redirect, redirect_handler)
    for database_error in (DBAPIError, DatabaseDisconnected, DatabasePoolTimeout):
        app.add_exception_handler(database_error, web.database_error_handler)
    app.add_exception_handler(Exception, web.unhandled_exception_handler)

    app.mount("/static", StaticFiles(directory=web.STATIC_DIR), name="static")
    # Every router's routes in one table, searched by the path's first segment (``app.routing``).
    app.router.routes.append(RouteIndex(flat_routes(ROUTERS)))
    # E-mails' links come from the route table (``app.url_path_for`` searches every route for every link).
    app.state.links = Links(settings.base_url, partial(web.path_for, app))
    # /api/openapi.json describes the public API (/api/...) only, not the pages or the staff routes.
    app.openapi = partial(public_openapi, app)  # type: ignore[method-assign]
    return app


def _session_cache(db: Database) -> SessionCache | None:
    """A cache of session lookups (``app.accounts.session_cache``): on PostgreSQL told of this process's own changes
    at their commit and of others' by the listening task; on a SQLite file checked against ``auth_version`` on
    each request. None for a SQLite database in memory and a stand-in database of the tests (no real commits)."""
    if not isinstance(db, Database):
        return None
    if db.dialect == "postgresql":
        cache = SessionCache()
        db.watch_commits(SESSION_TABLES, cache.forget_all)
        return cache
    path = sqlite_file(db.url)
    if path is None:
        return None
    cache = SessionCache(version=SQLiteAuthVersion(path))
    cache.start()
    return cache


def _listen_for_session_changes(app: FastAPI) -> asyncio.Task[None] | None:
    """The task that keeps the session cache told of other processes' changes on PostgreSQL (it is used only while
    this runs)."""
    cache: SessionCache | None = app.state.session_cache
    if cache is None or app.state.db.dialect != "postgresql":
        return None
    return asyncio.get_running_loop().create_task(keep_listening(app.state.db.url, cache))


def _give_back_free_memory() -> None:
    """Return to the system the memory that starting up used and freed (imports, the warm-up): the C library
    keeps it for reuse, and a worker's resident size would count it for the rest of its life."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back this way
        pass


def _add_template_globals(env: Environment) -> None:
    """What every template may use besides its own context."""
    # The header, menus and footer, rendered once per language and the menus the session's roles open.
    layout.install(env, account_permissions.menus)
    # Pages name a stage by its title in the reader's language, never by its key.
    env.globals["stage_title"] = challenge_service.stage_title
    # The language switch returns to the page without its ``?lang=`` (which would outweigh the choice).
    env.globals["without_language"] = i18n.without_language
    # Status labels and badges come from the state machines; templates compare statuses with the enums' members.
    env.globals.update(
        challenge_machine=CHALLENGE_MACHINE,
        ChallengeStatus=ChallengeStatus,
        Phase=Phase,
        phase_labels=PHASE_LABELS,
        phase_classes=PHASE_CLASSES,
        proposal_machine=PROPOSAL_MACHINE,
        ProposalStatus=ProposalStatus,
        entry_machine=ENTRY_MACHINE,
        EntryStatus=EntryStatus,
        organisation_machine=ORGANISATION_MACHINE,
        OrganisationStatus=OrganisationStatus,
    )


def _add_middleware(app: FastAPI, settings: Settings) -> None:
    """Added last, runs first: ``HEAD`` becomes ``GET`` without the body; the page cache answers the public pages
    it keeps; security headers wrap everything
    else, including the refusals of the body limits (which count the bytes before anything reads them) and of the
    CSRF check."""
    session_cookie = sessions.session_cookie_name(settings)
    app.add_middleware(
        CSRFMiddleware,
        secret=settings.resolved_secret_key(),
        https=settings.https,
        session_cookie=session_cookie,
        exempt_prefixes=("/api/",),
    )
    app.add_middleware(BodyLimitMiddleware, limit_of=RouteLimits(app.router.routes))
    app.add_middleware(SecurityHeadersMiddleware, https=settings.https, session_cookie=session_cookie)
    # Outermost: a kept public page is answered before anything else runs (its headers were kept with it).
    app.add_middleware(
        PageCacheMiddleware,
        paths=public_cache.CACHED_PATHS,
        watch=public_cache.content_watch(),
        session_cookie=session_cookie,
        language_cookie=cookie_name(web.LANGUAGE_COOKIE, https=settings.https),
        default_language=settings.default_language,
        https=settings.https,
    )
    app.add_middleware(HeadAsGet)  # before everything: the page cache and the routes see a GET


# Every domain's routes, in the order they are matched.
ROUTERS: tuple[APIRouter, ...] = (
    ops_views.router,
    public_views.router,
    feed_views.router,
    receipt_views.router,
    statement_views.router,
    account_views.router,
    reminder_views.router,
    email_change_views.router,
    preference_views.router,
    two_factor_views.router,
    challenge_api.router,
    subscription_views.router,
    ocds_views.router,
    outcome_views.router,
    statistics_views.router,
    organisation_identity_views.router,  # before /organisations/{organisation_id}
    organisation_views.router,
    admin_views.router,
    admin_organisation_views.router,
    admin_blocking_views.router,
    admin_two_factor_reset_views.router,
    admin_audit_views.router,
    admin_outbox_views.router,
    admin_region_views.router,
    admin_area_views.router,
    proposal_views.router,
    proposition_views.router,
    question_views.router,
    market_event_views.router,
    workspace_challenge_views.router,
    workspace_correction_views.router,
    workspace_administration_views.router,
    workspace_portfolio_views.router,
    workspace_proposition_views.router,
    workspace_region_views.router,
    evaluation_views.router,
    workspace_event_views.router,
    followup_views.router,
)


def build_links(settings: Settings) -> Links:
    """The links services write into e-mails, for code outside a request (the command line, the worker)."""
    return Links(settings.base_url, web.RouteTable(flat_routes(ROUTERS)).path)


async def redirect_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Redirect)
    target = str(request.app.url_path_for(exc.route))
    if exc.next_path:
        target += "?" + urlencode({"next": exc.next_path})
    return RedirectResponse(target, status_code=303)
