"""A proposition's region tags: the regional teams whose coordinators triage it and under which the dashboards'
region filter counts it.

A proposition is tagged with the team of the organisation that sent it (if it has one). Any coordinator who
triages it may then set its tags to any active teams (a retired team already tagged may stay), and also to none:
a proposition without region tags is triaged by the coordinators of its NLD-gebied alone. Each change records the
audit event ``proposition.regions`` with the full new list, the tags added and those removed; the company sees the
tags on its proposition's page.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.errors import FieldError, NotFound, ValidationFailed
from app.i18n import N_
from app.organisations.regions import service as region_service
from app.organisations.regions.models import Region
from app.proposals.propositions import permissions
from app.proposals.propositions.models import Proposition, PropositionRegion

CHOOSE_REGIONS = N_("Choose regional teams from the list.")


def list_proposition_regions(session: Session, *, proposition_id: int) -> list[Region]:
    return list(
        session.scalars(
            select(Region)
            .join(PropositionRegion, PropositionRegion.region_id == Region.id)
            .where(PropositionRegion.proposition_id == proposition_id)
            .order_by(Region.position, Region.id)
        )
    )


def tag_at_sending(session: Session, *, proposition: Proposition) -> None:
    """The first tag: the organisation's team when it sent the proposition (none without one)."""
    if proposition.region_id is not None:
        session.add(PropositionRegion(proposition_id=proposition.id, region_id=proposition.region_id))
        session.flush()


def set_proposition_regions(
    session: Session,
    *,
    proposition: Proposition,
    region_ids: Collection[int],
    user: User,
    actor: Actor,
    now: datetime,
) -> bool:
    """Replace the proposition's region tags, by a coordinator who triages it (``NotFound`` for anyone else).

    Returns whether the user still triages the proposition afterwards (removing their own team's tag may end it).
    """
    if not permissions.is_coordinator(user) or not _triages(session, user, proposition.id):
        raise NotFound()
    current = {region.id for region in list_proposition_regions(session, proposition_id=proposition.id)}
    allowed = {region.id for region in region_service.list_regions(session, active_only=True)} | current
    wanted = sorted(set(region_ids))
    if any(region_id not in allowed for region_id in wanted):
        raise ValidationFailed([FieldError("regions", CHOOSE_REGIONS)])
    session.execute(delete(PropositionRegion).where(PropositionRegion.proposition_id == proposition.id))
    session.add_all([PropositionRegion(proposition_id=proposition.id, region_id=rid) for rid in wanted])
    session.flush()
    record_event(
        session,
        actor=actor,
        action="proposition.regions",
        object_type="proposition",
        object_id=proposition.id,
        at=now,
        data={
            "region_ids": wanted,
            "added": sorted(set(wanted) - current),
            "removed": sorted(current - set(wanted)),
        },
    )
    return _triages(session, user, proposition.id)


def _triages(session: Session, user: User, proposition_id: int) -> bool:
    found = session.scalar(
        select(Proposition.id).where(Proposition.id == proposition_id, permissions.triager_clause(user))
    )
    return found is not None
