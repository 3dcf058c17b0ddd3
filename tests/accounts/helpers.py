"""Helpers for the account tests: read links from the outbox, submit forms with the CSRF token."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.notifications.models import OutboxMessage
from tests.factories import csrf

STRONG = "violet tractor sings loudly"
OTHER_STRONG = "quiet harbour under orange moon"


def post(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


def outbox(session: Session, to: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == to).order_by(OutboxMessage.id)))


def link_token(message: OutboxMessage, prefix: str) -> str:
    match = re.search(re.escape(prefix) + r"([A-Za-z0-9_\-]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def register(client: TestClient, email: str, *, name: str = "Nieuwe Gebruiker", password: str = STRONG) -> Any:
    data = {"email": email, "name": name, "password": password, "password_confirm": password}
    return post(client, "/register", data)


def offered_secret(client: TestClient) -> str:
    """The authenticator secret the enrolment page shows (made by the server for this login)."""
    page = client.get("/account/two-factor")
    assert page.status_code == 200, page.text[:300]
    match = re.search(r"<code>([A-Z2-7]{32})</code>", page.text)
    assert match, page.text
    return match.group(1)
