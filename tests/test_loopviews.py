"""The evaluator's pages run on the event loop (``app.loopviews``): with the loop's own connection, no thread
hop, nothing held across an ``await``; a writer that finds the writers' turn taken (SQLite) or another writing
session open in the process (PostgreSQL) waits in a worker thread while the loop goes on answering others."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import httpx2 as httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import event, select, text
from sqlalchemy.exc import OperationalError

from app import database, sqlite_writers
from app.audit.service import _CHAIN_LOCK_KEY as CHAIN_LOCK_KEY
from app.clock import FrozenClock
from app.database import Database, is_unavailable
from app.evaluations.models import Assignment, Evaluation, SecurityAssessment
from app.main import create_app
from app.settings import Settings
from tests.asyncrun import run_async
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import after_deadline, build_scenario
from tests.evaluations.test_scoring import _assigned
from tests.factories import csrf, log_in

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")


@pytest.fixture
def evaluating(fresh_db: Database, tmp_path: Path) -> Iterator[tuple[FastAPI, TestClient, Assignment, list[str]]]:
    """An evaluator logged in, with a declared assignment after the deadline, on a real SQLite file."""
    clock = FrozenClock(DEFAULT_NOW)
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production", base_url="http://testserver"
    )
    app = create_app(settings, db=fresh_db, clock=clock)
    with TestClient(app, follow_redirects=False) as client:
        with fresh_db.unit_of_work() as session:  # closed before the test: no writing session of the test's open
            s = build_scenario(session, proposals=1, evaluators=2)
            after_deadline(clock)
            assignment = _assigned(session, s, clock)
            log_in(client, session, s.evaluators[0], now=clock.now())
            session.expunge_all()
        response = _post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"})
        assert response.status_code == 303
        yield app, client, assignment, ["effect", "safety"]  # the criteria of the factories' definition


def _post(client: TestClient, url: str, data: dict[str, Any]) -> Any:
    return client.post(url, data={**data, "csrf_token": csrf(client)})


def _scores(keys: list[str], *, justified: bool = True) -> dict[str, str]:
    data = {"action": "submit", "assessed_trl": "5"}
    for key in keys:
        data[f"score_{key}"] = "1"
        data[f"justification_{key}"] = f"Onderbouwing {key}." if justified else ""
    return data


def _assessment() -> dict[str, str]:
    data = {"action": "submit"}
    for factor in FACTORS:
        data[f"rating_{factor}"] = "low"
        data[f"factor_justification_{factor}"] = "Getoetst aan het kader."
    return data


class Hops:
    """Counts the portal's hops to a worker thread."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        original = anyio.to_thread.run_sync

        async def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return await original(*args, **kwargs)

        monkeypatch.setattr(anyio.to_thread, "run_sync", counted)


