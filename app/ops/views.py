"""Liveness and readiness for load balancers and orchestration; also the language switch."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse

from app.ops import service
from app.ops.privacy import views as privacy_views
from app.security.cookies import cookie_name
from app.settings import SUPPORTED_LANGUAGES
from app.web import LANGUAGE_COOKIE, DbSession, safe_next

router = APIRouter()
router.include_router(privacy_views.router)


@router.get("/healthz", name="healthz", include_in_schema=False)
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", name="readyz", include_in_schema=False)
def readyz(db: DbSession) -> JSONResponse:
    readiness = service.check_readiness(db)
    # Ready or not, and nothing else: the schema revision would tell a visitor which release runs.
    body = {"status": "ready" if readiness.ready else "not ready"}
    return JSONResponse(body, status_code=200 if readiness.ready else 503)


@router.get("/language/{code}", name="set_language", include_in_schema=False)
def set_language(request: Request, code: str, next: str | None = None) -> RedirectResponse:
    """Choose the language for this browser; a cookie keeps the choice. Not a state change on the server."""
    response = RedirectResponse(safe_next(next), status_code=303)
    if code in SUPPORTED_LANGUAGES:
        https = request.app.state.settings.https
        response.set_cookie(
            cookie_name(LANGUAGE_COOKIE, https=https),
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=https,
        )
    return response
