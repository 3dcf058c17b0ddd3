"""Session lookups kept per worker (``app.accounts.session_cache``): served while the database says nothing
changed, dropped when any process (another worker, a ``portal`` command, a change by hand) ends a session,
blocks an account or revokes a role, and not used at all while the worker does not listen for those changes
(PostgreSQL's notices) or cannot read the counter of them (SQLite's ``auth_version``)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from app.accounts import session_cache
from app.accounts.session_cache import SessionCache, SQLiteAuthVersion, conninfo
from app.accounts.sessions import SessionPolicy, SessionRecord, auth_from, start_session
from app.cli import main as cli
from app.clock import FrozenClock
from app.database import Database
from app.main import create_app
from app.settings import Settings
from app.sqlite_writers import sqlite_file
from tests.conftest import DEFAULT_NOW
from tests.factories import create_user, csrf, log_in

NOW = DEFAULT_NOW


def _record(user_id: int, *, seen: timedelta = timedelta(0)) -> SessionRecord:
    session = {"id": user_id, "user_id": user_id, "last_seen_at": NOW - seen, "expires_at": NOW + timedelta(hours=1)}
    return SessionRecord(session, {"id": user_id}, ())


def _listening_cache(limit: int = 20_000) -> SessionCache:
    cache = SessionCache(limit)
    cache.start()
    return cache


# --- the cache's own rules --------------------------------------------------------------------------------------


def test_nothing_is_kept_or_served_unless_the_cache_listens() -> None:
    cache = SessionCache()
    cache.keep("a", _record(1), generation=cache.generation, now=NOW)
    assert len(cache) == 0 and cache.get("a", now=NOW) is None
    cache.start()
    cache.keep("a", _record(1), generation=cache.generation, now=NOW)
    assert cache.get("a", now=NOW) == _record(1)
    cache.stop()  # the listening connection failed: what was kept goes, nothing is served
    assert len(cache) == 0 and cache.get("a", now=NOW) is None


def test_a_lookup_read_while_a_change_was_heard_is_not_kept() -> None:
    cache = _listening_cache()
    before = cache.generation
    cache.forget_user(99)  # a change announced between the read and the keep, for anyone
    cache.keep("a", _record(1), generation=before, now=NOW)
    assert cache.get("a", now=NOW) is None
    cache.keep("a", _record(1), generation=cache.generation, now=NOW)
    assert cache.get("a", now=NOW) is not None


def test_a_record_is_served_for_less_than_a_minute_after_its_last_activity() -> None:
    cache = _listening_cache()
    cache.keep("a", _record(1, seen=timedelta(seconds=50)), generation=cache.generation, now=NOW)
    assert cache.get("a", now=NOW) is not None
    assert cache.get("a", now=NOW + timedelta(seconds=10)) is None  # its activity is due to be stamped: read anew
    assert len(cache) == 0
    cache.keep("b", _record(2, seen=timedelta(minutes=1)), generation=cache.generation, now=NOW)
    assert len(cache) == 0  # never kept once due


def test_forgetting_a_user_drops_only_their_records() -> None:
    cache = _listening_cache()
    for token, user_id in (("a", 1), ("b", 1), ("c", 2)):
        cache.keep(token, _record(user_id), generation=cache.generation, now=NOW)
    cache.forget_user(1)
    assert cache.get("a", now=NOW) is None and cache.get("b", now=NOW) is None
    assert cache.get("c", now=NOW) is not None
    cache.forget_all()
    assert len(cache) == 0


def test_the_cache_keeps_at_most_its_limit_dropping_the_least_recently_used() -> None:
    cache = _listening_cache(limit=2)
    cache.keep("a", _record(1), generation=cache.generation, now=NOW)
    cache.keep("b", _record(2), generation=cache.generation, now=NOW)
    assert cache.get("a", now=NOW) is not None  # "a" used last
    cache.keep("c", _record(3), generation=cache.generation, now=NOW)
    assert len(cache) == 2 and cache.get("b", now=NOW) is None and cache.get("a", now=NOW) is not None
    cache.forget_user(2)  # the dropped record left no trace in the index by user
    assert len(cache) == 2


# --- two workers on one PostgreSQL database ---------------------------------------------------------------------


def _wait(condition: Callable[[], bool], *, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("not within the time allowed")
        time.sleep(0.01)


class Worker:
    """One worker process's app (its own engines, cache and listening connection) with a browser on it."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        self.client = client
        self.cache: SessionCache = app.state.session_cache
        self.lookups = 0

        def counted(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if "FROM auth_session" in statement:
                self.lookups += 1

        db: Database = app.state.db
        event.listen(db.engine, "after_cursor_execute", counted)
        binds = db.on_loop()
        assert binds is not None
        event.listen(binds.engine, "after_cursor_execute", counted)

    def get(self, path: str) -> Any:
        return self.client.get(path)


@pytest.fixture
def workers(fresh_db: Database, tmp_path: Path) -> Iterator[tuple[Worker, Worker, Any]]:
    """Two workers on one database file or PostgreSQL database, both with their cache in use, and an evaluator
    logged in."""
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production", base_url="http://testserver"
    )
    clock = FrozenClock(NOW)
    with ExitStack() as stack:
        found = []
        for db in (fresh_db, stack.enter_context(_second(fresh_db.url))):
            app = create_app(settings, db=db, clock=clock)
            client = stack.enter_context(TestClient(app, follow_redirects=False))
            found.append(Worker(app, client))
        first, second = found
        _wait(lambda: first.cache.listening and second.cache.listening)
        with fresh_db.unit_of_work() as session:
            user = create_user(session, email="evaluator@mindef.example", roles=("evaluator",), totp=True)
            token = log_in(first.client, session, user, now=NOW)
            session.expunge_all()
        second.client.cookies.set("portal_session", token)
        yield first, second, user


