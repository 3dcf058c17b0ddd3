"""The route index answers every request with the route a search of the whole table in order would pick."""

from __future__ import annotations

import re

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match

from app.main import ROUTERS, create_app
from app.routing import RouteIndex, flat_routes, leaf_routes
from app.settings import Settings

METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _search(routes: list[BaseRoute], scope: dict[str, object]) -> tuple[Match, BaseRoute | None]:
    """Starlette's own rule: the first full match, else the first partial one (a path without its method)."""
    partial = None
    for route in routes:
        match, _child = route.matches(scope)
        if match == Match.FULL:
            return match, route
        if match == Match.PARTIAL and partial is None:
            partial = route
    return (Match.PARTIAL, partial) if partial is not None else (Match.NONE, None)


def _paths(routes: list[BaseRoute]) -> set[str]:
    paths = {"/", "/nowhere", "/static/x", "//", "/proposals", "/proposals/"}
    for route in routes:
        path = getattr(route, "path", "")
        for value in ("7", "seven", "counter-uas"):
            filled = re.sub(r"\{[^}]+\}", value, path)
            paths.update({filled, filled + "/", filled + "/7", filled + "x", filled.rsplit("/", 1)[0] or "/"})
    return paths


def test_the_index_picks_the_route_the_whole_table_in_order_would() -> None:
    routes = flat_routes(ROUTERS)
    index = RouteIndex(routes)
    for path in sorted(_paths(routes)):
        for method in METHODS:
            scope = {"type": "http", "method": method, "path": path, "root_path": "", "headers": []}
            expected_match, expected_route = _search(routes, scope)
            match, child = index.matches(scope)
            assert match == expected_match, (method, path)
            assert child.get("portal.route") is expected_route, (method, path)


def test_every_route_of_every_router_is_in_the_app_once() -> None:
    app = create_app(Settings(secret_key="test-secret-key-not-for-production"))
    in_app = [route for route in leaf_routes(app.router.routes) if route in flat_routes(ROUTERS)]
    assert len(in_app) == len(set(map(id, in_app))) == len(flat_routes(ROUTERS))
    names = {getattr(route, "name", None) for route in in_app}
    assert {"proposal_submit", "challenge_detail"} <= names


def test_a_router_included_with_a_prefix_is_not_flattened() -> None:
    inner = APIRouter()

    @inner.get("/x")
    def x() -> dict[str, str]:
        return {}

    outer = APIRouter()
    outer.include_router(inner, prefix="/inner")
    with pytest.raises(ValueError, match="cannot be flattened"):
        flat_routes([outer])


def test_an_indexed_app_answers_404_405_and_redirects_a_trailing_slash() -> None:
    router = APIRouter()

    @router.get("/things/{thing_id}")
    def thing(thing_id: int) -> dict[str, int]:
        return {"thing": thing_id}

    @router.post("/things")
    def add() -> dict[str, str]:
        return {"added": "yes"}

    @router.get("/{slug}")
    def page(slug: str) -> dict[str, str]:
        return {"page": slug}

    app = FastAPI()
    app.router.routes.append(RouteIndex(flat_routes([router])))
    client = TestClient(app, follow_redirects=False)
    assert client.get("/things/3").json() == {"thing": 3}
    assert client.post("/things").json() == {"added": "yes"}
    assert client.delete("/things/3").status_code == 405  # the path is there, not for DELETE
    assert client.get("/things").json() == {"page": "things"}  # a full match after a partial one wins
    assert client.get("/about").json() == {"page": "about"}  # a parameter as first segment
    assert client.get("/things/3/").status_code == 307  # Starlette's slash redirect still finds it
    assert client.get("/things/3/more").status_code == 404
    assert app.url_path_for("thing", thing_id=5) == "/things/5"
