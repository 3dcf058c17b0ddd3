"""One body limit per route, whatever carries the CSRF token, enforced while the body is read.

A route declares its limit with ``@body_limit(...)`` (``SMALL_FORM`` for login, registration and the like,
an upload limit for the few routes that take files); any other route gets ``FORM``. The middleware finds
the route before anything reads the body, refuses a ``Content-Length`` past the limit and a multipart body
on a route that takes no files, and counts the bytes as they stream in (chunked bodies too): past the limit
the read raises ``BodyTooLarge``, which the error handlers answer with the 413 page. An address holding a NUL
character (``%00``) is answered with the 404 page before any view looks it up (PostgreSQL refuses one in a
statement).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette._utils import get_route_path
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.i18n import N_
from app.routing import RouteIndex, leaf_routes

KIB = 1024
MIB = 1024 * KIB
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOO_LARGE = N_("What was sent is larger than this page accepts.")
NO_FILES = N_("This page does not accept files. Go back, reload the page and try again.")
BAD_LENGTH = N_("The request announced a length that is not a number.")

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


@dataclass(frozen=True)
class BodyLimit:
    """At most ``max_bytes`` of body; multipart (files) only where ``multipart`` is set."""

    max_bytes: int
    multipart: bool = False


SMALL_FORM = BodyLimit(64 * KIB)
FORM = BodyLimit(MIB)


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE, headers={"Connection": "close"})


def body_limit(limit: BodyLimit) -> Callable[[Endpoint], Endpoint]:
    """Give a route its own body limit (put it under the ``@router.post`` line)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        endpoint.body_limit = limit  # type: ignore[attr-defined]
        return endpoint

    return mark


def route_body_limit(routes: Iterable[BaseRoute], scope: Scope) -> BodyLimit:
    """The limit of the route that will answer this request; ``FORM`` when none declares one."""
    for route in routes:
        match, _child = route.matches(scope)
        if match != Match.FULL:
            continue
        if isinstance(route, RouteIndex):
            return route_body_limit(route.candidates(get_route_path(scope)), scope)
        included = getattr(route, "original_router", None)  # FastAPI keeps an included router whole
        if included is not None:
            return route_body_limit(included.routes, scope)
        limit = getattr(getattr(route, "endpoint", None), "body_limit", None)
        return limit if isinstance(limit, BodyLimit) else FORM
    return FORM


class RouteLimits:
    """``route_body_limit`` without the router's search: every route's path pattern, methods and limit, in the
    order the router tries them, gathered once (the routes do not change after the app is built). Matching a
    request is then one regular expression per route that takes its method, where going through FastAPI's
    included routers costs half a millisecond a request."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        self._routes = routes
        self._by_method: dict[str, list[tuple[re.Pattern[str], BodyLimit]]] = {}

    def _table(self) -> list[tuple[re.Pattern[str], BodyLimit, frozenset[str]]]:
        table = []
        for route in leaf_routes(self._routes):
            pattern = getattr(route, "path_regex", None)
            if pattern is None:  # a kind of route this table does not know: the router's search decides
                return []
            limit = getattr(getattr(route, "endpoint", None), "body_limit", None)
            methods = frozenset(getattr(route, "methods", None) or ())
            table.append((pattern, limit if isinstance(limit, BodyLimit) else FORM, methods))
        return table

    def __call__(self, scope: Scope) -> BodyLimit:
        method = scope["method"]
        candidates = self._by_method.get(method)
        if candidates is None:
            table = self._table()
            if not table:
                return route_body_limit(self._routes, scope)
            candidates = [(pattern, limit) for pattern, limit, methods in table if not methods or method in methods]
            self._by_method[method] = candidates
        path = get_route_path(scope)
        for pattern, limit in candidates:
            if pattern.match(path):
                return limit
        return FORM


def _media_type(scope: Scope) -> bytes:
    for name, value in scope.get("headers", []):
        if name == b"content-type":
            return bytes(value.split(b";")[0].strip().lower())
    return b""


def _declared_length(scope: Scope) -> bytes | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            return bytes(value).strip()
    return None


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit_of: Callable[[Scope], BodyLimit]) -> None:
        self.app = app
        self.limit_of = limit_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and "\x00" in scope["path"]:  # no page's address holds one: none is looked up
            await _refuse(scope, receive, send, 404, None)
            return
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_of(scope)
        if _media_type(scope) == b"multipart/form-data" and not limit.multipart:
            await _refuse(scope, receive, send, 415, NO_FILES)
            return
        declared = _declared_length(scope)
        if declared is not None and not declared.isdigit():
            await _refuse(scope, receive, send, 400, BAD_LENGTH)
            return
        if declared is not None and int(declared) > limit.max_bytes:
            await _refuse(scope, receive, send, 413, TOO_LARGE)
            return
        await self.app(scope, _counting(scope, receive, limit.max_bytes), send)


BODY_READ = "portal.body_read"
"""Set in a request's scope once the last part of its body has arrived."""


def _counting(scope: Scope, receive: Receive, max_bytes: int) -> Receive:
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        received += len(message.get("body", b""))
        if received > max_bytes:
            raise BodyTooLarge()
        if message["type"] == "http.request" and not message.get("more_body", False):
            scope[BODY_READ] = True
        return message

    return counted


async def read_rest_of_body(scope: Scope, receive: Receive) -> bool:
    """Read and drop what a request refused half-way has not sent yet (within its route's limit), so that
    the client, which is still sending, gets to read the answer. False if the client went away or sent past
    the limit: the connection is then closed after the answer."""
    if scope.get("method") in SAFE_METHODS or scope.get(BODY_READ):
        return True
    try:
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return False
            if not message.get("more_body", False):
                return True
    except BodyTooLarge:
        return False


async def _refuse(scope: Scope, receive: Receive, send: Send, status: int, message: str | None) -> None:
    """The portal's error page; the body is not read, so the connection is closed after the answer."""
    from starlette.requests import Request

    from app.web import error_response

    response = error_response(Request(scope, receive), status, message)
    response.headers["Connection"] = "close"
    await response(scope, receive, send)
