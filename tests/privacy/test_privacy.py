"""Privacy over HTTP: a user's own data as a ZIP, and deleting an account (anonymised, duties handed over first)."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, User
from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.challenges.models import ChallengeCoordinator
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.organisations.models import Membership
from tests.authz.world import SECRET_ANSWER, build_world
from tests.factories import DEFAULT_PASSWORD, create_user, csrf, log_in


def _world(client: TestClient, session: Session, clock: FrozenClock):  # type: ignore[no-untyped-def]
    return build_world(session, clock.now(), blobs=client.app.state.blobs)  # type: ignore[attr-defined]


def _post(client: TestClient, url: str, **data: str):  # type: ignore[no-untyped-def]
    return client.post(url, data={**data, "csrf_token": csrf(client)})


def test_data_export_holds_account_memberships_proposals_questions_and_events(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    alice = world.users["member_a"]
    log_in(client, session, alice, now=clock.now())
    response = _post(client, "/account/data")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == [
        "README.txt",
        "account.json",
        "audit_events.json",
        "memberships.json",
        "proposals.json",
        "questions.json",
    ]
    assert json.loads(archive.read("account.json"))["email"] == "alice@org-a.example"
    assert [m["legal_name"] for m in json.loads(archive.read("memberships.json"))] == ["Alpha Geheim Defence B.V."]
    proposals = json.loads(archive.read("proposals.json"))
    assert proposals[0]["versions_you_submitted"][0]["content"]["answers"]["summary"] == SECRET_ANSWER
    assert [q["question"] for q in json.loads(archive.read("questions.json"))] == ["Vraag van Alpha Geheim Defence"]
    actions = {event["action"] for event in json.loads(archive.read("audit_events.json"))}
    assert "proposal.submit" in actions
    assert "persoonsgegevens" in archive.read("README.txt").decode()
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None and (event.action, event.actor_id) == ("account.export", alice.id)


def test_data_export_of_a_competitor_holds_nothing_of_organisation_a(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    log_in(client, session, world.users["member_b"], now=clock.now())
    archive = zipfile.ZipFile(io.BytesIO(_post(client, "/account/data").content))
    everything = b"".join(archive.read(name) for name in archive.namelist()).decode()
    for secret in world.secrets_a:
        assert secret not in everything


def test_data_export_needs_login_and_csrf(client: TestClient, session: Session, clock: FrozenClock) -> None:
    world = _world(client, session, clock)
    assert _post(client, "/account/data").headers["location"].startswith("/login")
    log_in(client, session, world.users["member_a"], now=clock.now())
    assert client.post("/account/data", data={}).status_code == 403


def test_delete_account_anonymises_and_keeps_the_record(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    alice = world.users["member_a"]
    log_in(client, session, alice, now=clock.now())
    assert "Alpha Geheim Defence B.V." in client.get("/account/delete").text  # told the organisation keeps no member
    response = _post(client, "/account/delete", password=DEFAULT_PASSWORD)
    assert response.status_code == 200
    session.expire_all()
    user = session.get(User, alice.id)
    assert user is not None
    assert (user.name, user.is_active, user.totp_enabled) == ("", False, False)
    assert user.email.startswith("deleted-") and "alice" not in user.email
    assert session.scalars(select(Membership).where(Membership.user_id == alice.id)).all() == []
    assert session.scalars(select(AuthSession).where(AuthSession.user_id == alice.id)).all() == []
    events = session.scalars(select(AuditEvent).where(AuditEvent.actor_id == alice.id).order_by(AuditEvent.id)).all()
    assert events[-1].action == "account.delete"
    assert "proposal.submit" in {e.action for e in events}
    assert verify_chain(session).ok
    # Logged out, and never again with the old address.
    assert client.get("/account").headers["location"].startswith("/login")
    login = client.post(
        "/login", data={"email": "alice@org-a.example", "password": DEFAULT_PASSWORD, "csrf_token": csrf(client)}
    )
    assert login.status_code == 422


def test_deleted_asker_name_is_gone_from_the_coordinators_page(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    log_in(client, session, world.users["member_a"], now=clock.now())
    assert _post(client, "/account/delete", password=DEFAULT_PASSWORD).status_code == 200
    session.add(
        ChallengeCoordinator(
            challenge_id=world.ids["challenge_id"], user_id=world.users["coordinator"].id, assigned_at=clock.now()
        )
    )
    session.commit()
    client.cookies.clear()
    log_in(client, session, world.users["coordinator"], now=clock.now())
    page = client.get(f"/manage/challenges/{world.ids['challenge_slug']}/questions/{world.ids['question_a']}")
    assert page.status_code == 200
    assert "Alice Alpha" not in page.text
    assert "Account verwijderd" in page.text


def test_delete_account_refused_with_a_wrong_password(client: TestClient, session: Session, clock: FrozenClock) -> None:
    world = _world(client, session, clock)
    log_in(client, session, world.users["member_a"], now=clock.now())
    response = _post(client, "/account/delete", password="wrong")
    assert response.status_code == 422
    assert "Uw wachtwoord is niet juist." in response.text
    session.expire_all()
    assert session.get(User, world.users["member_a"].id).name == "Alice Alpha"  # type: ignore[union-attr]


def test_delete_account_refused_for_the_last_admin_of_an_organisation_with_members(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    colleague = create_user(session, email="carl@org-a.example", name="Carl")
    session.add(
        Membership(organisation_id=world.ids["org_a"], user_id=colleague.id, role="member", joined_at=clock.now())
    )
    session.commit()
    log_in(client, session, world.users["member_a"], now=clock.now())
    assert "Maak eerst een van hen beheerder." in client.get("/account/delete").text
    response = _post(client, "/account/delete", password=DEFAULT_PASSWORD)
    assert response.status_code == 422
    assert "U bent de laatste beheerder van Alpha Geheim Defence B.V." in response.text
    session.expire_all()
    assert session.get(User, world.users["member_a"].id).deleted_at is None  # type: ignore[union-attr]


def test_delete_account_refused_for_the_sole_coordinator_of_an_open_challenge(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    coordinator = world.users["coordinator"]
    session.add(
        ChallengeCoordinator(challenge_id=world.ids["challenge_id"], user_id=coordinator.id, assigned_at=clock.now())
    )
    session.commit()
    log_in(client, session, coordinator, now=clock.now())
    response = _post(client, "/account/delete", password=DEFAULT_PASSWORD)
    assert response.status_code == 422
    assert f"U bent de enige coördinator van de lopende challenge {world.ids['challenge_slug']}." in response.text


def test_delete_account_refused_for_the_only_administrator(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    log_in(client, session, world.users["administrator"], now=clock.now())
    response = _post(client, "/account/delete", password=DEFAULT_PASSWORD)
    assert response.status_code == 422
    assert "U bent de enige beheerder van het portaal." in response.text


def test_delete_account_pages_need_login(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _world(client, session, clock)
    assert client.get("/account/delete").headers["location"].startswith("/login")
    assert _post(client, "/account/delete", password="x").headers["location"].startswith("/login")


def test_administrators_see_a_deleted_user_without_name_or_address(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    alice = world.users["member_a"]
    log_in(client, session, alice, now=clock.now())
    assert _post(client, "/account/delete", password=DEFAULT_PASSWORD).status_code == 200
    client.cookies.clear()
    log_in(client, session, world.users["administrator"], now=clock.now())
    for url in ("/admin/users", f"/admin/users/{alice.id}"):
        page = client.get(url)
        assert page.status_code == 200
        assert "verwijderde gebruiker" in page.text
        assert "Alice Alpha" not in page.text
        assert "alice@org-a.example" not in page.text


def test_delete_account_refused_for_an_evaluator_with_an_unfinished_assignment(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from app.evaluations.models import Assignment
    from app.proposals.models import Proposal

    world = _world(client, session, clock)
    evaluator = world.users["evaluator"]
    session.add(
        Assignment(
            proposal_id=world.ids["proposal_a"],
            evaluator_id=evaluator.id,
            stage_id=session.get(Proposal, world.ids["proposal_a"]).stage_id,
            status="assigned",
            assigned_at=clock.now(),
        )
    )
    session.commit()
    log_in(client, session, evaluator, now=clock.now())
    response = _post(client, "/account/delete", password=DEFAULT_PASSWORD)
    assert response.status_code == 422
    assert "U hebt 1 onafgeronde beoordelingsopdrachten." in response.text


def test_delete_account_removes_the_e_mails_to_it_and_keeps_the_others(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from app.notifications.service import queue_email

    world = _world(client, session, clock)
    alice, bob = world.users["member_a"], world.users["member_b"]
    for user in (alice, bob):
        context = {"name": user.name, "new_email": user.email, "link": "http://testserver/password/forgot"}
        queue_email(
            session, to=user.email, template="email_changed", context=context, language="nl", now=clock.now(),
            user_id=user.id,
        )  # fmt: skip
    session.commit()
    mine = select(OutboxMessage).where(
        (OutboxMessage.user_id == alice.id) | (OutboxMessage.to_address == "alice@org-a.example")
    )
    assert session.scalars(mine).all() != []
    others = len(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == bob.email)).all())
    assert others >= 1

    log_in(client, session, alice, now=clock.now())
    assert _post(client, "/account/delete", password=DEFAULT_PASSWORD).status_code == 200

    session.expire_all()
    assert session.scalars(mine).all() == []
    assert len(session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == bob.email)).all()) == others
