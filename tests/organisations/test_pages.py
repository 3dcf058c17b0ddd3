"""Organisation pages over HTTP: registration, members, invitations, and what outsiders get (nothing)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession
from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.notifications.models import OutboxMessage
from app.organisations.models import Invitation, Membership, Organisation
from tests.factories import create_user, csrf, log_in
from tests.organisations.helpers import create_organisation, form_data


def _post(client: TestClient, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.post(url, data={**(data or {}), "csrf_token": csrf(client)})


def _two_organisations(session: Session, clock: FrozenClock) -> tuple[Any, Any, Organisation, Organisation]:
    alice = create_user(session, email="alice@alpha.example", name="Alice")
    bob = create_user(session, email="bob@bravo.example", name="Bob")
    org_a = create_organisation(session, alice, now=clock.now(), legal_name="Alpha Geheim B.V.", kvk_number="31313131")
    org_b = create_organisation(session, bob, now=clock.now(), legal_name="Bravo B.V.", kvk_number="42424242")
    return alice, bob, org_a, org_b


def _latest_action(session: Session) -> str | None:
    return session.scalar(select(AuditEvent.action).order_by(AuditEvent.id.desc()).limit(1))


def test_create_page_registers_and_makes_acting(client: TestClient, session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="maker@lima.example")
    token = log_in(client, session, user, now=clock.now())
    assert client.get("/organisations/new").status_code == 200
    response = _post(client, "/organisations/new", form_data(legal_name="Lima Labs B.V.", kvk_number="6060-6060"))
    assert response.status_code == 303
    organisation = session.scalars(select(Organisation).where(Organisation.kvk_number == "60606060")).one()
    assert response.headers["location"] == f"/organisations/{organisation.id}"
    from app.tokens import hash_token

    auth = session.scalars(select(AuthSession).where(AuthSession.token_hash == hash_token(token))).one()
    session.refresh(auth)
    assert auth.acting_organisation_id == organisation.id
    listing = client.get("/organisations").text
    assert "Lima Labs B.V." in listing and "Handelende organisatie" in listing
    assert _latest_action(session) == "organisation.create"


def test_create_with_bad_input_keeps_values_and_shows_messages(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    log_in(client, session, create_user(session, email="typo@mike.example"), now=clock.now())
    response = _post(client, "/organisations/new", form_data(legal_name="Mike B.V.", kvk_number="123", city=""))
    assert response.status_code == 422
    assert 'value="Mike B.V."' in response.text
    assert "Vul een KvK-nummer van 8 cijfers in, bijvoorbeeld 12345678." in response.text
    assert 'href="#city"' in response.text
    assert session.scalar(select(Organisation).where(Organisation.legal_name == "Mike B.V.")) is None


def test_duplicate_kvk_message_reveals_nothing_of_the_other(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    owner = create_user(session, email="owner@november.example", name="Owner Person")
    create_organisation(
        session, owner, now=clock.now(), legal_name="November Geheim B.V.", city="Nijmegen", kvk_number="70707070"
    )
    log_in(client, session, create_user(session, email="late@november.example"), now=clock.now())
    response = _post(client, "/organisations/new", form_data(legal_name="Other B.V.", kvk_number="7070 7070"))
    assert response.status_code == 422
    assert (
        "Er is al een organisatie met dit nummer geregistreerd. Vraag de beheerder ervan om u uit te nodigen, of "
        in response.text
    )
    for secret in ("November Geheim", "Nijmegen", "owner@november.example", "Owner Person"):
        assert secret not in response.text


def test_member_of_b_gets_404_and_no_data_of_a(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _, bob, org_a, _ = _two_organisations(session, clock)
    log_in(client, session, bob, now=clock.now())
    base = f"/organisations/{org_a.id}"
    responses = [
        client.get(base),
        client.get(f"{base}/edit"),
        _post(client, f"{base}/edit", form_data(legal_name="Hijacked")),
        _post(client, f"{base}/invitations", {"email": "spy@bravo.example"}),
        _post(client, f"{base}/leave"),
        _post(client, "/organisations/acting", {"organisation_id": str(org_a.id)}),
    ]
    for response in responses:
        assert response.status_code == 404
        assert "Alpha Geheim" not in response.text and "31313131" not in response.text
    assert session.scalar(select(Invitation).where(Invitation.email == "spy@bravo.example")) is None
    session.refresh(org_a)
    assert org_a.legal_name == "Alpha Geheim B.V."


def test_staff_without_membership_gets_404(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _, _, org_a, _ = _two_organisations(session, clock)
    staff = create_user(session, email="staff@mindef.example", roles=("administrator",))
    log_in(client, session, staff, now=clock.now())
    response = client.get(f"/organisations/{org_a.id}")
    assert response.status_code == 404
    assert "Alpha Geheim" not in response.text


def test_non_admin_member_cannot_invite_remove_or_edit(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    carol = create_user(session, email="carol@alpha.example", name="Carol")
    session.add(Membership(organisation_id=org_a.id, user_id=carol.id, role="member", joined_at=clock.now()))
    session.commit()
    log_in(client, session, carol, now=clock.now())
    page = client.get(f"/organisations/{org_a.id}")
    assert page.status_code == 200
    assert "Alice" in page.text and "Een collega uitnodigen" not in page.text
    base = f"/organisations/{org_a.id}"
    assert _post(client, f"{base}/invitations", {"email": "x@alpha.example"}).status_code == 403
    assert _post(client, f"{base}/members/{alice.id}/remove").status_code == 403
    assert _post(client, f"{base}/members/{carol.id}/role", {"role": "admin"}).status_code == 403
    assert client.get(f"{base}/edit").status_code == 403
    assert session.get(Membership, (org_a.id, alice.id)) is not None


def test_last_admin_cannot_leave_or_be_removed(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    log_in(client, session, alice, now=clock.now())
    for url in (f"/organisations/{org_a.id}/leave", f"/organisations/{org_a.id}/members/{alice.id}/remove"):
        response = _post(client, url)
        assert response.status_code == 422
        assert "Een organisatie heeft ten minste één beheerder nodig." in response.text
    assert session.get(Membership, (org_a.id, alice.id)) is not None


def test_admin_removes_member_and_hands_over_role(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    carol = create_user(session, email="carol2@alpha.example", name="Carol")
    dave = create_user(session, email="dave@alpha.example", name="Dave")
    for person in (carol, dave):
        session.add(Membership(organisation_id=org_a.id, user_id=person.id, role="member", joined_at=clock.now()))
    session.commit()
    log_in(client, session, alice, now=clock.now())
    base = f"/organisations/{org_a.id}"
    assert _post(client, f"{base}/members/{dave.id}/remove").status_code == 303
    assert _latest_action(session) == "membership.remove"
    assert _post(client, f"{base}/members/{carol.id}/role", {"role": "admin"}).status_code == 303
    assert _latest_action(session) == "membership.role_change"
    assert _post(client, f"{base}/leave").status_code == 303
    session.expire_all()
    assert session.get(Membership, (org_a.id, dave.id)) is None
    assert session.get(Membership, (org_a.id, alice.id)) is None
    assert session.get(Membership, (org_a.id, carol.id)).role == "admin"  # type: ignore[union-attr]


def test_invite_accept_and_reuse(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    log_in(client, session, alice, now=clock.now())
    response = _post(client, f"/organisations/{org_a.id}/invitations", {"email": "new@alpha.example"})
    assert response.status_code == 303
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "new@alpha.example")).one()
    match = re.search(r"http://testserver(/invitations/\S+)", message.body_text)
    assert match is not None
    link = match.group(1)
    assert "new@alpha.example" in client.get(f"/organisations/{org_a.id}").text

    client.cookies.clear()
    log_in(client, session, create_user(session, email="forwarded@other.example"), now=clock.now())
    for response in (client.get(link), _post(client, link)):  # a forwarded link lets nobody else in
        assert response.status_code == 403
        assert "ander e-mailadres" in response.text and "Alpha Geheim" not in response.text
    newcomer = create_user(session, email="new@alpha.example", name="Newcomer")
    client.cookies.clear()
    log_in(client, session, newcomer, now=clock.now())
    page = client.get(link)
    assert page.status_code == 200 and "Alpha Geheim B.V." in page.text
    accepted = _post(client, link)
    assert accepted.status_code == 303
    assert accepted.headers["location"] == f"/organisations/{org_a.id}"
    assert session.get(Membership, (org_a.id, newcomer.id)) is not None
    again = client.get(link)
    assert again.status_code == 410
    assert "al geaccepteerd" in again.text and "Alpha Geheim" not in again.text
    assert _post(client, link).status_code == 410


def test_expired_and_revoked_invitations_say_so(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    log_in(client, session, alice, now=clock.now())
    _post(client, f"/organisations/{org_a.id}/invitations", {"email": "one@alpha.example"})
    _post(client, f"/organisations/{org_a.id}/invitations", {"email": "two@alpha.example"})
    links = {}
    for email in ("one@alpha.example", "two@alpha.example"):
        body = session.scalars(select(OutboxMessage.body_text).where(OutboxMessage.to_address == email)).one()
        match = re.search(r"http://testserver(/invitations/\S+)", body)
        assert match is not None
        links[email] = match.group(1)
    two = session.scalars(select(Invitation).where(Invitation.email == "two@alpha.example")).one()
    assert _post(client, f"/organisations/{org_a.id}/invitations/{two.id}/revoke").status_code == 303
    revoked = client.get(links["two@alpha.example"])
    assert revoked.status_code == 410 and "ingetrokken" in revoked.text
    assert "nieuwe uitnodiging" in revoked.text
    one = session.scalars(select(Invitation).where(Invitation.email == "one@alpha.example")).one()
    one.expires_at = clock.now() - timedelta(seconds=1)
    session.commit()
    expired = client.get(links["one@alpha.example"])
    assert expired.status_code == 410 and "verlopen" in expired.text
    assert client.get("/invitations/not-a-real-token").status_code == 404


def test_invitation_revoke_of_other_organisation_is_404(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    alice, bob, org_a, org_b = _two_organisations(session, clock)
    log_in(client, session, alice, now=clock.now())
    _post(client, f"/organisations/{org_a.id}/invitations", {"email": "target@alpha.example"})
    invitation = session.scalars(select(Invitation).where(Invitation.email == "target@alpha.example")).one()
    client.cookies.clear()
    log_in(client, session, bob, now=clock.now())
    assert _post(client, f"/organisations/{org_b.id}/invitations/{invitation.id}/revoke").status_code == 404
    session.refresh(invitation)
    assert invitation.revoked_at is None


def test_choose_acting_organisation(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, _, _ = _two_organisations(session, clock)
    second = create_organisation(session, alice, now=clock.now(), legal_name="Alpha Twee B.V.", kvk_number="31313132")
    log_in(client, session, alice, now=clock.now())
    listing = client.get("/organisations").text
    assert "Alpha Geheim B.V." in listing and "Alpha Twee B.V." in listing
    assert _post(client, "/organisations/acting", {"organisation_id": str(second.id)}).status_code == 303
    assert _latest_action(session) == "organisation.acting_choose"
    acting = session.scalars(select(AuthSession.acting_organisation_id).where(AuthSession.user_id == alice.id)).one()
    assert acting == second.id
    assert _post(client, "/organisations/acting", {"organisation_id": "nonsense"}).status_code == 404


def test_edit_details(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    log_in(client, session, alice, now=clock.now())
    form = client.get(f"/organisations/{org_a.id}/edit")
    assert form.status_code == 200 and 'value="31313131"' in form.text
    changed = form_data(
        legal_name="Alpha Nieuw B.V.",
        kvk_number="31313131",
        security_status="nato_fsc",
        facility_clearance_level="nato_secret",
    )
    assert _post(client, f"/organisations/{org_a.id}/edit", changed).status_code == 303
    page = client.get(f"/organisations/{org_a.id}").text
    assert "Alpha Nieuw B.V." in page and "NATO Secret" in page
    assert _latest_action(session) == "organisation.update"


def test_post_without_csrf_token_is_403(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    log_in(client, session, alice, now=clock.now())
    client.get("/organisations")
    response = client.post(f"/organisations/{org_a.id}/invitations", data={"email": "nocsrf@alpha.example"})
    assert response.status_code == 403
    assert session.scalar(select(Invitation).where(Invitation.email == "nocsrf@alpha.example")) is None
    response = client.post("/organisations/new", data=form_data(kvk_number="90909090"))
    assert response.status_code == 403


def test_anonymous_is_sent_to_log_in_and_back(client: TestClient, session: Session) -> None:
    response = client.get("/invitations/some-token")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Finvitations%2Fsome-token"
    assert client.get("/organisations").headers["location"].startswith("/login")


def test_pages_in_english(client: TestClient, session: Session, clock: FrozenClock) -> None:
    alice, _, org_a, _ = _two_organisations(session, clock)
    log_in(client, session, alice, now=clock.now())
    client.cookies.set("portal_lang", "en")
    assert "Register an organisation" in client.get("/organisations/new").text
    assert "Invite a colleague" in client.get(f"/organisations/{org_a.id}").text
