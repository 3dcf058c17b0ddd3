"""The administrator pages over HTTP: who may see them, granting and revoking roles, CSRF, the last administrator."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User, UserRole
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from tests.factories import create_user, csrf, log_in

TARGET_EMAIL = "geheim.target@company.example"


@pytest.fixture
def admin(session: Session) -> User:
    return create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))


@pytest.fixture
def target(session: Session) -> User:
    return create_user(session, email=TARGET_EMAIL, name="Tina Target")


def _roles(session: Session, user: User) -> set[str]:
    return set(session.scalars(select(UserRole.role).where(UserRole.user_id == user.id)))


def test_admin_users_lists_and_searches(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    listed = client.get("/admin/users")
    assert listed.status_code == 200
    assert TARGET_EMAIL in listed.text and "adam@mindef.example" in listed.text
    assert "2 gebruikers gevonden" in listed.text
    found = client.get("/admin/users", params={"q": "tina"})
    assert TARGET_EMAIL in found.text and "adam@mindef.example" not in found.text
    assert "1 gebruiker gevonden" in found.text


def test_admin_grants_then_revokes_evaluator(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    url = f"/admin/users/{target.id}"
    granted = client.post(f"{url}/roles", data={"role": "evaluator", "csrf_token": csrf(client)})
    assert granted.status_code == 303
    assert granted.headers["location"] == f"{url}?done=granted"
    assert _roles(session, target) == {"evaluator"}
    page = client.get(granted.headers["location"])
    assert "De rol is toegekend." in page.text
    revoked = client.post(f"{url}/roles/revoke", data={"role": "evaluator", "csrf_token": csrf(client)})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == f"{url}?done=revoked"
    assert _roles(session, target) == set()
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [(e.action, e.object_id, e.actor_id, e.data) for e in events] == [
        ("role.grant", str(target.id), admin.id, {"role": "evaluator"}),
        ("role.revoke", str(target.id), admin.id, {"role": "evaluator"}),
    ]


def test_grant_unknown_role_rerenders_with_error(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    response = client.post(f"/admin/users/{target.id}/roles", data={"role": "superuser", "csrf_token": csrf(client)})
    assert response.status_code == 422
    assert "Kies een van de mogelijkheden." in response.text
    assert _roles(session, target) == set()


def test_last_administrator_cannot_be_revoked(
    client: TestClient, session: Session, clock: FrozenClock, admin: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    client.cookies.set("portal_lang", "en")
    response = client.post(
        f"/admin/users/{admin.id}/roles/revoke", data={"role": "administrator", "csrf_token": csrf(client)}
    )
    assert response.status_code == 422
    assert "The last administrator cannot lose the administrator role." in response.text
    assert _roles(session, admin) == {"administrator"}
    assert session.scalars(select(AuditEvent)).all() == []


def test_post_without_csrf_token_is_forbidden(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User
) -> None:
    log_in(client, session, admin, now=clock.now())
    response = client.post(f"/admin/users/{target.id}/roles", data={"role": "administrator"})
    assert response.status_code == 403
    assert _roles(session, target) == set()


def test_unknown_user_is_not_found(client: TestClient, session: Session, clock: FrozenClock, admin: User) -> None:
    log_in(client, session, admin, now=clock.now())
    assert client.get("/admin/users/999999").status_code == 404


@pytest.mark.parametrize("roles", [("coordinator",), ("evaluator",), ()], ids=["coordinator", "evaluator", "company"])
def test_others_get_not_found_and_no_user_data(
    client: TestClient, session: Session, clock: FrozenClock, admin: User, target: User, roles: tuple[str, ...]
) -> None:
    other = create_user(session, email="other@example.nl", roles=roles)
    log_in(client, session, other, now=clock.now())
    token = csrf(client)
    responses = [
        client.get("/admin/users"),
        client.get("/admin/users", params={"q": "geheim"}),
        client.get(f"/admin/users/{target.id}"),
        client.post(f"/admin/users/{other.id}/roles", data={"role": "administrator", "csrf_token": token}),
        client.post(f"/admin/users/{admin.id}/roles/revoke", data={"role": "administrator", "csrf_token": token}),
    ]
    assert [r.status_code for r in responses] == [404] * 5
    for response in responses:
        assert TARGET_EMAIL not in response.text and "adam@mindef.example" not in response.text
    assert _roles(session, other) == set(roles)
    assert _roles(session, admin) == {"administrator"}


def test_staff_without_second_factor_is_sent_to_verify(
    client: TestClient, session: Session, clock: FrozenClock, admin: User
) -> None:
    log_in(client, session, admin, now=clock.now(), second_factor=False)
    response = client.get("/admin/users")
    assert response.status_code == 303
    assert TARGET_EMAIL not in response.text


def test_anonymous_is_sent_to_login(client: TestClient, session: Session, target: User) -> None:
    response = client.get("/admin/users")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin%2Fusers"
    posted = client.post(f"/admin/users/{target.id}/roles", data={"role": "administrator", "csrf_token": csrf(client)})
    assert posted.status_code == 303
    assert posted.headers["location"].startswith("/login")
    assert _roles(session, target) == set()
