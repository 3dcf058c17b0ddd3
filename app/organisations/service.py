"""Use cases of organisations: create and edit, members and roles, the acting organisation (invitations are in
``invitations/``).

Callers commit. Every change records an audit event. Organisations the user is not a member of raise
``NotFound``, so their existence leaks nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import AuthSession, User
from app.audit.service import Actor, record_event
from app.errors import DomainError, FieldError, NotFound, NotPermitted, ValidationFailed
from app.i18n import N_
from app.organisations import permissions
from app.organisations.enums import MemberRole
from app.organisations.models import Membership, Organisation
from app.organisations.regions import postcodes as region_rules
from app.organisations.schemas import OrganisationForm, normalise_kvk

__all__ = ["find_registered", "normalise_kvk"]

ALREADY_REGISTERED = N_(
    "An organisation with this number is already registered. Ask its administrator to invite you, or, if you do"
    " not know who registered it, report it to the portal's administrators."
)


# --- queries --------------------------------------------------------------------------------------


def find_registered(
    session: Session, *, kvk_number: str | None = None, country: str | None = None, registry_id: str | None = None
) -> Organisation | None:
    """The organisation registered under a KvK number (any notation), or under a country and registry id."""
    if kvk_number is not None:
        kvk = normalise_kvk(kvk_number)
        if kvk is None:
            return None
        return session.scalar(select(Organisation).where(Organisation.kvk_number == kvk))
    if country and registry_id:
        return session.scalar(
            select(Organisation).where(
                Organisation.country == country.upper(),
                func.lower(Organisation.registry_id) == registry_id.strip().lower(),
            )
        )
    return None


def list_memberships(session: Session, *, user_id: int) -> list[Membership]:
    """The user's memberships with their organisations, by organisation name."""
    query = (
        select(Membership)
        .join(Organisation)
        .where(Membership.user_id == user_id)
        .order_by(func.lower(Organisation.legal_name), Organisation.id)
    )
    return list(session.scalars(query))


def get_membership(session: Session, *, organisation_id: int, user_id: int) -> Membership:
    """The user's membership of the organisation; ``NotFound`` when there is none (also for staff)."""
    membership = session.get(Membership, (organisation_id, user_id))
    if membership is None:
        raise NotFound()
    return membership


def get_admin_membership(session: Session, *, organisation_id: int, user_id: int) -> Membership:
    """The user's membership if they administer the organisation: non-members get ``NotFound``, members
    ``NotPermitted``."""
    membership = get_membership(session, organisation_id=organisation_id, user_id=user_id)
    if not permissions.can_manage_members(membership):
        raise NotPermitted()
    return membership


def list_members(session: Session, *, organisation_id: int) -> list[tuple[Membership, User]]:
    query = (
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id)
        .order_by(func.lower(User.name), User.id)
    )
    return [(m, u) for m, u in session.execute(query)]


def _admin_count(session: Session, organisation_id: int) -> int:
    query = select(func.count()).where(
        Membership.organisation_id == organisation_id, Membership.role == MemberRole.ADMIN.value
    )
    return int(session.scalar(query) or 0)


# --- organisation details -------------------------------------------------------------------------


def _registry_errors(session: Session, *, form: OrganisationForm, own_id: int | None) -> list[FieldError]:
    if form.kvk_number:
        other = find_registered(session, kvk_number=form.kvk_number)
    else:
        other = find_registered(session, country=form.country, registry_id=form.registry_id)
    if other is None or other.id == own_id:
        return []
    return [FieldError("kvk_number" if form.kvk_number else "registry_id", ALREADY_REGISTERED)]


def _apply(organisation: Organisation, form: OrganisationForm) -> None:
    organisation.legal_name = form.legal_name
    organisation.country = form.country
    organisation.kvk_number = form.kvk_number
    organisation.registry_id = form.registry_id
    organisation.street = form.street
    organisation.postcode = form.postcode
    organisation.city = form.city
    organisation.is_sme = form.is_sme
    organisation.new_to_defence = form.new_to_defence
    organisation.province, organisation.province_chosen = region_rules.resolve_province(
        country=form.country, postcode=form.postcode, chosen=form.province.value if form.province else None
    )
    organisation.ownership = form.ownership.value if form.ownership else None
    organisation.parent_name = form.parent_name
    organisation.parent_country = form.parent_country
    organisation.security_status = form.security_status.value
    organisation.facility_clearance_level = (
        form.facility_clearance_level.value if form.facility_clearance_level else None
    )


