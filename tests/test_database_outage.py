"""The database down, restarting or unreachable: the portal's own 503 page in the reader's language, with
Retry-After, never a stack trace; a statement that is simply wrong stays a fault of ours (500)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import exc as sa_exc

from app.accounts.sessions import SESSION_COOKIE
from app.database import Database, is_unavailable
from app.main import create_app
from app.settings import Settings
from app.web import LANGUAGE_COOKIE

# Nothing listens on the discard port of the loopback address: every connection is refused at once.
UNREACHABLE_POSTGRESQL = "postgresql+psycopg://postgres@127.0.0.1:9/portal"


def _client(tmp_path: Path, url: str) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production")
    app = create_app(settings, db=Database(url))
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.db.dispose()


@pytest.fixture(params=["postgresql", "sqlite"])
def unreachable(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """A portal whose database cannot be reached: a PostgreSQL server that refuses connections, or a SQLite
    file in a folder that does not exist."""
    url = UNREACHABLE_POSTGRESQL if request.param == "postgresql" else f"sqlite:///{tmp_path / 'gone' / 'portal.db'}"
    yield from _client(tmp_path, url)


def _assert_try_again_page(response, *, language: str) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.headers["content-type"].startswith("text/html")
    assert "Traceback" not in response.text and "OperationalError" not in response.text
    if language == "nl":
        assert "Het portaal is even niet beschikbaar" in response.text
        assert "Probeer het over een ogenblik opnieuw." in response.text
    else:
        assert "The portal is unavailable for a moment" in response.text
        assert "Please try again in a moment." in response.text


def test_a_page_that_needs_the_database_answers_503_in_dutch_when_it_cannot_be_reached(
    unreachable: TestClient,
) -> None:
    response = unreachable.get("/")
    _assert_try_again_page(response, language="nl")


def test_the_503_page_speaks_the_readers_language(unreachable: TestClient) -> None:
    unreachable.cookies.set(LANGUAGE_COOKIE, "en")
    _assert_try_again_page(unreachable.get("/challenges/drone-detection"), language="en")


def test_a_logged_in_visitor_gets_the_503_page_when_the_session_cannot_be_looked_up(
    unreachable: TestClient,
) -> None:
    unreachable.cookies.set(SESSION_COOKIE, "a-session-token-the-database-would-know")
    response = unreachable.get("/proposals")
    _assert_try_again_page(response, language="nl")
    assert "Uitloggen" not in response.text and "Log out" not in response.text


def test_a_form_posted_while_the_database_is_away_gets_the_503_page(unreachable: TestClient) -> None:
    from tests.factories import csrf

    response = unreachable.post(
        "/login", data={"email": "someone@example.nl", "password": "x" * 20, "csrf_token": csrf(unreachable)}
    )
    _assert_try_again_page(response, language="nl")


def test_readyz_says_not_ready_while_the_database_cannot_be_reached(unreachable: TestClient) -> None:
    response = unreachable.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready"}


def _sqlite_error(message: str, kind: type[sa_exc.DBAPIError] = sa_exc.OperationalError) -> sa_exc.DBAPIError:
    return kind("SELECT 1", {}, sqlite3.OperationalError(message))


@pytest.mark.parametrize(
    ("error", "unavailable"),
    [
        (_sqlite_error("database is locked"), True),
        (_sqlite_error("unable to open database file"), True),
        (_sqlite_error("database or disk is full"), True),
        (_sqlite_error("no such table: proposal"), False),
        (sa_exc.IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint failed")), False),
        (sa_exc.OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")), True),
        (sa_exc.InterfaceError("SELECT 1", {}, Exception("the connection is closed")), True),
        (sa_exc.ProgrammingError("SELEC 1", {}, Exception("syntax error")), False),
        (sa_exc.DBAPIError("SELECT 1", {}, Exception("gone"), connection_invalidated=True), True),
        (sa_exc.TimeoutError("QueuePool limit reached"), True),
        (ValueError("not a database error"), False),
    ],
)
def test_is_unavailable_tells_an_unreachable_database_from_a_wrong_statement(
    error: BaseException, unavailable: bool
) -> None:
    assert is_unavailable(error) is unavailable


def test_a_wrong_statement_is_still_a_500_and_not_a_try_again_page(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production")
    # A database without the schema: the first query finds no table, which no moment of waiting repairs.
    app = create_app(settings, db=Database(f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app, follow_redirects=False, raise_server_exceptions=False) as client:
        response = client.get("/")
    app.state.db.dispose()
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert "Traceback" not in response.text


def test_an_upload_refused_for_the_outage_is_read_to_its_end_so_the_browser_sees_the_page(
    unreachable: TestClient,
) -> None:
    """The session lookup fails before the body is read; the rest of the body is read (and dropped) before
    the 503 page goes out, or a browser still sending would find the connection closed, not the page. Called
    as ASGI: the test client would hand the app the whole body at once."""
    from app.security import CSRF_COOKIE, csrf_token_for

    unreachable.get("/healthz")
    csrf_cookie = unreachable.cookies[CSRF_COOKIE]
    session = "a-session-token-the-database-would-know"
    token = csrf_token_for("test-secret-key-not-for-production", csrf_cookie, session)
    boundary = "portal-test-outage"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="brief.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    parts = [head] + [b"\0" * (64 * 1024)] * 32 + [f"\r\n--{boundary}--\r\n".encode()]
    messages = [{"type": "http.request", "body": part, "more_body": True} for part in parts]
    messages[-1]["more_body"] = False
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return messages[read - 1] if read <= len(messages) else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/proposals/1/documents/brief",
        "raw_path": b"/proposals/1/documents/brief",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", f"multipart/form-data; boundary={boundary}".encode()),
            (b"cookie", f"{SESSION_COOKIE}={session}; {CSRF_COOKIE}={csrf_cookie}".encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    # In a thread of its own: a browser test earlier in this process may have left an event loop running here.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(anyio.run, unreachable.app, scope, receive, send).result()  # type: ignore[arg-type]
    start = next(message for message in sent if message["type"] == "http.response.start")
    headers = {name.decode().lower(): value.decode() for name, value in start["headers"]}
    page = b"".join(message.get("body", b"") for message in sent if message["type"] == "http.response.body")
    assert start["status"] == 503
    assert "Het portaal is even niet beschikbaar" in page.decode()
    assert read == len(messages)
    assert "connection" not in headers
