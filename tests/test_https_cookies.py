"""Served over https, every cookie of the portal carries the ``__Host-`` prefix (Secure, Path=/, no Domain)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.main import create_app
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.factories import DEFAULT_PASSWORD, create_user, csrf


@pytest.fixture
def https_client(settings: Settings, tdb: TransactionalDatabase, clock: FrozenClock) -> Iterator[TestClient]:
    secure = settings.model_copy(update={"base_url": "https://portal.example"})
    app: FastAPI = create_app(secure, db=tdb, clock=clock)  # type: ignore[arg-type]
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        yield client


def _set_cookies(response: object) -> list[str]:
    return response.headers.get_list("set-cookie")  # type: ignore[attr-defined, no-any-return]


def test_cookies_over_https_carry_the_host_prefix(https_client: TestClient, session: Session) -> None:
    create_user(session, email="firm@example.nl")
    [csrf_cookie] = _set_cookies(https_client.get("/"))
    assert csrf_cookie.startswith("__Host-portal_csrf=")
    assert "Secure" in csrf_cookie and "Path=/" in csrf_cookie and "Domain" not in csrf_cookie
    login = https_client.post(
        "/login", data={"email": "firm@example.nl", "password": DEFAULT_PASSWORD, "csrf_token": csrf(https_client)}
    )
    assert login.status_code == 303
    cookies = _set_cookies(login)
    assert sorted(cookie.split("=")[0] for cookie in cookies) == ["__Host-portal_csrf", "__Host-portal_session"]
    assert all("secure" in cookie.lower() and "path=/" in cookie.lower() for cookie in cookies)
    assert https_client.get("/account").status_code == 200
    language = _set_cookies(https_client.get("/language/en?next=/"))
    assert [cookie.split("=")[0] for cookie in language] == ["__Host-portal_lang"]
    assert 'lang="en"' in https_client.get("/").text
    logout = https_client.post("/logout", data={"csrf_token": csrf(https_client)})
    assert any(cookie.startswith('__Host-portal_session=""') for cookie in _set_cookies(logout))
    assert https_client.get("/account").status_code == 303


def test_https_sets_hsts(https_client: TestClient) -> None:
    assert https_client.get("/").headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
