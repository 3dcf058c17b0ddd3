"""The results page and the evaluator queue cost the same number of SQL queries for 5 and for 20 proposals."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.assignments import service as assignment_service
from app.evaluations.pool import service as pool_service
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import service as evaluator_service
from tests.evaluations.helpers import actor, after_deadline, build_scenario
from tests.factories import LINKS, log_in


@contextmanager
def counting(engine: Any) -> Iterator[list[str]]:
    statements: list[str] = []

    def before(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _scored_world(session: Session, clock: FrozenClock, proposals: int, prefix: str) -> Any:
    s = build_scenario(session, proposals=proposals, evaluators=2, prefix=prefix)
    after_deadline(clock)
    coordinator = actor(s.coordinator)
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=coordinator, now=clock.now()
        )
    for proposal in s.proposals:
        for evaluator in s.evaluators:
            assignment = assignment_service.assign(
                session,
                challenge=s.challenge,
                stage=s.stage,
                proposal_id=proposal.id,
                evaluator_id=evaluator.id,
                actor=coordinator,
                now=clock.now(),
                links=LINKS,
            )
            opened = evaluator_service.open_assignment(
                session, assignment_id=assignment.id, user=evaluator, now=clock.now()
            )
            evaluator_service.declare(
                session,
                opened=opened,
                form=DeclarationForm(has_conflict=False),
                actor=actor(evaluator),
                now=clock.now(),
                links=LINKS,
            )
            raw = {"effect": ("2", "Goed."), "safety": ("1", "Voldoende.")}
            evaluator_service.save_evaluation(
                session, opened=opened, raw=raw, assessed_trl="5", submit=True, actor=actor(evaluator), now=clock.now()
            )
    session.commit()
    return s


def _count(client: TestClient, engine: Any, url: str) -> int:
    client.get(url)  # warm up: the login session's touch and the definition cache
    with counting(engine) as statements:
        response = client.get(url)
    assert response.status_code == 200
    return len(statements)


def _queries(client: TestClient, session: Session, clock: FrozenClock, proposals: int, prefix: str) -> tuple[int, int]:
    s = _scored_world(session, clock, proposals, prefix)
    engine = session.get_bind().engine
    log_in(client, session, s.coordinator, now=clock.now())
    results = _count(client, engine, f"{s.base}/results")
    assert s.proposals[-1].reference in client.get(f"{s.base}/results").text
    log_in(client, session, s.evaluators[0], now=clock.now())
    queue = _count(client, engine, "/evaluate")
    assert s.proposals[-1].reference in client.get("/evaluate").text
    return results, queue


def test_results_and_queue_queries_do_not_grow_with_proposals(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    small = _queries(client, session, clock, 5, "a")
    large = _queries(client, session, clock, 20, "b")
    assert large == small
