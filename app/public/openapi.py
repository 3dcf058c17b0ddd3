"""The OpenAPI description at ``/api/openapi.json``: the public JSON API (``/api/...``) only.

The HTML pages, the staff routes, the feeds and the health checks are not part of the API, so they are left
out here, whatever router they come from: a new page needs no flag to stay out of the API's description.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.routing import leaf_routes

API_PREFIX = "/api/"


def api_routes(app: FastAPI) -> list[APIRoute]:
    return [
        route
        for route in leaf_routes(app.routes)
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