def test_the_evaluation_runs_on_the_loop_and_holds_nothing_after(
    evaluating: tuple[FastAPI, TestClient, Assignment, list[str]], fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, client, assignment, keys = evaluating
    base = f"/evaluate/assignments/{assignment.id}"
    cookies, token = dict(client.cookies), csrf(client)
    binds = fresh_db.on_loop()
    assert binds is not None
    held_when_answering: list[int] = []

    async def watched(scope: Any, receive: Any, send: Any) -> None:
        async def answer(message: Any) -> None:
            if message["type"] == "http.response.start":  # the view has returned; the response goes out
                held_when_answering.append(binds.engine.pool.checkedout())  # type: ignore[attr-defined]
            await send(message)

        await app(scope, receive, answer)

    hops = Hops(monkeypatch)
    answers: dict[str, Any] = {}

    async def main() -> None:
        transport = httpx.ASGITransport(app=watched)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as browser:
            answers["page"] = await browser.get(base)
            refused = {**_scores(keys, justified=False), "justification_effect": "Bewaard.", "csrf_token": token}
            answers["refused"] = await browser.post(f"{base}/scores", data=refused)
            answers["saved"] = await browser.post(f"{base}/scores", data={**_scores(keys), "csrf_token": token})
            answers["security"] = await browser.get(f"{base}/security?done=scores")
            answers["assessed"] = await browser.post(f"{base}/security", data={**_assessment(), "csrf_token": token})
            answers["queue"] = await browser.get("/evaluate?done=evaluation")

    run_async(main)
    assert answers["page"].status_code == 200
    # A refusal re-reads the assignment after its rollback: a second transaction within the same view.
    assert answers["refused"].status_code == 422 and "Bewaard." in answers["refused"].text
    assert answers["saved"].status_code == 303
    assert answers["saved"].headers["location"].endswith(f"{base}/security?done=scores")
    assert answers["security"].status_code == 200
    assert answers["assessed"].status_code == 303
    assert answers["assessed"].headers["location"].endswith("/evaluate?done=evaluation")
    assert answers["queue"].status_code == 200

    assert held_when_answering == [0] * 6  # each view's connection given back before its response went out
    assert hops.count == 0  # the session lookup and every view ran on the loop
    if fresh_db.dialect == "sqlite":
        assert isinstance(binds.writers, sqlite_writers.WriterQueue)
        assert binds.writers.pin()  # the writers' turn was given back
        binds.writers.unpin()
    else:
        assert fresh_db.writing.count == 0  # no writing session left counted
    with fresh_db.session() as session:
        evaluation = session.scalar(select(Evaluation).where(Evaluation.assignment_id == assignment.id))
        assert evaluation is not None and evaluation.status == "submitted"
        assert [row.justification for row in sorted(evaluation.scores, key=lambda r: r.criterion_key)] == [
            "Onderbouwing effect.",
            "Onderbouwing safety.",
        ]
        assessment = session.get(SecurityAssessment, assignment.id)
        assert assessment is not None and assessment.status == "submitted"


def test_reading_views_run_outside_a_transaction_on_postgresql(
    evaluating: tuple[FastAPI, TestClient, Assignment, list[str]], fresh_db: Database
) -> None:
    """A page that only reads sends no ``BEGIN`` and ``COMMIT``; a posted form's statements are one transaction."""
    if fresh_db.dialect != "postgresql":
        pytest.skip("SQLite keeps its own transaction handling")
    from psycopg.pq import TransactionStatus

    app, client, assignment, keys = evaluating
    binds = fresh_db.on_loop()
    assert binds is not None
    seen: list[tuple[str, TransactionStatus]] = []
    cache = app.state.session_cache  # dropped before each request: its session is looked up on the loop

    def note(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        seen.append((statement.lstrip().split(None, 1)[0].upper(), cursor.connection.info.transaction_status))

    event.listen(binds.engine, "after_cursor_execute", note)
    try:
        cache.forget_all()
        assert client.get(f"/evaluate/assignments/{assignment.id}").status_code == 200
        read = list(seen)
        seen.clear()
        cache.forget_all()
        assert _post(client, f"/evaluate/assignments/{assignment.id}/scores", _scores(keys)).status_code == 303
        written = list(seen)
    finally:
        event.remove(binds.engine, "after_cursor_execute", note)
    assert len(read) >= 2 and {status for _, status in read} == {TransactionStatus.IDLE}
    # the session's lookup reads outside a transaction; then the form's statements run in one
    assert written[0][1] == TransactionStatus.IDLE
    assert {status for _, status in written[1:]} == {TransactionStatus.INTRANS}
    assert any(kind == "INSERT" for kind, _ in written)


def test_a_refused_view_on_the_loop_gives_its_connection_back(
    evaluating: tuple[FastAPI, TestClient, Assignment, list[str]], fresh_db: Database
) -> None:
    _app, client, assignment, keys = evaluating
    for _ in range(3):  # the loop has one connection: a view that kept it would fail the next within a second
        assert client.get(f"/evaluate/assignments/{assignment.id + 1000}").status_code == 404
        assert _post(client, f"/evaluate/assignments/{assignment.id + 1000}/scores", _scores(keys)).status_code == 404
    binds = fresh_db.on_loop()
    assert binds is not None and binds.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert client.get(f"/evaluate/assignments/{assignment.id}").status_code == 200


@pytest.mark.parametrize("holder", ["thread", "process"])
def test_a_writer_finding_the_turn_taken_waits_in_a_thread_while_the_loop_answers_others(
    evaluating: tuple[FastAPI, TestClient, Assignment, list[str]],
    fresh_db: Database,
    holder: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLite: the writers' turn held by a thread of this process, or by another process (another descriptor of
    the queue's file). PostgreSQL: another writing session of this process open, holding the audit chain's lock
    that the save's event must wait for (another process's writers are waited for on the loop there)."""
    if fresh_db.dialect != "sqlite" and holder == "process":
        pytest.skip("on PostgreSQL the loop waits for other processes' writers, for 5 seconds at most")
    app, client, assignment, keys = evaluating
    base = f"/evaluate/assignments/{assignment.id}"
    cookies = dict(client.cookies)
    token = csrf(client)
    binds = fresh_db.on_loop()
    assert binds is not None
    taken, release = threading.Event(), threading.Event()

    def hold() -> None:
        if fresh_db.dialect == "postgresql":
            with fresh_db.unit_of_work() as writer:
                writer.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK_KEY})
                taken.set()
                release.wait(10)
                writer.rollback()
            return
        turn = binds.writers if holder == "thread" else sqlite_writers.WriterQueue(str(fresh_db.engine.url.database))
        assert isinstance(turn, sqlite_writers.WriterQueue)
        turn.acquire()
        taken.set()
        release.wait(10)
        turn.release()

    holding = threading.Thread(target=hold)
    holding.start()
    taken.wait(5)
    hops = Hops(monkeypatch)
    seen: dict[str, Any] = {}

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as browser:

            async def save() -> None:
                response = await browser.post(f"{base}/scores", data={**_scores(keys), "csrf_token": token})
                seen["saved_at"] = time.monotonic()
                seen["saved"] = response

            async with anyio.create_task_group() as group:
                group.start_soon(save)
                await anyio.sleep(0.3)
                assert "saved" not in seen  # waiting, in a thread
                page = await browser.get(base)  # the loop still answers
                seen["page"] = page.status_code
                seen["released_at"] = time.monotonic()
                release.set()

    run_async(main)
    holding.join()
    assert seen["page"] == 200
    assert seen["saved"].status_code == 303, seen["saved"].text
    assert seen["saved_at"] >= seen["released_at"]
    assert hops.count == 1  # the save alone went to a thread
    with fresh_db.session() as session:
        assert session.scalar(select(Evaluation.status).where(Evaluation.assignment_id == assignment.id)) == "submitted"


def test_without_binds_of_the_loop_the_views_run_in_threads(
    client: TestClient, session: Any, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A SQLite database in memory has no loop binds (another connection would be another database)."""
    db = client.app.state.db  # type: ignore[attr-defined]
    monkeypatch.setattr(db, "on_loop", lambda: None)
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    assignment = _assigned(session, s, clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    hops = Hops(monkeypatch)
    assert client.get(f"/evaluate/assignments/{assignment.id}").status_code == 200
    # The session lookup and the view; on PostgreSQL the close of the view's session too (app.web.get_db).
    assert hops.count == (2 if db.dialect == "sqlite" else 3)


def test_the_loops_postgresql_connection_gives_up_rather_than_stall_the_process(
    fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fresh_db.dialect != "postgresql":
        pytest.skip("SQLite's readers never wait (WAL); its writers go to a thread when the turn is taken")
    monkeypatch.setattr(database, "LOOP_STATEMENT_TIMEOUT_MS", 300)  # 5 s in the portal
    binds = fresh_db.on_loop()
    assert binds is not None
    with binds.lookup_session() as session:
        assert session.execute(text("SHOW statement_timeout")).scalar() == "300ms"
        with pytest.raises(OperationalError) as cancelled:
            session.execute(text("SELECT pg_sleep(3)"))
        assert is_unavailable(cancelled.value)  # answered "try again in a moment"
    with binds.lookup_session() as session:  # and the connection serves on
        assert session.execute(text("SELECT 1")).scalar() == 1


def test_the_loops_postgresql_connection_lost_while_idle_is_replaced(
    fresh_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loop's connection follows the pool's rule: one idle for a while is pinged before use, and a dead one
    replaced (a database restart between two evaluators' clicks costs nobody a page)."""
    if fresh_db.dialect != "postgresql":
        pytest.skip("a SQLite file has no server connection to lose")
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.0)
    binds = fresh_db.on_loop()
    assert binds is not None
    with binds.lookup_session() as session:
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    with fresh_db.engine.connect() as connection:
        connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        connection.commit()
    deadline = time.monotonic() + 5
    while True:
        with fresh_db.engine.connect() as connection:
            if not connection.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}):
                break
        assert time.monotonic() < deadline, "the backend did not end"
        time.sleep(0.02)
    with binds.lookup_session() as session:
        assert session.execute(text("SELECT pg_backend_pid()")).scalar() != pid
