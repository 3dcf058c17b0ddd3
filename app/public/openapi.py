"""The OpenAPI description at ``/api/openapi.json``: the public JSON API (``/api/...``) only.

The HTML pages, the staff routes, the feeds and the health checks are not part of the API, so they are left
out here, whatever router they come from: a new page needs no flag to stay out of the API's description.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

API_PREFIX = "/api/"


def _flatten(routes: Iterable[Any]) -> list[Any]:
    """Every route, looking inside included routers (FastAPI wraps them)."""
    found: list[Any] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        found.extend(_flatten(inner.routes) if inner is not None else [route])
    return found


def api_routes(app: FastAPI) -> list[APIRoute]:
    return [
        route
        for route in _flatten(app.routes)
        if isinstance(route, APIRoute) and route.path.startswith(API_PREFIX) and route.include_in_schema
    ]


def public_openapi(app: FastAPI) -> dict[str, Any]:
    """Built once per app, from the ``/api/`` routes only."""
    if not app.openapi_schema:
        app.openapi_schema = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=api_routes(app),
            tags=app.openapi_tags,
        )
    return app.openapi_schema
