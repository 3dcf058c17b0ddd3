"""The security baseline that holds for every route: CSRF on every state-changing request, bound to the session."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.security import CSRF_COOKIE
from tests.factories import DEFAULT_PASSWORD, create_user, csrf, log_in


def test_csrf_cookie_is_set_on_first_visit(client: TestClient) -> None:
    response = client.get("/")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{CSRF_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_post_without_token_is_403_page_in_users_language(client: TestClient) -> None:
    client.get("/")
    response = client.post("/", data={"anything": "1"})
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("text/html")
    assert "Het formulier was verlopen of kwam niet van deze website" in response.text


def test_post_with_wrong_token_is_403(client: TestClient) -> None:
    client.get("/")
    assert client.post("/", data={"csrf_token": "0" * 64}).status_code == 403


def test_post_without_csrf_cookie_is_403_even_with_a_token(client: TestClient) -> None:
    token = csrf(client)
    client.cookies.clear()
    assert client.post("/", data={"csrf_token": token}).status_code == 403


def test_valid_token_passes_to_the_route(client: TestClient) -> None:
    # "/" only answers GET: getting past the CSRF check shows as 405 instead of 403.
    token = csrf(client)
    assert client.post("/", data={"csrf_token": token}).status_code == 405
    assert client.post("/", headers={"X-CSRF-Token": token}).status_code == 405


def test_token_in_the_query_string_does_not_count(client: TestClient) -> None:
    token = csrf(client)
    assert client.post(f"/?csrf_token={token}").status_code == 403


def test_multipart_is_refused_on_a_route_without_files(client: TestClient) -> None:
    token = csrf(client)
    response = client.post("/", data={"csrf_token": token}, files={"f": ("a.txt", b"x")})
    assert response.status_code == 415
    assert "Deze pagina neemt geen bestanden aan." in response.text


def test_oversized_form_is_refused(client: TestClient) -> None:
    csrf(client)
    response = client.post(
        "/", content=b"a=" + b"x" * (1024 * 1024 + 10), headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 413


def _name_change(client: TestClient, token: str) -> int:
    return int(client.post("/account/name", data={"name": "Nieuwe Naam", "csrf_token": token}).status_code)


def test_token_from_before_login_does_not_work_after_it(client: TestClient, session: Session) -> None:
    create_user(session, email="firm@example.nl")
    before = csrf(client)
    cookie_before = client.cookies[CSRF_COOKIE]
    login = client.post("/login", data={"email": "firm@example.nl", "password": DEFAULT_PASSWORD, "csrf_token": before})
    assert login.status_code == 303
    assert client.cookies[CSRF_COOKIE] != cookie_before  # renewed at login
    assert _name_change(client, before) == 403
    assert _name_change(client, csrf(client)) == 303


def test_token_of_one_session_does_not_work_in_another(app: FastAPI, session: Session, clock: FrozenClock) -> None:
    first_user = create_user(session, email="one@example.nl")
    second_user = create_user(session, email="two@example.nl")
    with TestClient(app, follow_redirects=False) as first, TestClient(app, follow_redirects=False) as second:
        log_in(first, session, first_user, now=clock.now())
        log_in(second, session, second_user, now=clock.now())
        first_token = csrf(first)
        second.cookies.set(CSRF_COOKIE, first.cookies[CSRF_COOKIE])  # even with the same CSRF cookie
        assert _name_change(second, first_token) == 403
        assert _name_change(second, csrf(second)) == 303
        assert _name_change(first, first_token) == 303
