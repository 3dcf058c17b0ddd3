"""Reset links: only the newest works; using one or changing the password ends them all."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.clock import FrozenClock
from tests.accounts.helpers import OTHER_STRONG, STRONG, link_token, outbox, post
from tests.factories import DEFAULT_PASSWORD, create_user, log_in


def _links(client: TestClient, session: Session, email: str, count: int) -> list[str]:
    for _ in range(count):
        post(client, "/password/forgot", {"email": email})
    return [link_token(message, "/password/reset/") for message in outbox(session, email)]


def _reset(client: TestClient, token: str, password: str = STRONG) -> int:
    return int(
        post(client, f"/password/reset/{token}", {"password": password, "password_confirm": password}).status_code
    )


def test_only_the_newest_reset_link_works(client: TestClient, session: Session) -> None:
    create_user(session, email="reset@example.nl")
    older, newer = _links(client, session, "reset@example.nl", 2)
    assert client.get(f"/password/reset/{older}").status_code == 410
    assert _reset(client, older) == 410
    assert _reset(client, newer) == 200


def test_a_reset_ends_the_link_for_good(client: TestClient, session: Session) -> None:
    user = create_user(session, email="reset@example.nl")
    [token] = _links(client, session, "reset@example.nl", 1)
    assert _reset(client, token, STRONG) == 200
    assert _reset(client, token, OTHER_STRONG) == 410
    session.expire_all()
    stored = session.get(User, user.id)
    assert stored is not None and verify_password(stored.password_hash, STRONG)


def test_a_password_change_ends_the_reset_links(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="reset@example.nl")
    [token] = _links(client, session, "reset@example.nl", 1)
    log_in(client, session, user, now=clock.now())
    changed = post(
        client,
        "/account/password",
        {"current_password": DEFAULT_PASSWORD, "password": STRONG, "password_confirm": STRONG},
    )
    assert changed.status_code == 303
    client.cookies.clear()
    assert client.get(f"/password/reset/{token}").status_code == 410
    assert _reset(client, token, OTHER_STRONG) == 410
