"""The admin service: creating users, granting and revoking staff roles, listing, and the audit trail."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.accounts.passwords import verify_password
from app.accounts.two_factor.sealing import SecretBox
from app.admin import service
from app.audit.models import AuditEvent
from app.audit.service import Actor, verify_chain
from app.clock import FrozenClock
from app.errors import ValidationFailed
from tests.factories import create_user

ACTOR = Actor(user_id=None, label="cli:tester")
PASSWORD = "quiet harbour lantern 7781"


def _actions(session: Session) -> list[tuple[str, str, dict]]:  # type: ignore[type-arg]
    events = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
    return [(e.action, e.object_id, e.data) for e in events]


def test_create_user_lowercases_and_confirms_email(session: Session, clock: FrozenClock) -> None:
    user = service.create_user(
        session,
        email="  Jan.Jansen@MinDef.Example ",
        name=" Jan Jansen ",
        password=PASSWORD,
        now=clock.now(),
        actor=ACTOR,
    )
    assert (user.email, user.name) == ("jan.jansen@mindef.example", "Jan Jansen")
    assert user.email_confirmed_at == clock.now()
    assert user.role_names == frozenset()
    assert verify_password(user.password_hash, PASSWORD)
    assert _actions(session) == [("user.create", str(user.id), {"email": "jan.jansen@mindef.example"})]


def test_create_user_duplicate_email_is_refused(session: Session, clock: FrozenClock) -> None:
    create_user(session, email="taken@mindef.example")
    with pytest.raises(ValidationFailed) as caught:
        service.create_user(
            session, email="TAKEN@mindef.example", name="X", password=PASSWORD, now=clock.now(), actor=ACTOR
        )
    assert [(e.path, e.message) for e in caught.value.errors] == [
        ("email", "An account with this e-mail address already exists.")
    ]


def test_create_user_bad_password_and_name_are_refused(session: Session, clock: FrozenClock) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_user(session, email="x@mindef.example", name=" ", password="short", now=clock.now(), actor=ACTOR)
    assert [(e.path, e.message) for e in caught.value.errors] == [
        ("name", "Enter a name of at most 200 characters."),
        ("password", "Use at least 12 characters."),
    ]
    assert _actions(session) == []


def test_create_user_common_password_is_refused(session: Session, clock: FrozenClock) -> None:
    with pytest.raises(ValidationFailed) as caught:
        service.create_user(
            session, email="y@mindef.example", name="Y", password="password1234", now=clock.now(), actor=ACTOR
        )
    assert [e.path for e in caught.value.errors] == ["password"]


def test_grant_and_revoke_role_record_events(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="boss@mindef.example", roles=("administrator",))
    user = create_user(session, email="eva@mindef.example")
    actor = Actor(user_id=admin.id, label=admin.email, ip="10.0.0.1")
    assert service.grant_role(session, user=user, role=Role.EVALUATOR, actor=actor, now=clock.now()) is True
    assert service.grant_role(session, user=user, role=Role.EVALUATOR, actor=actor, now=clock.now()) is False
    assert user.role_names == frozenset({"evaluator"})
    assert user.roles[0].granted_by_id == admin.id
    assert service.revoke_role(session, user=user, role=Role.EVALUATOR, actor=actor, now=clock.now()) is True
    assert service.revoke_role(session, user=user, role=Role.EVALUATOR, actor=actor, now=clock.now()) is False
    assert user.role_names == frozenset()
    assert _actions(session) == [
        ("role.grant", str(user.id), {"role": "evaluator"}),
        ("role.revoke", str(user.id), {"role": "evaluator"}),
    ]
    event = session.scalars(select(AuditEvent)).first()
    assert event is not None and (event.actor_id, event.actor_label, event.ip) == (admin.id, admin.email, "10.0.0.1")
    assert verify_chain(session).ok


def test_revoke_last_administrator_is_refused(session: Session, clock: FrozenClock) -> None:
    only = create_user(session, email="only@mindef.example", roles=("administrator",))
    with pytest.raises(service.LastAdministrator):
        service.revoke_role(session, user=only, role=Role.ADMINISTRATOR, actor=ACTOR, now=clock.now())
    assert only.role_names == frozenset({"administrator"})
    assert _actions(session) == []


def test_revoke_administrator_with_a_second_one_succeeds(session: Session, clock: FrozenClock) -> None:
    first = create_user(session, email="first@mindef.example", roles=("administrator",))
    create_user(session, email="second@mindef.example", roles=("administrator",))
    assert service.revoke_role(session, user=first, role=Role.ADMINISTRATOR, actor=ACTOR, now=clock.now()) is True
    assert first.role_names == frozenset()


def test_grant_unknown_role_is_refused(session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="u@mindef.example")
    with pytest.raises(ValueError):
        service.grant_role(session, user=user, role="superuser", actor=ACTOR, now=clock.now())  # type: ignore[arg-type]
    assert user.role_names == frozenset()


def test_list_users_filters_by_email_or_name(session: Session) -> None:
    create_user(session, email="anna@mindef.example", name="Anna de Vries")
    create_user(session, email="bert@company.example", name="Bert Bakker")
    create_user(session, email="percent@company.example", name="100% Zeker")
    assert [u.email for u in service.list_users(session)] == [
        "anna@mindef.example",
        "bert@company.example",
        "percent@company.example",
    ]
    assert [u.email for u in service.list_users(session, query="MINDEF")] == ["anna@mindef.example"]
    assert [u.email for u in service.list_users(session, query="bakker")] == ["bert@company.example"]
    assert [u.email for u in service.list_users(session, query="%")] == ["percent@company.example"]
    assert service.list_users(session, query="nobody") == []


def test_ensure_demo_staff_is_idempotent(session: Session, clock: FrozenClock) -> None:
    box = SecretBox("test-secret-key-not-for-production")
    first_pairs = service.ensure_demo_staff(session, password=PASSWORD, now=clock.now(), actor=ACTOR, box=box)
    first, secrets = [u for u, _ in first_pairs], [s for _, s in first_pairs]
    assert [box.open(u.totp_secret_sealed) for u in first] == secrets
    assert [u.totp_secret for u in first] == [None] * 4
    second_pairs = service.ensure_demo_staff(session, password=PASSWORD + "x", now=clock.now(), actor=ACTOR, box=box)
    second = [u for u, _ in second_pairs]
    assert [u.id for u in first] == [u.id for u in second]
    assert [(u.email, sorted(u.role_names), u.totp_enabled) for u in second] == [
        ("coordinator@demo.invalid", ["coordinator"], True),
        ("coordinator2@demo.invalid", ["coordinator"], True),
        ("evaluator@demo.invalid", ["evaluator"], True),
        ("admin@demo.invalid", ["administrator"], True),
    ]
    assert all(s and len(s) == 32 for s in secrets)
    assert [s for _, s in second_pairs] != secrets
    assert verify_password(second[0].password_hash, PASSWORD + "x")
    assert [a for a, _, _ in _actions(session)].count("role.grant") == 4
