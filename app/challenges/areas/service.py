"""Use cases of a coordinator's NLD-gebieden (focus areas): administrators set them, coordinators read them.

A coordinator given an NLD-gebied triages the propositions in it (``app.proposals.propositions.permissions``) and
is e-mailed when one is sent. Callers commit. Each change records the audit event ``coordinator.areas`` on the
user with the full new list, the areas added and those removed.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.accounts.models import User
from app.accounts.sections import AccountSection
from app.audit.service import Actor, record_event
from app.challenges.areas.models import CoordinatorArea
from app.challenges.enums import TaxonomyKind
from app.challenges.models import TaxonomyTerm
from app.errors import FieldError, ValidationFailed
from app.i18n import N_

CHOOSE_AREAS = N_("Choose NLD-gebieden from the list.")
NOT_A_COORDINATOR = N_("Only a coordinator can be given NLD-gebieden: grant the role first.")


def list_areas_of_user(session: Session, *, user_id: int) -> list[TaxonomyTerm]:
    return list(
        session.scalars(
            select(TaxonomyTerm)
            .join(CoordinatorArea, CoordinatorArea.term_id == TaxonomyTerm.id)
            .where(CoordinatorArea.user_id == user_id)
            .order_by(TaxonomyTerm.position, TaxonomyTerm.id)
        )
    )


def area_choices(session: Session, *, user_id: int) -> list[TaxonomyTerm]:
    """The active NLD-gebieden, and any retired one the user still has."""
    held = {term.id for term in list_areas_of_user(session, user_id=user_id)}
    query = (
        select(TaxonomyTerm)
        .where(TaxonomyTerm.kind == TaxonomyKind.NLD.value, TaxonomyTerm.active | TaxonomyTerm.id.in_(held))
        .order_by(TaxonomyTerm.position, TaxonomyTerm.id)
    )
    return list(session.scalars(query))


def set_coordinator_areas(
    session: Session, *, user: User, term_ids: Collection[int], actor: Actor, now: datetime
) -> list[int]:
    """Replace the coordinator's NLD-gebieden (active ones; a retired one already held may stay)."""
    current = {term.id for term in list_areas_of_user(session, user_id=user.id)}
    wanted = sorted(set(term_ids))
    if wanted and Role.COORDINATOR.value not in user.role_names:
        raise ValidationFailed([FieldError("areas", NOT_A_COORDINATOR)])
    allowed = {term.id for term in area_choices(session, user_id=user.id)}
    if any(term_id not in allowed for term_id in wanted):
        raise ValidationFailed([FieldError("areas", CHOOSE_AREAS)])
    session.execute(delete(CoordinatorArea).where(CoordinatorArea.user_id == user.id))
    session.add_all([CoordinatorArea(user_id=user.id, term_id=term_id, assigned_at=now) for term_id in wanted])
    session.flush()
    record_event(
        session,
        actor=actor,
        action="coordinator.areas",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"term_ids": wanted, "added": sorted(set(wanted) - current), "removed": sorted(current - set(wanted))},
    )
    return wanted


def account_section(session: Session, user: User, language: str) -> AccountSection | None:
    """The coordinator's NLD-gebieden on the account page (nothing for anyone else)."""
    if Role.COORDINATOR.value not in user.role_names:
        return None
    return AccountSection(
        key="areas",
        title=N_("Your NLD-gebieden"),
        lines=tuple(term.name(language) for term in list_areas_of_user(session, user_id=user.id)),
        empty=N_("No NLD-gebied was given to you."),
        hint=N_("You triage the propositions in these NLD-gebieden; an administrator assigns them."),
    )
