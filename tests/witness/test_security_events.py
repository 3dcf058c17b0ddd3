"""Security events join the audit trail: failed logins, failed second factors and refused reads of sealed
content, without a password or a code in them; the chain stays intact, also with many at once."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from pathlib import Path

import anyio
import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.service import InvalidCredentials, LoginLimits, authenticate
from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.challenges.models import ChallengeCoordinator
from app.clock import FrozenClock
from app.database import Database
from app.main import create_app
from app.settings import Settings
from tests.accounts.helpers import post
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import after_deadline, build_scenario
from tests.factories import DEFAULT_PASSWORD, create_challenge, create_user, log_in

WRONG_PASSWORD = "not the password 9876"


def _security_events(session: Session) -> list[AuditEvent]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action.like("security.%")).order_by(AuditEvent.id)))


def _everything(event: AuditEvent) -> str:
    return json.dumps([event.actor_label, event.object_id, event.ip, event.data])


# --- logins -------------------------------------------------------------------------------------------


def test_failed_login_records_the_address_tried_and_never_the_password(client: TestClient, session: Session) -> None:
    user = create_user(session, email="known@example.nl")
    response = post(client, "/login", {"email": " Known@Example.nl", "password": WRONG_PASSWORD})
    assert response.status_code == 422
    [event] = _security_events(session)
    assert (event.action, event.actor_id, event.actor_label, event.ip) == (
        "security.login_failed",
        None,
        "anonymous",
        "testclient",
    )
    # The address as the login form read it (trimmed, lower case).
    assert (event.object_type, event.object_id, event.data) == ("user", str(user.id), {"email": "known@example.nl"})
    assert WRONG_PASSWORD not in _everything(event)
    assert verify_chain(session).ok


def test_failed_login_for_an_unknown_address_is_recorded_capped(session: Session, clock: FrozenClock) -> None:
    typed = "x" * 300 + "@example.nl"
    limits = LoginLimits(per_account=5, per_ip=20, window=timedelta(minutes=15))
    with pytest.raises(InvalidCredentials):
        authenticate(session, email=typed, password=WRONG_PASSWORD, ip="192.0.2.9", now=clock.now(), limits=limits)
    [event] = _security_events(session)
    assert (event.object_id, event.ip, event.data) == ("unknown", "192.0.2.9", {"email": typed[:254]})


def test_successful_login_records_no_security_event(client: TestClient, session: Session) -> None:
    create_user(session, email="fine@example.nl")
    assert post(client, "/login", {"email": "fine@example.nl", "password": DEFAULT_PASSWORD}).status_code == 303
    assert _security_events(session) == []


def test_failed_second_factor_is_recorded_without_the_code(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = create_user(session, email="staff@mindef.example", roles=("coordinator",))
    log_in(client, session, user, now=clock.now(), second_factor=False)
    response = post(client, "/login/two-factor", {"code": "123456"})
    assert response.status_code == 422
    [event] = _security_events(session)
    assert (event.action, event.actor_id, event.actor_label, event.object_id, event.data) == (
        "security.second_factor_failed",
        user.id,
        "staff@mindef.example",
        str(user.id),
        {},
    )
    assert "123456" not in _everything(event)


# --- sealed content ---------------------------------------------------------------------------------


def test_coordinator_reading_a_sealed_proposal_gets_404_and_is_recorded(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    proposal = s.proposals[0]
    log_in(client, session, s.coordinator, now=clock.now())
    paths = [
        f"/manage/challenges/{s.challenge.slug}/proposals/{proposal.id}",
        f"/manage/challenges/{s.challenge.slug}/proposals/{proposal.id}/documents/brief",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 404
        assert s.organisations[0].legal_name not in response.text
    events = _security_events(session)
    assert [(e.action, e.actor_id, e.object_type, e.object_id, e.data) for e in events] == [
        (
            "security.sealed_refused",
            s.coordinator.id,
            "proposal",
            str(proposal.id),
            {"stage": str(s.stage.id), "path": path},
        )
        for path in paths
    ]
    assert verify_chain(session).ok


def test_reading_a_proposal_after_the_deadline_records_no_refusal(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    assert client.get(f"/manage/challenges/{s.challenge.slug}/proposals/{s.proposals[0].id}").status_code == 200
    assert _security_events(session) == []


def test_evaluation_pages_before_the_deadline_are_refused_and_recorded(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=0)
    log_in(client, session, s.coordinator, now=clock.now())
    response = client.get(f"{s.base}/results")
    assert response.status_code == 404
    [event] = _security_events(session)
    assert (event.action, event.object_type, event.object_id, event.data) == (
        "security.sealed_refused",
        "challenge_stage",
        str(s.stage.id),
        {"stage": str(s.stage.id), "path": f"{s.base}/results"},
    )


# --- many at once, on a real database (no test transaction around it) ---------------------------------


def _seed(db: Database) -> tuple[str, str, str]:
    """A published challenge before its deadline, its coordinator logged in; returns slug, stage key, cookie."""
    from app.accounts import sessions

    with db.unit_of_work() as session:
        challenge = create_challenge(session)
        coordinator = create_user(session, email="coco@mindef.example", roles=("coordinator",))
        create_user(session, email="known@example.nl")
        session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=coordinator.id, assigned_at=DEFAULT_NOW))
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, auth = sessions.start_session(
            session, user=coordinator, now=DEFAULT_NOW, policy=policy, ip="t", user_agent="t"
        )
        auth.mfa_verified_at = DEFAULT_NOW
        session.commit()
        return challenge.slug, challenge.stages[0].key, token


def test_many_security_events_at_once_keep_the_chain_intact(fresh_db: Database, tmp_path: Path) -> None:
    from app.accounts.sessions import SESSION_COOKIE
    from app.security import CSRF_COOKIE, csrf_token_for

    slug, stage_key, token = _seed(fresh_db)
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production", base_url="http://t"
    )
    app = create_app(settings, db=fresh_db, clock=FrozenClock(DEFAULT_NOW))
    statuses: list[int] = []

    async def main() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            staff = httpx.AsyncClient(transport=transport, base_url="http://t", cookies={SESSION_COOKIE: token})
            visitor = httpx.AsyncClient(transport=transport, base_url="http://t")
            async with staff, visitor:
                await visitor.get("/healthz")
                secret = csrf_token_for(settings.resolved_secret_key(), visitor.cookies[CSRF_COOKIE])

                async def sealed() -> None:
                    url = f"/manage/challenges/{slug}/evaluation/{stage_key}/results"
                    statuses.append((await staff.get(url)).status_code)

                async def login(i: int) -> None:
                    data = {"csrf_token": secret, "email": f"known{i}@example.nl", "password": "wrong one 123"}
                    statuses.append((await visitor.post("/login", data=data)).status_code)

                async with anyio.create_task_group() as group:
                    for i in range(6):
                        group.start_soon(sealed)
                        group.start_soon(login, i)

    runner = threading.Thread(target=anyio.run, args=(main,))
    runner.start()
    runner.join()
    assert sorted(statuses) == [404] * 6 + [422] * 6
    with fresh_db.session() as session:
        result = verify_chain(session)
        actions = [e.action for e in _security_events(session)]
    assert result.ok
    assert sorted(actions) == ["security.login_failed"] * 6 + ["security.sealed_refused"] * 6
