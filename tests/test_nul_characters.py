"""A NUL character (``%00``) in an address, a search or a form is bad input like any other: the 404 page, no
match, or the value without it; never a server error (PostgreSQL refuses one in a statement)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from tests.factories import create_challenge, create_user, csrf, log_in


def test_an_address_holding_a_nul_is_not_found(client: TestClient, session: Session) -> None:
    create_challenge(session)
    session.commit()
    for url in ("/challenges/%00", "/challenges/counter%00uas", "/api/v1/challenges/%00"):
        response = client.get(url)
        assert response.status_code == 404, url
    assert client.get("/api/v1/challenges/%00").json() == {"detail": "Pagina niet gevonden"}
    assert "Pagina niet gevonden" in client.get("/challenges/%00").text


def test_a_search_holding_a_nul_finds_nothing(client: TestClient, session: Session) -> None:
    challenge = create_challenge(session)
    session.commit()
    answer = client.get("/api/v1/challenges", params={"q": "\x00"})
    assert answer.status_code == 200 and answer.json()["count"] == 0
    assert client.get("/api/v1/challenges", params={"tag": "a\x00"}).json()["count"] == 0
    page = client.get("/", params={"q": "x\x00"})
    assert page.status_code == 200 and f'href="/challenges/{challenge.slug}"' not in page.text
    assert client.get("/api/v1/challenges").json()["count"] == 1  # without it, the challenge is there


def test_a_form_value_holding_a_nul_is_read_without_it(client: TestClient) -> None:
    client.get("/login")
    answer = client.post(
        "/login", data={"email": "nobody\x00@example.org", "password": "wrong\x00", "csrf_token": csrf(client)}
    )
    assert answer.status_code in (400, 401, 422) and "\x00" not in answer.text


def test_a_staff_search_holding_a_nul_finds_nobody(client: TestClient, session: Session, clock: FrozenClock) -> None:
    """The administrators' user search: on PostgreSQL the statement with a NUL failed (a server error)."""
    admin = create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))
    session.commit()
    log_in(client, session, admin, now=clock.now())
    found = client.get("/admin/users", params={"q": "adam\x00"})
    assert found.status_code == 200 and "adam@mindef.example" not in found.text
    assert "adam@mindef.example" in client.get("/admin/users", params={"q": "adam"}).text
