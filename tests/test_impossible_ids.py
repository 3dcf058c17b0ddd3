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


def test_forms_choosing_a_row_by_an_impossible_id_are_refused(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    """An id chosen in a form (an evaluator, a proposal, the organisation acted for) that is too long to be one
    names nothing: the form's message, nothing stored, never the server error page."""
    from sqlalchemy import func, select

    from app.evaluations.models import Assignment, PoolMember
    from tests.evaluations.helpers import after_deadline, build_scenario, post

    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    token = csrf(client)
    visitor = TestClient(client.app, raise_server_exceptions=False, cookies=client.cookies)
    for number in ("2147483648", "-99999999999", "9" * 40):
        pool = visitor.post(f"{s.base}/pool", data={"evaluator_id": number, "csrf_token": token})
        assert pool.status_code == 422, pool.status_code
        chosen = {"proposal_id": number, "evaluator_id": s.evaluators[0].id, "csrf_token": token}
        assert visitor.post(f"{s.base}/assignments", data=chosen).status_code == 422
        chosen = {"proposal_id": s.proposals[0].id, "evaluator_id": number, "csrf_token": token}
        assert visitor.post(f"{s.base}/assignments", data=chosen).status_code == 422
        acting = visitor.post("/organisations/acting", data={"organisation_id": number, "csrf_token": token})
        assert acting.status_code < 500
    assert session.scalar(select(func.count()).select_from(PoolMember)) == 0
    assert session.scalar(select(func.count()).select_from(Assignment)) == 0
    assert post(client, f"{s.base}/pool", {"evaluator_id": s.evaluators[0].id}).status_code == 303


def test_chosen_ids_too_long_to_be_one_name_nothing() -> None:
    """The triage's challenge and programme, chosen from lists: a number too long to be an id is read as -1 (no row
    has it; the service refuses it with its lists' message), others as typed."""
    from app.forms import chosen_id, parse_form
    from app.proposals.propositions.schemas import TriageForm

    form, errors = parse_form(TriageForm, {"step": "refer", "challenge_id": "99999999999", "programme_id": "7"})
    assert errors == [] and form is not None and (form.challenge_id, form.programme_id) == (-1, 7)
    form, errors = parse_form(TriageForm, {"step": "route", "programme_id": "-" + "9" * 5000})
    assert errors == [] and form is not None and form.programme_id == -1
    assert [chosen_id(v) for v in ("12", " 00000000001 ", "1000000000", "x", 5)] == ["12", " 00000000001 ", -1, "x", 5]
