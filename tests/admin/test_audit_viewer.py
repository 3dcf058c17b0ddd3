"""The administrators' audit-trail viewer over HTTP: filters by object, actor, action and days, pages by event
id with a capped page size, and a CSV export of the same events that no spreadsheet runs as a formula."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.clock import FrozenClock
from tests.factories import create_user, log_in
from tests.markup import without_labels

DAY = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def admin(session: Session) -> User:
    return create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))


def _events(session: Session) -> None:
    alice = Actor(user_id=7, label="alice@org-a.example", ip="192.0.2.1")
    cli = Actor(user_id=None, label="cli:beheer")
    record_event(session, actor=alice, action="proposal.submit", object_type="proposal", object_id=3, at=DAY)
    record_event(session, actor=cli, action="user.block", object_type="user", object_id=9, at=DAY + timedelta(days=1))
    record_event(
        session,
        actor=alice,
        action="question.ask",
        object_type="question",
        object_id="=HYPERLINK(1)",
        at=DAY + timedelta(days=2),
        data={"text": "@SUM(A1)"},
    )
    session.commit()


def _numbers(text: str) -> list[str]:
    return re.findall(r"<tr>\s*<td>(\d+)</td>", without_labels(text))


def _actions(response: object) -> list[str]:
    return re.findall(r"<td><code>([a-z_.]+)</code></td>", without_labels(response.text))  # type: ignore[attr-defined]


def test_audit_viewer_filters_by_object_actor_action_and_days(
    client: TestClient, session: Session, clock: FrozenClock, admin: User
) -> None:
    _events(session)
    log_in(client, session, admin, now=clock.now())
    everything = client.get("/admin/audit")
    assert everything.status_code == 200
    assert _actions(everything)[:3] == ["question.ask", "user.block", "proposal.submit"]
    by_object = client.get("/admin/audit", params={"object_type": "proposal", "object_id": "3"})
    assert _actions(by_object) == ["proposal.submit"]
    by_actor = client.get("/admin/audit", params={"actor": "ALICE@org"})
    assert _actions(by_actor) == ["question.ask", "proposal.submit"]
    by_number = client.get("/admin/audit", params={"actor": "7"})
    assert _actions(by_number) == ["question.ask", "proposal.submit"]
    by_action = client.get("/admin/audit", params={"action": "user.*"})
    assert "user.block" in _actions(by_action) and "proposal.submit" not in _actions(by_action)
    by_day = client.get("/admin/audit", params={"date_from": "2026-11-11", "date_to": "2026-11-11"})
    assert _actions(by_day) == ["user.block"]
    nothing = client.get("/admin/audit", params={"action": "nothing.here"})
    assert "Geen gebeurtenissen gevonden." in nothing.text


def test_audit_viewer_refuses_bad_filters_next_to_the_field(
    client: TestClient, session: Session, clock: FrozenClock, admin: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    reversed_range = client.get("/admin/audit", params={"date_from": "2026-11-12", "date_to": "2026-11-11"})
    assert reversed_range.status_code == 422
    assert "De einddatum ligt voor de begindatum." in reversed_range.text
    assert 'href="#date_to"' in reversed_range.text
    bad_day = client.get("/admin/audit", params={"date_from": "gisteren"})
    assert bad_day.status_code == 422 and 'href="#date_from"' in bad_day.text
    too_many = client.get("/admin/audit", params={"size": "201"})
    assert too_many.status_code == 422 and "Vul 200 of minder in." in too_many.text
    control = client.get("/admin/audit", params={"action": "user\nblock"})
    assert control.status_code == 422 and "Vul tekst in op één regel, zonder stuurtekens." in control.text


def test_audit_viewer_pages_by_event_id(client: TestClient, session: Session, clock: FrozenClock, admin: User) -> None:
    actor = Actor(user_id=None, label="cli:test")
    for number in range(5):
        record_event(session, actor=actor, action="test.page", object_type="thing", object_id=number, at=DAY)
    session.commit()
    log_in(client, session, admin, now=clock.now())
    first = client.get("/admin/audit", params={"action": "test.page", "size": "2"})
    shown = _numbers(first.text)
    assert len(shown) == 2 and int(shown[0]) > int(shown[1])
    assert "Nieuwere gebeurtenissen" not in first.text
    second = client.get("/admin/audit", params={"action": "test.page", "size": "2", "before": shown[1]})
    next_shown = _numbers(second.text)
    assert len(next_shown) == 2 and int(next_shown[0]) < int(shown[1])
    assert "Nieuwere gebeurtenissen" in second.text and "Oudere gebeurtenissen" in second.text
    back = client.get("/admin/audit", params={"action": "test.page", "size": "2", "after": next_shown[0]})
    assert _numbers(back.text) == shown
    last = client.get("/admin/audit", params={"action": "test.page", "size": "2", "before": next_shown[1]})
    assert len(_numbers(last.text)) == 1 and "Oudere gebeurtenissen" not in last.text


def test_audit_export_is_filtered_and_formula_safe(
    client: TestClient, session: Session, clock: FrozenClock, admin: User
) -> None:
    _events(session)
    log_in(client, session, admin, now=clock.now())
    response = client.get("/admin/audit/export.csv", params={"actor": "alice"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="audit-')
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == [
        "id",
        "occurred_at",
        "actor_id",
        "actor",
        "ip",
        "action",
        "object_type",
        "object_id",
        "data",
        "hash",
    ]
    assert [row[5] for row in rows[1:]] == ["question.ask", "proposal.submit"]
    assert rows[1][7] == "'=HYPERLINK(1)"
    assert rows[1][8] == '{"text":"@SUM(A1)"}'  # a cell that starts with a brace runs nothing
    assert rows[1][1] == "2026-11-12T12:00:00+00:00"


def test_audit_export_is_bounded_and_read_in_batches(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.admin.audit_viewer import service

    monkeypatch.setattr(service, "EXPORT_BATCH", 2)
    actor = Actor(user_id=None, label="cli:test")
    for number in range(5):
        record_event(session, actor=actor, action="test.bound", object_type="thing", object_id=number, at=DAY)
    session.flush()
    wanted = service.EventFilter(action="test.bound")
    capped = "".join(service.export_csv(_Unclosed(session), wanted=wanted, limit=3))  # type: ignore[arg-type]
    assert len(capped.strip().splitlines()) == 1 + 3
    chunks = list(service.export_csv(_Unclosed(session), wanted=wanted))  # type: ignore[arg-type]
    assert len(chunks) == 3  # 2 + 2 + 1 rows, each batch read on its own
    ids = [line.split(",")[0] for line in "".join(chunks).strip().splitlines()[1:]]
    assert len(ids) == 5 and ids == sorted(ids, key=int, reverse=True) and len(set(ids)) == 5


class _Unclosed:
    """Hands out the test's session without letting the export close it."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self) -> _Unclosed:
        return self

    def scalars(self, *args: object, **kwargs: object) -> object:
        return self.session.scalars(*args, **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        pass


@pytest.mark.parametrize("role", ["coordinator", "evaluator", None])
def test_audit_viewer_is_not_found_for_anyone_but_an_administrator(
    client: TestClient, session: Session, clock: FrozenClock, role: str | None
) -> None:
    _events(session)
    someone = create_user(session, email="someone@mindef.example", roles=(role,) if role else ())
    log_in(client, session, someone, now=clock.now())
    for url in ("/admin/audit", "/admin/audit/export.csv"):
        response = client.get(url)
        assert response.status_code == 404
        assert "alice@org-a.example" not in response.text
