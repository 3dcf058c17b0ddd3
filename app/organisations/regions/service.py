"""Use cases of ODIN's regional teams: the list administrators keep, coordinators' teams, an organisation's team.

Callers commit. Every change records an audit event (``region.create``, ``region.update``,
``region.member_assign``, ``region.member_remove``).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.enums import Role
from app.accounts.models import User
from app.accounts.sections import AccountSection
from app.audit.service import Actor, record_event
from app.errors import FieldError, NotFound, ValidationFailed
from app.i18n import N_
from app.organisations.models import Organisation
from app.organisations.regions.enums import Province
from app.organisations.regions.models import Region, RegionMember, RegionProvince

# --- queries --------------------------------------------------------------------------------------


def list_regions(session: Session, *, active_only: bool = False) -> list[Region]:
    query = select(Region).options(selectinload(Region.provinces)).order_by(Region.position, Region.id)
    if active_only:
        query = query.where(Region.active)
    return list(session.scalars(query))


def get_region(session: Session, *, region_id: int) -> Region:
    region = session.get(Region, region_id)
    if region is None:
        raise NotFound()
    return region


def region_id_of_province(session: Session, *, province: str | None) -> int | None:
    """The active team that covers the province, or None."""
    if province is None:
        return None
    return session.scalar(
        select(Region.id)
        .join(RegionProvince, RegionProvince.region_id == Region.id)
        .where(RegionProvince.province == province, Region.active)
    )


def region_id_of_organisation(session: Session, *, organisation_id: int) -> int | None:
    """The id of the organisation's ODIN regional team (through its province), or None (abroad, unknown, or a
    province no active team covers)."""
    province = session.scalar(select(Organisation.province).where(Organisation.id == organisation_id))
    return region_id_of_province(session, province=province)


def region_of_organisation(session: Session, *, organisation_id: int) -> Region | None:
    """The organisation's ODIN regional team (``region_id_of_organisation``), or None."""
    region_id = region_id_of_organisation(session, organisation_id=organisation_id)
    return session.get(Region, region_id) if region_id is not None else None


def region_of_user(session: Session, *, user_id: int) -> Region | None:
    """The coordinator's regional team, if an administrator assigned one."""
    return session.scalar(
        select(Region).join(RegionMember, RegionMember.region_id == Region.id).where(RegionMember.user_id == user_id)
    )


def account_section(session: Session, user: User, language: str) -> AccountSection | None:
    """The coordinator's regional team on the account page (nothing for anyone else)."""
    if Role.COORDINATOR.value not in user.role_names:
        return None
    team = region_of_user(session, user_id=user.id)
    return AccountSection(
        key="team",
        title=N_("Your ODIN regional team"),
        lines=(team.name(language),) if team is not None else (),
        empty=N_("You belong to no regional team."),
        hint=N_("You triage the propositions tagged with your team; an administrator assigns the team."),
    )


def list_members(session: Session, *, region_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(RegionMember, RegionMember.user_id == User.id)
            .where(RegionMember.region_id == region_id)
            .order_by(User.email)
        )
    )


# --- the list administrators keep -----------------------------------------------------------------


def _province_errors(session: Session, *, region: Region | None, provinces: Collection[str]) -> list[FieldError]:
    """A province belongs to one team: another team's province must be taken from it first."""
    taken = session.scalars(
        select(RegionProvince).where(
            RegionProvince.province.in_(list(provinces)),
            RegionProvince.region_id != (region.id if region is not None else -1),
        )
    ).all()
    return [
        FieldError(
            "provinces",
            N_("%(province)s belongs to another team: take it from that team first."),
            {"province": item.province},
        )
        for item in taken
    ]


def save_region(
    session: Session,
    *,
    region: Region | None,
    key: str,
    name_nl: str,
    name_en: str,
    position: int,
    active: bool,
    provinces: Collection[str],
    actor: Actor,
    now: datetime,
) -> Region:
    """Create a team (``region`` None) or rename, reorder, retire it and set its provinces; the key stays."""
    codes = sorted({Province(code).value for code in provinces})
    taken = session.scalar(select(Region.id).where(Region.key == key))
    errors = _province_errors(session, region=region, provinces=codes)
    if taken is not None and (region is None or taken != region.id):
        errors.insert(0, FieldError("key", N_("This key is already in the list.")))
    if region is not None and region.key != key:
        errors.insert(0, FieldError("key", N_("The key of an existing term cannot change.")))
    if errors:
        raise ValidationFailed(errors)
    action = "region.update"
    if region is None:
        region, action = Region(key=key), "region.create"
        session.add(region)
    region.name_nl, region.name_en, region.position, region.active = name_nl, name_en, position, active
    session.flush()
    session.execute(delete(RegionProvince).where(RegionProvince.region_id == region.id))
    session.add_all([RegionProvince(region_id=region.id, province=code) for code in codes])
    session.flush()
    session.expire(region, ["provinces"])
    record_event(
        session,
        actor=actor,
        action=action,
        object_type="region",
        object_id=region.id,
        at=now,
        data={"key": key, "name_nl": name_nl, "name_en": name_en, "active": active, "provinces": codes},
    )
    return region


def assign_member(session: Session, *, region: Region, email: str, actor: Actor, now: datetime) -> User:
    """Make a coordinator a member of the team (leaving the team they were in, if any)."""
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active or Role.COORDINATOR.value not in user.role_names:
        raise ValidationFailed([FieldError("email", N_("No coordinator has this e-mail address."))])
    member = session.get(RegionMember, user.id)
    if member is None:
        session.add(RegionMember(user_id=user.id, region_id=region.id, assigned_at=now))
    else:
        member.region_id, member.assigned_at = region.id, now
    record_event(
        session,
        actor=actor,
        action="region.member_assign",
        object_type="region",
        object_id=region.id,
        at=now,
        data={"user_id": user.id},
    )
    session.flush()
    return user


def remove_member(session: Session, *, region: Region, user_id: int, actor: Actor, now: datetime) -> None:
    member = session.get(RegionMember, user_id)
    if member is None or member.region_id != region.id:
        raise NotFound()
    session.delete(member)
    record_event(
        session,
        actor=actor,
        action="region.member_remove",
        object_type="region",
        object_id=region.id,
        at=now,
        data={"user_id": user_id},
    )
    session.flush()