class _second:
    def __init__(self, url: str) -> None:
        self.db = Database(url)

    def __enter__(self) -> Database:
        return self.db

    def __exit__(self, *_: Any) -> None:
        self.db.dispose()


def _told(worker: Worker) -> None:
    """Until a change elsewhere reached the worker: PostgreSQL's notice arrives by itself (waited for here); on
    SQLite the next request reads the counter first."""
    if worker.app.state.db.dialect == "postgresql":
        _wait(lambda: len(worker.cache) == 0)


def test_a_worker_answers_from_its_cache_until_another_worker_logs_the_session_out(
    workers: tuple[Worker, Worker, Any],
) -> None:
    first, second, _user = workers
    assert second.get("/evaluate").status_code == 200
    looked_up = second.lookups
    assert looked_up >= 1 and len(second.cache) == 1
    for _ in range(3):
        assert second.get("/evaluate").status_code == 200
    assert second.lookups == looked_up  # served from the cache: no statement on auth_session

    response = first.client.post("/logout", data={"csrf_token": csrf(first.client)})
    assert response.status_code == 303
    _told(second)  # the logout's notice reached the other worker
    refused = second.get("/evaluate")
    assert refused.status_code == 303 and "/login" in refused.headers["location"]


def test_a_worker_never_answers_from_before_its_own_logout(
    workers: tuple[Worker, Worker, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without waiting for the database's notice (here never heard): its own commit dropped the records."""
    first, _second, _user = workers
    monkeypatch.setattr(session_cache, "_heard", lambda *_args, **_kwargs: None)
    assert first.get("/evaluate").status_code == 200 and len(first.cache) == 1
    token = first.client.cookies["portal_session"]
    assert first.client.post("/logout", data={"csrf_token": csrf(first.client)}).status_code == 303
    first.client.cookies.set("portal_session", token)  # the old cookie, replayed at once
    refused = first.get("/evaluate")
    assert refused.status_code == 303 and "/login" in refused.headers["location"]


def test_a_role_revoked_by_a_command_closes_the_pages_in_every_worker(
    workers: tuple[Worker, Worker, Any], fresh_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second, _user = workers
    assert first.get("/evaluate").status_code == 200 and second.get("/evaluate").status_code == 200
    monkeypatch.setenv("PORTAL_DATABASE_URL", fresh_db.url)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(cli, ["users", "revoke", "evaluator@mindef.example", "evaluator"])
    assert result.exit_code == 0, result.output
    _told(first)
    _told(second)
    assert first.get("/evaluate").status_code == 404
    assert second.get("/evaluate").status_code == 404


def test_an_account_blocked_by_hand_in_the_database_is_refused(
    workers: tuple[Worker, Worker, Any], fresh_db: Database
) -> None:
    _first, second, user = workers
    assert second.get("/evaluate").status_code == 200
    with fresh_db.engine.begin() as connection:
        connection.execute(text("UPDATE user_account SET status = 'blocked' WHERE id = :id"), {"id": user.id})
    _told(second)
    assert second.get("/evaluate").status_code == 303


def test_unknown_cookies_fill_nothing(workers: tuple[Worker, Worker, Any]) -> None:
    _first, second, _user = workers
    second.client.cookies.set("portal_session", "not-a-session-token")
    for _ in range(3):
        assert second.get("/evaluate").status_code == 303
    assert len(second.cache) == 0 and second.lookups == 3


def test_while_not_listening_every_request_looks_its_session_up(
    workers: tuple[Worker, Worker, Any], fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    _first, second, _user = workers
    if fresh_db.dialect != "postgresql":
        pytest.skip("PostgreSQL's listening connection")
    monkeypatch.setattr(session_cache, "RETRY_SECONDS", 0.5)
    assert second.get("/evaluate").status_code == 200 and len(second.cache) == 1
    before = second.cache.generation
    with fresh_db.engine.begin() as connection:  # the listening connections go (a server restart, a network cut)
        connection.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query = 'LISTEN portal_auth' AND pid <> pg_backend_pid()"
            )
        )
    _wait(lambda: second.cache.generation > before)
    assert len(second.cache) == 0  # what was kept went with the connection
    # back within the retry, listening again; every request meanwhile was read from the database
    _wait(lambda: second.cache.listening)
    assert second.get("/evaluate").status_code == 200


# --- the triggers -----------------------------------------------------------------------------------------------


def _notices(url: str, change: Callable[[], int]) -> list[str]:
    """The notices a change (returning its connection's backend pid) sends: tests running beside this one on the
    same server send theirs too."""
    with psycopg.connect(conninfo(url), autocommit=True) as listener:
        listener.execute("LISTEN portal_auth")
        pid = change()
        return [notice.payload for notice in listener.notifies(timeout=0.5) if notice.pid == pid]


def test_the_database_announces_changes_but_not_the_activity_stamp(fresh_db: Database) -> None:
    if fresh_db.dialect != "postgresql":
        pytest.skip("SQLite has no session cache to tell")
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    with fresh_db.unit_of_work() as session:
        user = create_user(session, email="someone@example.nl")
        start_session(session, user=user, now=NOW, policy=policy, ip=None, user_agent=None)
        session.commit()
        user_id = user.id
    with fresh_db.engine.connect() as connection:
        schema = connection.execute(text("SELECT current_schema()")).scalar_one()
    announced = [f"{schema}:{user_id}"]

    def run(sql: str) -> Callable[[], int]:
        def change() -> int:
            with fresh_db.engine.begin() as connection:
                connection.execute(text(sql), {"id": user_id})
                return int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())

        return change

    stamp = "UPDATE auth_session SET last_seen_at = last_seen_at + interval '1 minute' WHERE user_id = :id"
    assert _notices(fresh_db.url, run(stamp)) == []
    ended = "UPDATE auth_session SET ended_at = now() WHERE user_id = :id"
    assert _notices(fresh_db.url, run(ended)) == announced
    role = "INSERT INTO user_role (user_id, role, granted_at) VALUES (:id, 'evaluator', now())"
    assert _notices(fresh_db.url, run(role)) == announced
    renamed = "UPDATE user_account SET name = 'Other' WHERE id = :id"
    assert _notices(fresh_db.url, run(renamed)) == announced
    removed = "DELETE FROM auth_session WHERE user_id = :id"
    assert _notices(fresh_db.url, run(removed)) == announced

    def rolled_back() -> int:
        with fresh_db.engine.connect() as connection:
            connection.execute(text(renamed), {"id": user_id})
            pid = int(connection.execute(text("SELECT pg_backend_pid()")).scalar_one())
            connection.rollback()
            return pid

    assert _notices(fresh_db.url, rolled_back) == []


def test_sqlite_counts_changes_but_not_new_sessions(fresh_db: Database, settings: Settings) -> None:
    if fresh_db.dialect != "sqlite":
        pytest.skip("SQLite's counter")
    version = SQLiteAuthVersion(str(sqlite_file(fresh_db.url)))
    policy = SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
    with fresh_db.unit_of_work() as session:
        user = create_user(session, email="someone@example.nl")
        session.commit()
        before = version.read()
        start_session(session, user=user, now=NOW, policy=policy, ip=None, user_agent=None)
        session.commit()
        assert version.read() == before  # a new session changes no lookup kept
        user_id = user.id
    changes = (
        "UPDATE auth_session SET ended_at = '2026-12-01 10:00:00' WHERE user_id = :id",
        "INSERT INTO user_role (user_id, role, granted_at) VALUES (:id, 'evaluator', '2026-12-01 10:00:00')",
        "DELETE FROM user_role WHERE user_id = :id",
        "UPDATE user_account SET name = 'Other' WHERE id = :id",
        "DELETE FROM auth_session WHERE user_id = :id",
    )
    for sql in changes:
        seen = version.read()
        with fresh_db.engine.begin() as connection:
            connection.execute(text(sql), {"id": user_id})
        assert version.read() == (seen or 0) + 1, sql
    with fresh_db.engine.connect() as connection:
        connection.execute(text(changes[3]), {"id": user_id})
        connection.rollback()
    assert version.read() == (seen or 0) + 1  # nothing counted for a change rolled back
    cache = create_app(settings, db=fresh_db).state.session_cache
    assert cache is not None and cache.listening


def test_a_sqlite_database_in_memory_keeps_no_session_lookups(settings: Settings) -> None:
    assert create_app(settings, db=Database("sqlite://")).state.session_cache is None


def test_the_sqlite_cache_drops_everything_when_the_counter_moves_or_cannot_be_read() -> None:
    readings: list[int | None] = [1, 1, 2, None, 3]

    class Counter:
        def read(self) -> int | None:
            return readings.pop(0)

    cache = SessionCache(version=Counter())  # type: ignore[arg-type]
    cache.start()
    assert cache.get("a", now=NOW) is None  # first reading: nothing kept yet
    cache.keep("a", _record(1), generation=cache.generation, now=NOW)
    assert cache.get("a", now=NOW) is not None  # the counter stood still
    assert cache.get("a", now=NOW) is None and len(cache) == 0  # it moved
    cache.keep("a", _record(1), generation=cache.generation, now=NOW)
    assert cache.get("a", now=NOW) is None and len(cache) == 0  # unreadable: nothing served, everything dropped
    assert cache.get("a", now=NOW) is None


def test_notices_of_another_schema_or_unknown_shape(fresh_db: Database) -> None:
    cache = _listening_cache()
    for token, user_id in (("a", 1), ("b", 2)):
        cache.keep(token, _record(user_id), generation=cache.generation, now=NOW)
    session_cache._heard(cache, "other_portal:1", schema="public")
    assert len(cache) == 2  # another portal's user 1
    session_cache._heard(cache, "public:1", schema="public")
    assert cache.get("a", now=NOW) is None and cache.get("b", now=NOW) is not None
    session_cache._heard(cache, "something else", schema="public")
    assert len(cache) == 0


# --- the request's own objects ----------------------------------------------------------------------------------


def _full_record() -> SessionRecord:
    session = {
        "id": 7, "token_hash": "h", "user_id": 3, "created_at": NOW, "last_seen_at": NOW,
        "expires_at": NOW + timedelta(hours=1), "ended_at": None, "mfa_verified_at": NOW, "mfa_failures": 0,
        "acting_organisation_id": None, "ip": None, "user_agent": None,
    }  # fmt: skip
    user = {
        "id": 3, "email": "e@example.nl", "name": "E", "language": "en", "is_active": True, "status": "active",
        "created_at": NOW, "email_confirmed_at": NOW, "last_login_at": NOW, "deleted_at": None,
        "totp_enabled_at": NOW, "totp_last_counter": None,
    }  # fmt: skip
    roles = ({"user_id": 3, "role": "evaluator", "granted_at": NOW, "granted_by_id": None},)
    return SessionRecord(session, user, roles)


def test_each_request_gets_its_own_detached_objects_without_the_secrets() -> None:
    from sqlalchemy import inspect
    from sqlalchemy.orm.exc import DetachedInstanceError

    record = _full_record()
    first, second = auth_from(record), auth_from(record)
    assert first is not second and first.user is not second.user
    assert first.user.role_names == frozenset({"evaluator"}) and first.user.is_staff and first.user.totp_enabled
    for instance in (first, first.user, first.user.roles[0]):
        state = inspect(instance)
        assert state.detached and not state.modified
    with pytest.raises(DetachedInstanceError):
        first.user.password_hash
    first.user.name = "changed"
    assert second.user.name == "E" and record.user["name"] == "E"


def test_objects_are_made_before_any_orm_statement_ran_in_the_process() -> None:
    """A worker's first request may be answered from the lookup alone (mappers not yet configured)."""
    import subprocess
    import sys

    code = (
        "from tests.accounts.test_session_cache import _full_record\n"
        "from app.accounts.sessions import auth_from\n"
        "print(sorted(auth_from(_full_record()).user.role_names))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "['evaluator']"
