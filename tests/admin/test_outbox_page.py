"""The administrators' outbox page over HTTP: messages with status, attempts, last error and recipient, filtered
by status and paged; a failed message goes back to pending with the retry button (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.notifications.service import queue_email, record_failure
from tests.accounts.helpers import post
from tests.factories import create_user, csrf, log_in

FAILED_TO = "kapot@company.example"


@pytest.fixture
def admin(session: Session) -> User:
    return create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))


def _message(session: Session, clock: FrozenClock, to: str) -> OutboxMessage:
    context = {"name": "Test", "link": "http://testserver/x", "minutes": 60}
    return queue_email(session, to=to, template="reset_password", language="nl", context=context, now=clock.now())


@pytest.fixture
def failed(session: Session, clock: FrozenClock) -> OutboxMessage:
    message = _message(session, clock, FAILED_TO)
    record_failure(session, message_id=message.id, now=clock.now(), error="550 mailbox unavailable", final=True)
    session.commit()
    return message


def test_outbox_lists_messages_and_filters_by_status(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, failed: OutboxMessage
) -> None:
    _message(session, clock, "wacht@company.example")
    session.commit()
    log_in(client, session, admin, now=clock.now())
    everything = client.get("/admin/outbox")
    assert everything.status_code == 200
    assert FAILED_TO in everything.text and "wacht@company.example" in everything.text
    assert "550 mailbox unavailable" in everything.text
    assert "Mislukt (1)" in everything.text and "In de wachtrij (1)" in everything.text
    only_failed = client.get("/admin/outbox", params={"status": "failed"})
    assert FAILED_TO in only_failed.text and "wacht@company.example" not in only_failed.text
    assert f"/admin/outbox/{failed.id}/retry" in only_failed.text
    pending = client.get("/admin/outbox", params={"status": "pending"})
    assert FAILED_TO not in pending.text and "/retry" not in pending.text
    bad = client.get("/admin/outbox", params={"status": "lost"})
    assert bad.status_code == 422 and "Kies een van de mogelijkheden." in bad.text


def test_outbox_pages_by_id(client: TestClient, session: Session, clock: FrozenClock, admin: User) -> None:
    for number in range(3):
        _message(session, clock, f"m{number}@company.example")
    session.commit()
    log_in(client, session, admin, now=clock.now())
    first = client.get("/admin/outbox", params={"size": "2"})
    assert "m2@company.example" in first.text and "m1@company.example" in first.text
    assert "m0@company.example" not in first.text
    newest_two = session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id.desc()).limit(2)).all()
    assert f"before={newest_two[1]}" in first.text
    second = client.get("/admin/outbox", params={"size": "2", "before": str(newest_two[1])})
    assert "m0@company.example" in second.text and "m1@company.example" not in second.text
    assert "Oudere berichten" not in second.text
    assert client.get("/admin/outbox", params={"size": "500"}).status_code == 422


def test_outbox_retry_puts_a_failed_message_back_in_the_queue(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, failed: OutboxMessage
) -> None:
    log_in(client, session, admin, now=clock.now())
    clock.advance(timedelta(minutes=10))
    retried = post(client, f"/admin/outbox/{failed.id}/retry")
    assert retried.status_code == 303
    assert retried.headers["location"] == "/admin/outbox?status=failed&done=retried"
    assert "Het bericht staat weer in de wachtrij" in client.get(retried.headers["location"]).text
    session.expire_all()
    message = session.get(OutboxMessage, failed.id)
    assert message is not None
    assert (message.status, message.attempts, message.next_attempt_at) == ("pending", 0, clock.now())
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "outbox.retry")).one()
    assert (event.object_type, event.object_id, event.actor_id) == ("outbox_message", str(failed.id), admin.id)
    assert event.data == {"attempts": 1, "last_error": "550 mailbox unavailable"}
    again = post(client, f"/admin/outbox/{failed.id}/retry")
    assert again.status_code == 422
    assert "Alleen een mislukt bericht kan opnieuw worden verstuurd" in again.text
    assert post(client, "/admin/outbox/999999/retry").status_code == 404


def test_outbox_retry_needs_the_csrf_token(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, failed: OutboxMessage
) -> None:
    log_in(client, session, admin, now=clock.now())
    refused = client.post(f"/admin/outbox/{failed.id}/retry")
    assert refused.status_code == 403
    session.expire_all()
    assert session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == failed.id)) == "failed"


@pytest.mark.parametrize("role", ["coordinator", "evaluator", None])
def test_outbox_is_not_found_for_anyone_but_an_administrator(
    client: TestClient, session: Session, clock: FrozenClock, failed: OutboxMessage, role: str | None
) -> None:
    someone = create_user(session, email="someone@mindef.example", roles=(role,) if role else ())
    log_in(client, session, someone, now=clock.now())
    page = client.get("/admin/outbox")
    assert page.status_code == 404 and FAILED_TO not in page.text
    retry = client.post(f"/admin/outbox/{failed.id}/retry", data={"csrf_token": csrf(client)})
    assert retry.status_code == 404
    session.expire_all()
    assert session.scalar(select(OutboxMessage.status).where(OutboxMessage.id == failed.id)) == "failed"


def test_admin_pages_send_anonymous_visitors_to_log_in(client: TestClient, failed: OutboxMessage) -> None:
    for url in ("/admin/outbox", "/admin/audit", "/admin/audit/export.csv", "/admin/two-factor-resets"):
        response = client.get(url)
        assert response.status_code == 303 and response.headers["location"].startswith("/login"), url
