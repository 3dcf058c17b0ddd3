"""An address whose row id (or version number) is a whole number beyond the database's INTEGER is not found, like
any address that names nothing: before, PostgreSQL refused the statement ("integer out of range") and SQLite's
driver could not bind a number past 2**63, and the visitor got the server error page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from tests.factories import create_challenge, create_user, csrf, log_in

_INTEGER = re.compile(r"\{([a-z_]*_id|number|index)\}")


def _routes(client: TestClient) -> list[object]:
    found: list[object] = []
    for route in client.app.router.routes:  # type: ignore[attr-defined]
        found.extend(getattr(route, "routes", [route]))
    return [route for route in found if _INTEGER.search(getattr(route, "path", ""))]


def test_every_route_answers_not_found_for_an_id_no_row_can_have(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    staff = create_user(
        session, email="adam@mindef.example", name="Adam", roles=("administrator", "coordinator", "evaluator")
    )
    session.commit()
    log_in(client, session, staff, now=clock.now())
    token = csrf(client)
    visitor = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies)
    routes = _routes(client)
    assert len(routes) > 60  # the proposals', evaluations', organisations', events', admin's... pages and forms
    answered = []
    for number in ("2147483648", "-2147483649", "99999999999999999999999"):
        for route in routes:
            url = _INTEGER.sub(number, route.path)  # type: ignore[attr-defined]
            url = url.replace("{slug}", "counter-uas").replace("{stage_key}", "sketch")
            url = re.sub(r"\{[a-z_]+\}", "x", url)
            for method in sorted(route.methods):  # type: ignore[attr-defined]
                data = {"csrf_token": token} if method == "POST" else None
                answered.append((method, url, visitor.request(method, url, data=data).status_code))
    assert [entry for entry in answered if entry[2] not in (404, 405)] == []
    assert any(status == 404 for _method, _url, status in answered)


def test_the_largest_id_still_reaches_its_page(client: TestClient, session: Session, clock: FrozenClock) -> None:
    """The largest INTEGER is an id like any other (its page says not found from the database); a slug made of
    digits is not an id."""
    staff = create_user(session, email="adam@mindef.example", name="Adam", roles=("administrator",))
    session.commit()
    log_in(client, session, staff, now=clock.now())
    assert client.get(f"/admin/users/{2**31 - 1}").status_code == 404
    assert client.get(f"/admin/users/{staff.id}").status_code == 200
    assert client.get("/challenges/12345678901234567890").status_code == 404
    assert client.get(f"/admin/users/{2**31}").status_code == 404
    assert client.get(f"/admin/users/{'9' * 5000}").status_code == 404  # longer than Python converts
    assert client.get(f"/admin/users/{'0' * 12}{staff.id}").status_code == 200  # leading zeros: the same id
