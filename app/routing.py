"""The portal's routes in one flat table, searched only among those that can answer a path.

FastAPI keeps an included router whole and walks it on every request: each route of each router in turn,
with its bookkeeping in the request's scope, which cost up to 0.6 ms a request for a route near the end
of the table. The portal's routers are included without a prefix or dependencies of their own (their routes
carry their full paths), so their routes can stand in the app's table directly, in the order the routers
list them; ``RouteIndex`` then tries only the routes whose first path segment is the request's (and those
whose first segment is a parameter), in that same order. What a request matches does not change: the first
route that matches it fully answers; otherwise the first that matches its path but not its method answers
(405). A route whose integer path parameter (a row id, a version number) is a whole number beyond the
database's INTEGER does not match: the address is not found, as one naming no row is.

The routes are the routers' own objects, shared by every app built in one process, so an app's
``dependency_overrides`` do not reach them; the portal does not use them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from starlette._utils import get_route_path
from starlette.datastructures import URLPath
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

# Where ``matches`` leaves the chosen route for ``handle`` (the router copies the child scope into the request's).
_CHOSEN = "portal.route"


def flat_routes(routers: Iterable[Any]) -> list[BaseRoute]:
    """The routes of these routers and of the routers they include, in the order a router would try them.

    Refuses an inclusion that adds anything to its routes (a prefix, dependencies, tags...): those live in
    FastAPI's inclusion, not in the route, and would be lost."""
    found: list[BaseRoute] = []
    for router in routers:
        for route in router.routes:
            included = getattr(route, "original_router", None)
            if included is None:
                found.append(route)
                continue
            context = route.include_context
            if context.prefix or context.dependencies or context.tags or context.callbacks or context.responses:
                raise ValueError(f"a router included with options of its own cannot be flattened: {context}")
            found.extend(flat_routes([included]))
    return found


def _first_segment(route: BaseRoute) -> str | None:
    """The literal first segment of the route's path; None when it holds a parameter or the route has no path."""
    path = getattr(route, "path", None)
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    segment = path[1:].split("/", 1)[0]
    return None if "{" in segment else segment


# The database's INTEGER (PostgreSQL's ``integer``): every row id and number a path can name is one. A larger one
# names no row; sent to PostgreSQL it fails the statement ("integer out of range"), and past 2**63 SQLite's driver
# cannot even bind it.
_INTEGERS = range(-(2**31), 2**31)


def _integer_parameters(route: BaseRoute) -> frozenset[str]:
    """The names of the route's path parameters that its endpoint or its dependencies read as integers."""
    names: set[str] = set()
    pending = [getattr(route, "dependant", None)]
    while pending:
        dependant = pending.pop()
        if dependant is not None:
            names.update(field.name for field in dependant.path_params if field.field_info.annotation is int)
            pending.extend(dependant.dependencies)
    return frozenset(names)


def _names_a_row(integers: frozenset[str], child_scope: Scope) -> bool:
    """False when an integer parameter of the path is a whole number no row can have (the route then does not
    match: the address is not found, as for any other path that names nothing). Read without converting a long
    string of digits (Python refuses to convert more than 4,300)."""
    for name in integers:
        value = child_scope.get("path_params", {}).get(name)
        if not isinstance(value, str) or len(value) < 10:
            continue
        digits = value.removeprefix("-").removeprefix("+").lstrip("0")
        if digits.isascii() and digits.isdigit() and (len(digits) > 10 or int(value) not in _INTEGERS):
            return False
    return True


class RouteIndex(BaseRoute):
    """Routes looked up by their path's first segment, tried in their own order (see the module). A route whose
    integer path parameter is out of the database's range does not match (``_names_a_row``)."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        self.routes = list(routes)
        self._integers = {id(route): _integer_parameters(route) for route in self.routes}
        firsts = [(_first_segment(route), route) for route in self.routes]
        self._anywhere = [route for first, route in firsts if first is None]
        self._by_segment = {
            segment: [route for first, route in firsts if first in (segment, None)]
            for segment in {first for first, _route in firsts} - {None}
        }

    def candidates(self, path: str) -> list[BaseRoute]:
        segment = path[1:].split("/", 1)[0]
        return self._by_segment.get(segment, self._anywhere)

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] not in ("http", "websocket"):
            return Match.NONE, {}
        partial: tuple[BaseRoute, Scope] | None = None
        for route in self.candidates(get_route_path(scope)):
            match, child_scope = route.matches(scope)
            if match != Match.NONE and not _names_a_row(self._integers[id(route)], child_scope):
                continue
            if match == Match.FULL:
                return match, {**child_scope, _CHOSEN: route}
            if match == Match.PARTIAL and partial is None:
                partial = (route, child_scope)
        if partial is not None:
            route, child_scope = partial
            return Match.PARTIAL, {**child_scope, _CHOSEN: route}
        return Match.NONE, {}

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        await scope[_CHOSEN].handle(scope, receive, send)

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        for route in self.routes:
            try:
                return route.url_path_for(name, **path_params)
            except NoMatchFound:
                continue
        raise NoMatchFound(name, path_params)


def leaf_routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes in the order the router tries them, an index or an included router opened up."""
    for route in routes:
        if isinstance(route, RouteIndex):
            yield from route.routes
            continue
        contexts = getattr(route, "effective_route_contexts", None)
        if contexts is not None:
            yield from contexts()
        else:
            yield route


class HeadAsGet:
    """``HEAD`` answered as ``GET`` would be, without the body (RFC 9110, 9.3.2): the status and headers,
    ``Content-Length`` and validators included. FastAPI's routes answer only the methods they name, so a link
    checker's or an uptime monitor's ``HEAD /`` would otherwise get 405. The server (uvicorn) sends no body for
    a ``HEAD`` either; this drops it for any other server and for tests."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def without_body(message: Any) -> None:
            if message["type"] == "http.response.body" and message.get("body"):
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, without_body)
