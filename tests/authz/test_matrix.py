"""The authorization matrix: every route of the app, every kind of actor, with someone else's object ids.

A route without a row fails ``test_every_route_has_a_row``; a row whose actor gets more than it should, or
whose response carries organisation A's data to someone outside it, fails ``test_route_for_actor``.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from starlette.routing import Route

import tests.authz
from app.clock import FrozenClock
from app.routing import leaf_routes
from tests.authz.rows import LOGIN, Row
from tests.authz.world import ACTORS, build_world
from tests.factories import csrf, log_in


def _all_rows() -> list[Row]:
    rows: list[Row] = []
    for module in pkgutil.iter_modules(tests.authz.__path__):
        if module.name.startswith("rows_"):
            rows.extend(importlib.import_module(f"tests.authz.{module.name}").ROWS)
    return rows


ROWS = _all_rows()


def test_every_route_has_a_row(app: FastAPI) -> None:
    declared = {
        (method, route.path)
        for route in leaf_routes(app.routes)
        if isinstance(route, APIRoute | Route)
        for method in (route.methods or set()) - {"HEAD"}
    }
    covered = {(row.method, row.route) for row in ROWS}
    assert declared - covered == set(), "routes without a row in the authorization matrix"
    assert covered - declared == set(), "rows for routes the app does not have"


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(
    "row", ROWS, ids=lambda row: f"{row.method} {row.url}" + (" after deadline" if row.after_deadline else "")
)
def test_route_for_actor(row: Row, actor: str, client: TestClient, session: Session, clock: FrozenClock) -> None:
    world = build_world(session, clock.now(), blobs=client.app.state.blobs)  # type: ignore[attr-defined]
    if row.after_deadline:
        assert world.after_deadline is not None
        clock.set(world.after_deadline)
    if actor != "anonymous":
        log_in(client, session, world.users[actor], now=clock.now())
    url = row.url.format(**world.ids)
    if row.method == "GET":
        response = client.get(url)
    else:
        data = {
            key: (value.format(**world.ids) if isinstance(value, str) else value) for key, value in row.data.items()
        }
        response = client.request(row.method, url, data={**data, "csrf_token": csrf(client)})
    expected = row.expected(actor)
    if expected == LOGIN:
        assert response.status_code == 303, response.text[:500]
        assert response.headers["location"].startswith("/login")
    else:
        assert response.status_code == expected, response.text[:500]
    if actor not in row.private_to:
        for secret in world.secrets_a:
            assert secret not in response.text, f"{secret!r} leaked to {actor}"
