"""Requests that e-mail an address someone typed (registration, confirmation, password reset, invitations) are
throttled per source and per recipient: nobody can flood a mailbox through the portal, and the pages still say
nothing about whether an account exists."""

from __future__ import annotations

import html
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.mail_throttle import LIMITS, RESET
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from tests.accounts.helpers import STRONG
from tests.accounts.test_throttling import client_at
from tests.factories import create_user, csrf, log_in
from tests.organisations.helpers import create_organisation

RIVAL = "198.51.100.7"


def _mails(session: Session, to: str, template: str) -> int:
    session.expire_all()
    query = select(func.count()).where(OutboxMessage.to_address == to, OutboxMessage.template == template)
    return int(session.scalar(query) or 0)


def _forgot(browser: Any, email: str) -> Any:
    return browser.post("/password/forgot", data={"email": email, "csrf_token": csrf(browser)})


def test_one_source_asking_many_resets_is_told_to_wait(app: FastAPI, session: Session) -> None:
    allowance = LIMITS[RESET].per_source
    with client_at(app, RIVAL) as rival:
        for number in range(allowance):
            assert _forgot(rival, f"someone{number}@example.nl").status_code == 200
        refused = _forgot(rival, "one-more@example.nl")
        assert refused.status_code == 429
        assert int(refused.headers["Retry-After"]) > 0
        assert "Probeer het over" in html.unescape(refused.text)
    create_user(session, email="owner@example.nl")
    with client_at(app, "203.0.113.20") as owner:  # another source is not slowed down
        assert _forgot(owner, "owner@example.nl").status_code == 200
    assert _mails(session, "owner@example.nl", "reset_password") == 1


def test_one_address_gets_a_few_reset_links_however_many_sources_ask(app: FastAPI, session: Session) -> None:
    create_user(session, email="victim@example.nl")
    per_recipient = LIMITS[RESET].per_recipient
    for number in range(per_recipient + 3):
        with client_at(app, f"192.0.2.{number + 1}") as browser:
            answer = _forgot(browser, "victim@example.nl")
            assert answer.status_code == 200  # the same answer every time: nothing learned
    assert _mails(session, "victim@example.nl", "reset_password") == per_recipient


def test_one_source_registering_many_accounts_is_told_to_wait(app: FastAPI, session: Session) -> None:
    with client_at(app, RIVAL) as rival:
        statuses = []
        for number in range(LIMITS["register"].per_source + 1):
            data = {
                "email": f"bulk{number}@example.nl",
                "name": "Bulk",
                "password": STRONG,
                "password_confirm": STRONG,
                "csrf_token": csrf(rival),
            }
            statuses.append(rival.post("/register", data=data).status_code)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {200}  # 200: "check your e-mail"


def test_invitations_to_one_address_are_limited_a_day(client: Any, session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@alpha.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55551234")
    log_in(client, session, admin, now=clock.now())
    answers = [
        client.post(
            f"/organisations/{organisation.id}/invitations",
            data={"email": "target@example.nl", "csrf_token": csrf(client)},
        )
        for _ in range(LIMITS["invite"].per_recipient + 1)
    ]
    assert [a.status_code for a in answers] == [303] * LIMITS["invite"].per_recipient + [422]
    assert "genoeg berichten" in html.unescape(answers[-1].text)
    assert _mails(session, "target@example.nl", "invitation") == LIMITS["invite"].per_recipient