def create_organisation(
    session: Session, *, form: OrganisationForm, user: User, auth_session_id: int | None, actor: Actor, now: datetime
) -> Organisation:
    """Register an organisation; the creator becomes its administrator and it becomes their acting one.

    A KvK number (or country and registry id) already registered raises ``ValidationFailed`` on that field,
    with a message that names nothing of the other organisation.
    """
    errors = _registry_errors(session, form=form, own_id=None)
    if errors:
        raise ValidationFailed(errors=errors)
    organisation = Organisation(created_at=now, created_by_id=user.id)
    _apply(organisation, form)
    session.add(organisation)
    session.flush()
    session.add(
        Membership(organisation_id=organisation.id, user_id=user.id, role=MemberRole.ADMIN.value, joined_at=now)
    )
    if auth_session_id is not None:
        auth = session.get(AuthSession, auth_session_id)
        if auth is not None and auth.user_id == user.id:
            auth.acting_organisation_id = organisation.id
    record_event(
        session,
        actor=actor,
        action="organisation.create",
        object_type="organisation",
        object_id=organisation.id,
        at=now,
        data=_identity(organisation),
    )
    session.flush()
    return organisation


# What the audit trail records of an organisation's details: its identity, and its ownership and control.
_AUDITED = (
    "legal_name",
    "kvk_number",
    "country",
    "registry_id",
    "ownership",
    "parent_name",
    "parent_country",
    "province",
    "new_to_defence",
)


def _identity(organisation: Organisation) -> dict[str, str | bool | None]:
    return {name: getattr(organisation, name) for name in _AUDITED}


def update_organisation(
    session: Session, *, organisation_id: int, form: OrganisationForm, user: User, actor: Actor, now: datetime
) -> Organisation:
    """Change the details (administrators only)."""
    get_admin_membership(session, organisation_id=organisation_id, user_id=user.id)
    organisation = session.get_one(Organisation, organisation_id)
    errors = _registry_errors(session, form=form, own_id=organisation.id)
    if errors:
        raise ValidationFailed(errors=errors)
    _apply(organisation, form)
    record_event(
        session,
        actor=actor,
        action="organisation.update",
        object_type="organisation",
        object_id=organisation.id,
        at=now,
        data=_identity(organisation),
    )
    session.flush()
    return organisation


def choose_acting(
    session: Session, *, auth_session_id: int, organisation_id: int, user: User, actor: Actor, now: datetime
) -> None:
    """Make one of the user's organisations the one acting in this login session."""
    get_membership(session, organisation_id=organisation_id, user_id=user.id)
    auth = session.get(AuthSession, auth_session_id)
    if auth is None or auth.user_id != user.id:
        raise NotFound()
    auth.acting_organisation_id = organisation_id
    record_event(
        session,
        actor=actor,
        action="organisation.acting_choose",
        object_type="organisation",
        object_id=organisation_id,
        at=now,
    )
    session.flush()


# --- members --------------------------------------------------------------------------------------


class LastAdministrator(DomainError):
    message = N_("An organisation needs at least one administrator. Make another member administrator first.")


def remove_member(
    session: Session, *, organisation_id: int, member_id: int, user: User, actor: Actor, now: datetime
) -> None:
    """Remove a member (administrators), or leave (anyone for themselves); never the last administrator."""
    if member_id == user.id:
        membership = get_membership(session, organisation_id=organisation_id, user_id=user.id)
    else:
        get_admin_membership(session, organisation_id=organisation_id, user_id=user.id)
        membership = get_membership(session, organisation_id=organisation_id, user_id=member_id)
    if permissions.is_admin(membership) and _admin_count(session, organisation_id) <= 1:
        raise LastAdministrator()
    session.delete(membership)
    for auth in session.scalars(
        select(AuthSession).where(
            AuthSession.user_id == member_id, AuthSession.acting_organisation_id == organisation_id
        )
    ):
        auth.acting_organisation_id = None
    record_event(
        session,
        actor=actor,
        action="membership.remove",
        object_type="organisation",
        object_id=organisation_id,
        at=now,
        data={"user_id": member_id, "left": member_id == user.id},
    )
    session.flush()


def change_role(
    session: Session,
    *,
    organisation_id: int,
    member_id: int,
    role: MemberRole,
    user: User,
    actor: Actor,
    now: datetime,
) -> None:
    """Make a member administrator, or an administrator a member again (not the last one)."""
    get_admin_membership(session, organisation_id=organisation_id, user_id=user.id)
    membership = get_membership(session, organisation_id=organisation_id, user_id=member_id)
    if membership.role == role.value:
        return
    if role == MemberRole.MEMBER and _admin_count(session, organisation_id) <= 1:
        raise LastAdministrator()
    previous = membership.role
    membership.role = role.value
    record_event(
        session,
        actor=actor,
        action="membership.role_change",
        object_type="organisation",
        object_id=organisation_id,
        at=now,
        data={"user_id": member_id, "from": previous, "to": role.value},
    )
    session.flush()
