"""Resetting a staff member's second factor with four eyes, over HTTP: one administrator asks, a second one
approves, only then is the factor cleared (sessions ended, enrolment again at the next login); the one who asked
cannot approve; a request can be cancelled; each step is audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, RecoveryCode, User
from app.admin.two_factor_reset.models import TwoFactorReset
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from tests.accounts.helpers import post
from tests.factories import DEFAULT_PASSWORD, create_user, csrf, log_in

STAFF = "eva.evaluator@mindef.example"


@pytest.fixture
def first(session: Session) -> User:
    return create_user(session, email="adam@mindef.example", name="Adam Admin", roles=("administrator",))


@pytest.fixture
def second(session: Session) -> User:
    return create_user(session, email="bea@mindef.example", name="Bea Beheer", roles=("administrator",))


@pytest.fixture
def staff(session: Session, clock: FrozenClock) -> User:
    user = create_user(session, email=STAFF, name="Eva Evaluator", roles=("evaluator",))
    session.add(RecoveryCode(user_id=user.id, code_hash="0" * 64, created_at=clock.now()))
    session.commit()
    return user


def _ask(client: TestClient, user: User, reason: str = "Telefoon verloren.") -> object:
    return post(client, f"/admin/users/{user.id}/two-factor-reset", {"reset_reason": reason})


def _reset(session: Session) -> TwoFactorReset:
    session.expire_all()
    return session.scalars(select(TwoFactorReset)).one()


def _enrolled(session: Session, user: User) -> bool:
    session.expire_all()
    return session.scalars(select(User.totp_enabled_at).where(User.id == user.id)).one() is not None


def test_reset_needs_a_second_administrator_and_then_clears_the_factor(
    client: TestClient, app: object, session: Session, clock: FrozenClock, first: User, second: User, staff: User
) -> None:
    staff_client = TestClient(app, follow_redirects=False)  # type: ignore[arg-type]
    log_in(staff_client, session, staff, now=clock.now())
    log_in(client, session, first, now=clock.now())
    asked = _ask(client, staff)
    assert asked.status_code == 303
    assert asked.headers["location"] == f"/admin/users/{staff.id}?done=reset_requested"
    assert "Een tweede beheerder moet het goedkeuren." in client.get(asked.headers["location"]).text
    reset = _reset(session)
    assert reset.status == "requested" and reset.requested_by_id == first.id
    assert _enrolled(session, staff)
    own = post(client, f"/admin/two-factor-resets/{reset.id}/approve")
    assert own.status_code == 422
    assert "U hebt dit herstel zelf aangevraagd" in own.text
    assert _enrolled(session, staff) and _reset(session).status == "requested"
    listed = client.get("/admin/two-factor-resets")
    assert "Eva Evaluator" in listed.text and "Telefoon verloren." in listed.text
    assert f"/admin/two-factor-resets/{reset.id}/approve" not in listed.text  # no button for the one who asked

    client.cookies.clear()
    log_in(client, session, second, now=clock.now())
    assert f"/admin/two-factor-resets/{reset.id}/approve" in client.get("/admin/two-factor-resets").text
    approved = post(client, f"/admin/two-factor-resets/{reset.id}/approve")
    assert approved.status_code == 303
    assert approved.headers["location"] == "/admin/two-factor-resets?done=approved"
    assert not _enrolled(session, staff)
    assert session.scalar(select(func.count()).select_from(RecoveryCode).where(RecoveryCode.user_id == staff.id)) == 0
    assert _reset(session).status == "approved" and _reset(session).decided_by_id == second.id
    live = select(AuthSession.id).where(AuthSession.user_id == staff.id, AuthSession.ended_at.is_(None))
    assert session.scalars(live).all() == []
    assert staff_client.get("/evaluate").headers["location"].startswith("/login")

    staff_client.cookies.clear()
    login = post(staff_client, "/login", {"email": STAFF, "password": DEFAULT_PASSWORD})
    assert login.status_code == 303
    assert login.headers["location"].startswith("/account/two-factor")  # enrol again

    events = session.scalars(
        select(AuditEvent).where(AuditEvent.action.like("%two_factor_reset%")).order_by(AuditEvent.id)
    ).all()
    assert [(e.action, e.actor_id) for e in events] == [
        ("two_factor_reset.request", first.id),
        ("two_factor_reset.approve", second.id),
        ("user.two_factor_reset", second.id),
    ]
    assert events[2].object_id == str(staff.id)


def test_reset_can_be_cancelled_and_then_not_approved(
    client: TestClient, session: Session, clock: FrozenClock, first: User, second: User, staff: User
) -> None:
    log_in(client, session, first, now=clock.now())
    _ask(client, staff)
    reset = _reset(session)
    cancelled = post(client, f"/admin/two-factor-resets/{reset.id}/cancel")
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == "/admin/two-factor-resets?done=cancelled"
    assert _reset(session).status == "cancelled"
    client.cookies.clear()
    log_in(client, session, second, now=clock.now())
    late = post(client, f"/admin/two-factor-resets/{reset.id}/approve")
    assert late.status_code == 422
    assert "Dit herstel wacht niet meer op goedkeuring." in late.text
    assert _enrolled(session, staff)
    actions = session.scalars(
        select(AuditEvent.action).where(AuditEvent.action.like("two_factor_reset.%")).order_by(AuditEvent.id)
    )
    assert actions.all() == ["two_factor_reset.request", "two_factor_reset.cancel"]


def test_reset_request_needs_a_reason_an_enrolled_account_and_no_open_request(
    client: TestClient, session: Session, clock: FrozenClock, first: User, staff: User
) -> None:
    company = create_user(session, email="bedrijf@example.nl")
    log_in(client, session, first, now=clock.now())
    empty = _ask(client, staff, reason="  ")
    assert empty.status_code == 422
    assert 'href="#reset_reason"' in empty.text
    none = _ask(client, company)
    assert none.status_code == 422 and "Dit account heeft geen tweede factor om te herstellen." in none.text
    assert _ask(client, staff).status_code == 303
    twice = _ask(client, staff)
    assert twice.status_code == 422
    assert "Een herstel van de tweede factor van dit account wacht al op goedkeuring." in twice.text
    assert session.scalar(select(func.count()).select_from(TwoFactorReset)) == 1


def test_administrator_cannot_approve_the_reset_of_their_own_factor(
    client: TestClient, session: Session, clock: FrozenClock, first: User, second: User
) -> None:
    log_in(client, session, first, now=clock.now())
    _ask(client, second)
    reset = _reset(session)
    client.cookies.clear()
    log_in(client, session, second, now=clock.now())
    refused = post(client, f"/admin/two-factor-resets/{reset.id}/approve")
    assert refused.status_code == 422
    assert "Een herstel van uw eigen tweede factor wordt door een andere beheerder goedgekeurd." in refused.text
    assert _enrolled(session, second)


@pytest.mark.parametrize("role", ["coordinator", "evaluator", None])
def test_reset_routes_are_not_found_for_anyone_but_an_administrator(
    client: TestClient, session: Session, clock: FrozenClock, first: User, staff: User, role: str | None
) -> None:
    log_in(client, session, first, now=clock.now())
    _ask(client, staff)
    reset = _reset(session)
    client.cookies.clear()
    someone = create_user(session, email="someone@mindef.example", roles=(role,) if role else ())
    log_in(client, session, someone, now=clock.now())
    token = csrf(client)
    assert client.get("/admin/two-factor-resets").status_code == 404
    for url in (f"/admin/two-factor-resets/{reset.id}/approve", f"/admin/two-factor-resets/{reset.id}/cancel"):
        assert client.post(url, data={"csrf_token": token}).status_code == 404
    assert (
        client.post(
            f"/admin/users/{staff.id}/two-factor-reset", data={"reset_reason": "x", "csrf_token": token}
        ).status_code
        == 404
    )
    assert _reset(session).status == "requested" and _enrolled(session, staff)
