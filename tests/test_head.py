"""``HEAD`` is answered as ``GET`` would be, without the body (``app.routing.HeadAsGet``)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories import create_challenge

SAME = ("content-type", "content-length", "etag", "content-language", "cache-control")


def _same_headers(head: Any, get: Any) -> None:
    for name in SAME:
        assert head.headers.get(name) == get.headers.get(name), name


def test_public_pages_and_the_api_answer_head_with_get_s_headers(client: TestClient, session: Session) -> None:
    create_challenge(session)
    for path in ("/?lang=en", "/challenges/test-challenge?lang=nl", "/api/v1/challenges", "/healthz"):
        get = client.get(path, headers={"Accept-Encoding": "identity"})
        head = client.head(path, headers={"Accept-Encoding": "identity"})
        assert get.status_code == 200 and get.content, path
        assert head.status_code == 200, path
        assert head.content == b"", path
        _same_headers(head, get)


def test_head_answers_304_to_a_matching_validator(client: TestClient, session: Session) -> None:
    create_challenge(session)
    etag = client.get("/challenges/test-challenge", headers={"Accept-Encoding": "identity"}).headers["etag"]
    again = client.head("/challenges/test-challenge", headers={"Accept-Encoding": "identity", "If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""


def test_head_of_a_staff_page_is_refused_as_get_is(client: TestClient) -> None:
    get = client.get("/account", follow_redirects=False)
    head = client.head("/account", follow_redirects=False)
    assert head.status_code == get.status_code == 303
    assert head.headers["location"] == get.headers["location"]
    assert head.content == b""


def test_head_of_a_form_only_route_is_405_and_changes_nothing(client: TestClient) -> None:
    answer = client.head("/logout")
    assert answer.status_code == 405 and answer.content == b""
    assert client.head("/no-such-page").status_code == 404
