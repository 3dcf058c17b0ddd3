"""Blocking and unblocking accounts over HTTP: sessions end at once, a blocked account cannot log in (it is told
so after a correct password only), reset its password or use a link; an administrator cannot block themselves."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, User
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from tests.accounts.helpers import link_token, outbox, post
from tests.factories import DEFAULT_PASSWORD, create_user, csrf, log_in

TARGET = "tina.target@company.example"


@pytest.fixture
def admin(session: Session) -> User:
    return create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))


@pytest.fixture
def target(session: Session) -> User:
    return create_user(session, email=TARGET, name="Tina Target")


def _block(client: TestClient, user: User, reason: str = "Misbruik gemeld.") -> object:
    return post(client, f"/admin/users/{user.id}/block", {"reason": reason})


def _status(session: Session, user: User) -> str:
    session.expire_all()
    return session.scalars(select(User.status).where(User.id == user.id)).one()


def test_block_ends_the_existing_session_at_once(
    client: TestClient, app: object, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    other = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    log_in(other, session, target, now=clock.now())
    assert other.get("/account").status_code == 200
    log_in(client, session, admin, now=clock.now())
    blocked = _block(client, target)
    assert blocked.status_code == 303
    assert blocked.headers["location"] == f"/admin/users/{target.id}?done=blocked"
    assert (
        "Het account is geblokkeerd en de sessies ervan zijn beëindigd." in client.get(blocked.headers["location"]).text
    )
    assert _status(session, target) == "blocked"
    listed = client.get("/admin/users", params={"q": "tina"}).text
    assert 'Tina Target</a> <span class="badge badge-closed">Geblokkeerd</span>' in listed
    ended = session.scalars(select(AuthSession.ended_at).where(AuthSession.user_id == target.id)).all()
    assert ended and all(value is not None for value in ended)
    gone = other.get("/account")
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.block")).one()
    assert (event.object_type, event.object_id, event.actor_id) == ("user", str(target.id), admin.id)
    assert event.data == {"from": "active", "to": "blocked", "reason": "Misbruik gemeld."}


def test_blocked_account_is_told_at_login_only_with_the_right_password(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    _block(client, target)
    client.cookies.clear()
    right = post(client, "/login", {"email": TARGET, "password": DEFAULT_PASSWORD})
    assert right.status_code == 403
    assert "Uw account is geblokkeerd door een beheerder." in right.text
    wrong = post(client, "/login", {"email": TARGET, "password": "not the password at all"})
    assert wrong.status_code == 422
    assert "geblokkeerd" not in wrong.text
    assert (
        session.scalar(select(AuthSession.id).where(AuthSession.ended_at.is_(None), AuthSession.user_id == target.id))
        is None
    )


def test_blocked_account_cannot_reset_its_password(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    post(client, "/password/forgot", {"email": TARGET})
    token = link_token(outbox(session, TARGET)[0], "/password/reset/")
    log_in(client, session, admin, now=clock.now())
    _block(client, target)
    client.cookies.clear()
    assert client.get(f"/password/reset/{token}").status_code == 410
    used = post(
        client,
        f"/password/reset/{token}",
        {"password": "fresh long passphrase 9", "password_confirm": "fresh long passphrase 9"},
    )
    assert used.status_code == 410
    asked = post(client, "/password/forgot", {"email": TARGET})
    assert asked.status_code == 200
    assert len(outbox(session, TARGET)) == 1  # nothing new sent, the same page shown


def test_unblock_lets_the_account_log_in_again(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    _block(client, target)
    page = client.get(f"/admin/users/{target.id}")
    assert "Geblokkeerd" in page.text and "Account deblokkeren" in page.text
    unblocked = post(client, f"/admin/users/{target.id}/unblock", {"reason": "Opgehelderd."})
    assert unblocked.status_code == 303
    assert unblocked.headers["location"] == f"/admin/users/{target.id}?done=unblocked"
    assert _status(session, target) == "active"
    again = post(client, f"/admin/users/{target.id}/unblock", {"reason": ""})
    assert again.status_code == 422 and "Het account heeft deze status al." in again.text
    client.cookies.clear()
    login = post(client, "/login", {"email": TARGET, "password": DEFAULT_PASSWORD})
    assert login.status_code == 303
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("user.%block")).order_by(AuditEvent.id)
    )
    assert actions.all() == ["user.block", "user.unblock"]


def test_administrator_cannot_block_themselves(
    client: TestClient, session: Session, clock: FrozenClock, admin: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    page = client.get(f"/admin/users/{admin.id}")
    assert "U kunt uw eigen account niet blokkeren." in page.text
    assert f"/admin/users/{admin.id}/block" not in page.text
    refused = _block(client, admin)
    assert refused.status_code == 422
    assert "U kunt uw eigen account niet blokkeren." in refused.text
    assert _status(session, admin) == "active"
    assert client.get("/admin/users").status_code == 200  # still logged in


def test_block_reason_is_capped(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    refused = _block(client, target, reason="x" * 501)
    assert refused.status_code == 422
    assert "Vul hoogstens 500 tekens in." in refused.text
    assert 'href="#reason"' in refused.text
    assert _status(session, target) == "active"


@pytest.mark.parametrize("role", ["coordinator", "evaluator", None])
def test_block_is_not_found_for_anyone_but_an_administrator(
    client: TestClient, session: Session, clock: FrozenClock, target: User, role: str | None
) -> None:
    someone = create_user(session, email="someone@mindef.example", roles=(role,) if role else ())
    log_in(client, session, someone, now=clock.now())
    response = client.post(f"/admin/users/{target.id}/block", data={"reason": "", "csrf_token": csrf(client)})
    assert response.status_code == 404
    assert _status(session, target) == "active"
    assert TARGET not in response.text


def test_blocked_account_cannot_use_a_session_that_was_not_ended(
    client: TestClient, session: Session, clock: FrozenClock, target: User
) -> None:
    from app.accounts.enums import ACCOUNT_MACHINE, AccountStatus
    from app.audit.service import Actor

    log_in(client, session, target, now=clock.now())
    assert client.get("/account").status_code == 200
    ACCOUNT_MACHINE.move(session, target, AccountStatus.BLOCKED, actor=Actor(None, label="test"), now=clock.now())
    session.commit()  # the status alone, its sessions left as they were
    refused = client.get("/account")
    assert refused.status_code == 303 and refused.headers["location"].startswith("/login")
