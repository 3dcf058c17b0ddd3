"""A challenge's region tags: which of ODIN's regional teams carry it.

Region tags are not part of the challenge definition that publication freezes (criteria, weights, texts and the
taxonomy tags stay fixed and change only through a correction): they say which regional teams bring the
challenge to companies, not what companies are judged against. So coordinators change them at any time, before
and after publication, and each change records the audit event ``challenge.regions`` with the full new list.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.challenges.models import Challenge
from app.challenges.regions.models import ChallengeRegion
from app.errors import FieldError, ValidationFailed
from app.i18n import N_
from app.organisations.regions import service as region_service
from app.organisations.regions.models import Region


def list_challenge_regions(session: Session, *, challenge_id: int) -> list[Region]:
    return list(
        session.scalars(
            select(Region)
            .join(ChallengeRegion, ChallengeRegion.region_id == Region.id)
            .where(ChallengeRegion.challenge_id == challenge_id)
            .order_by(Region.position, Region.id)
        )
    )


def set_challenge_regions(
    session: Session, *, challenge: Challenge, region_ids: Collection[int], actor: Actor, now: datetime
) -> list[int]:
    """Replace the challenge's region tags with active teams (a retired team already tagged may stay)."""
    current = {region.id for region in list_challenge_regions(session, challenge_id=challenge.id)}
    allowed = {region.id for region in region_service.list_regions(session, active_only=True)} | current
    wanted = sorted(set(region_ids))
    if any(region_id not in allowed for region_id in wanted):
        raise ValidationFailed([FieldError("regions", N_("Choose regional teams from the list."))])
    session.execute(delete(ChallengeRegion).where(ChallengeRegion.challenge_id == challenge.id))
    session.add_all([ChallengeRegion(challenge_id=challenge.id, region_id=region_id) for region_id in wanted])
    record_event(
        session,
        actor=actor,
        action="challenge.regions",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"region_ids": wanted},
    )
    session.flush()
    return wanted
