"""The organisation service: registration checks, members and roles, invitations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.clock import FrozenClock
from app.errors import NotFound, NotPermitted, ValidationFailed
from app.links import Links
from app.notifications.models import OutboxMessage
from app.organisations import service
from app.organisations.enums import MemberRole
from app.organisations.invitations import service as invitation_service
from app.organisations.models import Invitation, Membership
from app.organisations.schemas import normalise_kvk, parse_organisation
from tests.factories import LINKS, create_user
from tests.organisations.helpers import create_organisation, form_data


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345678", "12345678"),
        (" 1234 5678 ", "12345678"),
        ("12.34.56.78", "12345678"),
        ("1234-5678", "12345678"),
        ("01234567", "01234567"),
        ("1234567", None),
        ("123456789", None),
        ("1234567a", None),
        ("１２３４５６７８", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_kvk_strips_separators_and_keeps_text(raw: str | None, expected: str | None) -> None:
    assert normalise_kvk(raw) == expected
    assert service.normalise_kvk(raw) == expected


def test_parse_requires_kvk_number_in_the_netherlands() -> None:
    form, errors = parse_organisation(form_data(kvk_number=""))
    assert form is None
    assert [(e.path, e.message) for e in errors] == [("kvk_number", "Enter the KvK number of the organisation.")]


def test_parse_refuses_kvk_number_of_wrong_length() -> None:
    form, errors = parse_organisation(form_data(kvk_number="1234 567"))
    assert form is None
    assert [e.path for e in errors] == ["kvk_number"]
    assert errors[0].message == "Enter a KvK number of 8 digits, for example 12345678."


def test_parse_abroad_requires_registry_id_and_drops_kvk() -> None:
    form, errors = parse_organisation(form_data(country="DE", kvk_number="12345678", registry_id=""))
    assert form is None
    assert [e.path for e in errors] == ["registry_id"]
    form, errors = parse_organisation(form_data(country="de", kvk_number="12345678", registry_id="HRB 1234"))
    assert errors == []
    assert form is not None
    assert (form.country, form.kvk_number, form.registry_id) == ("DE", None, "HRB 1234")


def test_parse_refuses_unknown_country() -> None:
    form, errors = parse_organisation(form_data(country="XX", registry_id="1"))
    assert form is None
    assert [(e.path, e.message) for e in errors] == [("country", "Choose a country from the list.")]


def test_parse_requires_level_only_for_nato_clearance() -> None:
    _, errors = parse_organisation(form_data(security_status="nato_fsc"))
    assert [e.path for e in errors] == ["facility_clearance_level"]
    form, errors = parse_organisation(form_data(security_status="abdo2019", facility_clearance_level="nato_secret"))
    assert errors == [] and form is not None
    assert form.facility_clearance_level is None
    form, errors = parse_organisation(form_data(security_status="nato_fsc", facility_clearance_level="nato_secret"))
    assert errors == [] and form is not None
    assert form.facility_clearance_level is not None


def test_parse_requires_sme_answer() -> None:
    _, errors = parse_organisation(form_data(is_sme=""))
    assert [(e.path, e.message) for e in errors] == [("is_sme", "Choose yes or no.")]


def test_create_makes_creator_admin_and_audits(session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="creator@delta.example")
    organisation = create_organisation(session, user, now=clock.now(), kvk_number="12.34.56.78")
    assert organisation.kvk_number == "12345678"
    membership = session.get(Membership, (organisation.id, user.id))
    assert membership is not None and membership.role == MemberRole.ADMIN.value
    assert _actions(session)[-1] == "organisation.create"


def test_create_with_registered_kvk_number_fails_at_the_field(session: Session, clock: FrozenClock) -> None:
    first = create_user(session, email="first@delta.example")
    create_organisation(session, first, now=clock.now(), legal_name="Eerste Geheim B.V.", kvk_number="87654321")
    second = create_user(session, email="second@delta.example")
    form, _ = parse_organisation(form_data(kvk_number="8765-4321", legal_name="Tweede B.V."))
    assert form is not None
    with pytest.raises(ValidationFailed) as failed:
        service.create_organisation(
            session,
            form=form,
            user=second,
            auth_session_id=None,
            actor=Actor(second.id, second.email),
            now=clock.now(),
        )
    assert [(e.path, e.message) for e in failed.value.errors] == [("kvk_number", service.ALREADY_REGISTERED)]
    assert "Eerste" not in service.ALREADY_REGISTERED


def test_find_registered_by_kvk_or_country_and_registry_id(session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="finder@delta.example")
    dutch = create_organisation(session, user, now=clock.now(), kvk_number="11223344")
    german = create_organisation(session, user, now=clock.now(), country="DE", kvk_number="", registry_id="HRB 99")
    assert service.find_registered(session, kvk_number="1122 3344") is dutch
    assert service.find_registered(session, kvk_number="99999999") is None
    assert service.find_registered(session, kvk_number="not a number") is None
    assert service.find_registered(session, country="de", registry_id=" hrb 99 ") is german
    assert service.find_registered(session, country="FR", registry_id="HRB 99") is None
    assert service.find_registered(session) is None


def test_registered_registry_id_abroad_is_refused(session: Session, clock: FrozenClock) -> None:
    user = create_user(session, email="abroad@delta.example")
    create_organisation(session, user, now=clock.now(), country="BE", kvk_number="", registry_id="0123.456.789")
    form, _ = parse_organisation(form_data(country="BE", kvk_number="", registry_id="0123.456.789"))
    assert form is not None
    with pytest.raises(ValidationFailed) as failed:
        service.create_organisation(
            session, form=form, user=user, auth_session_id=None, actor=Actor(user.id, user.email), now=clock.now()
        )
    assert [e.path for e in failed.value.errors] == ["registry_id"]


def _invite(session: Session, organisation_id: int, admin: object, email: str, now: object) -> tuple[str, Invitation]:
    tokens: list[str] = []

    def path_for(route: str, **params: str) -> str:
        tokens.append(params["token"])
        return LINKS.path_for(route, **params)

    invitation = invitation_service.invite_member(
        session,
        organisation_id=organisation_id,
        email=email,
        user=admin,
        language="nl",
        links=Links(LINKS.base_url, path_for),
        actor=Actor(None, "test"),
        now=now,  # type: ignore[arg-type]
    )
    session.commit()
    return tokens[0], invitation


def test_invitation_is_queued_hashed_and_single_use(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@echo.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555501")
    token, invitation = _invite(session, organisation.id, admin, "Colleague@Echo.example", clock.now())
    assert invitation.email == "colleague@echo.example"
    assert invitation.token_hash != token
    assert invitation.expires_at == clock.now() + timedelta(days=7)
    message = session.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "colleague@echo.example")).one()
    assert f"http://testserver/invitations/{token}" in message.body_text
    assert "Delta Sensoren B.V." in message.subject
    colleague = create_user(session, email="colleague@echo.example")
    found = invitation_service.accept_invitation(
        session, token=token, user=colleague, actor=Actor(None, "t"), now=clock.now()
    )
    assert found.state == invitation_service.InvitationState.OPEN
    session.commit()
    assert session.get(Membership, (organisation.id, colleague.id)).role == "member"  # type: ignore[union-attr]
    again = invitation_service.accept_invitation(
        session, token=token, user=colleague, actor=Actor(None, "t"), now=clock.now()
    )
    assert again.state == invitation_service.InvitationState.USED
    assert _actions(session)[-2:] == ["invitation.create", "invitation.accept"]


def test_invitation_expires_after_seven_days(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@foxtrot.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555502")
    token, _ = _invite(session, organisation.id, admin, "late@foxtrot.example", clock.now())
    almost = clock.now() + timedelta(days=7) - timedelta(seconds=1)
    late = create_user(session, email="late@foxtrot.example")
    assert (
        invitation_service.look_up_invitation(session, token=token, user=late, now=almost).state
        == invitation_service.InvitationState.OPEN
    )
    later = clock.now() + timedelta(days=7)
    found = invitation_service.accept_invitation(session, token=token, user=late, actor=Actor(None, "t"), now=later)
    assert found.state == invitation_service.InvitationState.EXPIRED
    assert session.get(Membership, (organisation.id, late.id)) is None


def test_revoked_invitation_cannot_be_accepted(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@golf.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555503")
    token, invitation = _invite(session, organisation.id, admin, "x@golf.example", clock.now())
    invitation_service.revoke_invitation(
        session,
        organisation_id=organisation.id,
        invitation_id=invitation.id,
        user=admin,
        actor=Actor(None, "t"),
        now=clock.now(),
    )
    session.commit()
    invited = create_user(session, email="x@golf.example")
    found = invitation_service.look_up_invitation(session, token=token, user=invited, now=clock.now())
    assert found.state == invitation_service.InvitationState.REVOKED
    assert (
        invitation_service.look_up_invitation(session, token="nonsense", user=invited, now=clock.now()).state
        == "unknown"
    )
    assert _actions(session)[-1] == "invitation.revoke"


def test_non_admin_cannot_invite_and_outsider_gets_not_found(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@hotel.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555504")
    member = create_user(session, email="member@hotel.example")
    session.add(Membership(organisation_id=organisation.id, user_id=member.id, role="member", joined_at=clock.now()))
    session.commit()
    outsider = create_user(session, email="outsider@hotel.example")
    with pytest.raises(NotPermitted):
        _invite(session, organisation.id, member, "a@hotel.example", clock.now())
    with pytest.raises(NotFound):
        _invite(session, organisation.id, outsider, "a@hotel.example", clock.now())


def test_inviting_an_existing_member_is_refused(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@india.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555505")
    with pytest.raises(ValidationFailed) as failed:
        _invite(session, organisation.id, admin, "ADMIN@india.example", clock.now())
    assert [e.path for e in failed.value.errors] == ["email"]


def test_last_admin_cannot_leave_be_removed_or_demoted(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@juliet.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555506")
    actor = Actor(admin.id, admin.email)
    with pytest.raises(service.LastAdministrator):
        service.remove_member(
            session, organisation_id=organisation.id, member_id=admin.id, user=admin, actor=actor, now=clock.now()
        )
    with pytest.raises(service.LastAdministrator):
        service.change_role(
            session,
            organisation_id=organisation.id,
            member_id=admin.id,
            role=MemberRole.MEMBER,
            user=admin,
            actor=actor,
            now=clock.now(),
        )
    assert session.get(Membership, (organisation.id, admin.id)) is not None


def test_hand_over_admin_role_then_leave(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@kilo.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555507")
    other = create_user(session, email="other@kilo.example")
    session.add(Membership(organisation_id=organisation.id, user_id=other.id, role="member", joined_at=clock.now()))
    session.commit()
    actor = Actor(admin.id, admin.email)
    service.change_role(
        session,
        organisation_id=organisation.id,
        member_id=other.id,
        role=MemberRole.ADMIN,
        user=admin,
        actor=actor,
        now=clock.now(),
    )
    service.remove_member(
        session, organisation_id=organisation.id, member_id=admin.id, user=admin, actor=actor, now=clock.now()
    )
    session.commit()
    assert session.get(Membership, (organisation.id, admin.id)) is None
    assert session.get(Membership, (organisation.id, other.id)).role == "admin"  # type: ignore[union-attr]
    assert _actions(session)[-2:] == ["membership.role_change", "membership.remove"]


def test_an_invitation_works_only_for_the_account_of_the_invited_address(session: Session, clock: FrozenClock) -> None:
    admin = create_user(session, email="admin@hotel.example")
    organisation = create_organisation(session, admin, now=clock.now(), kvk_number="55555504")
    token, _ = _invite(session, organisation.id, admin, "Invited@Hotel.example", clock.now())
    intruder = create_user(session, email="forwarded-to@elsewhere.example")
    found = invitation_service.accept_invitation(
        session, token=token, user=intruder, actor=Actor(None, "t"), now=clock.now()
    )
    assert found.state == invitation_service.InvitationState.OTHER_ACCOUNT and found.organisation is None
    assert session.get(Membership, (organisation.id, intruder.id)) is None
    invited = create_user(session, email="invited@hotel.example")
    done = invitation_service.accept_invitation(
        session, token=token, user=invited, actor=Actor(None, "t"), now=clock.now()
    )
    assert done.state == invitation_service.InvitationState.OPEN
    assert session.get(Membership, (organisation.id, invited.id)) is not None
