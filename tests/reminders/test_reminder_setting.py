"""The reminder setting on the account page: a form with CSRF, saved, audited, shown as chosen."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.reminders import service as reminder_service
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from tests.factories import create_user, csrf, log_in


def test_reminder_setting_switched_off_and_on_is_saved_and_audited(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="anna@firma.example")
    log_in(client, session, user, now=clock.now())
    page = client.get("/account")
    assert '<input type="radio" id="reminders-1" name="reminders" value="on" checked>' in page.text

    off = client.post("/account/reminders", data={"reminders": "off", "csrf_token": csrf(client)})
    assert (off.status_code, off.headers["location"]) == (303, "/account?saved=reminders_off")
    assert reminder_service.reminders_enabled(session, user_id=user.id) is False
    page = client.get("/account?saved=reminders_off")
    assert "Herinneringen per e-mail staan uit." in page.text
    assert '<input type="radio" id="reminders-2" name="reminders" value="off" checked>' in page.text

    client.post("/account/reminders", data={"reminders": "on", "csrf_token": csrf(client)})
    assert reminder_service.reminders_enabled(session, user_id=user.id) is True
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id))
        .order_by(AuditEvent.id)
    ).all()
    assert [a for a in actions if a.startswith("user.reminders")] == ["user.reminders_off", "user.reminders_on"]


def test_reminder_setting_refused_without_csrf(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="anna@firma.example")
    log_in(client, session, user, now=clock.now())
    response = client.post("/account/reminders", data={"reminders": "off"})
    assert response.status_code == 403
    assert reminder_service.reminders_enabled(session, user_id=user.id) is True
