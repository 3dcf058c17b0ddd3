"""Who sees a proposition: members of its organisation, and the coordinators who triage it; nobody else.

A coordinator triages a proposition when an administrator gave them its NLD-gebied (``CoordinatorArea``), when
they coordinate a challenge tagged with its NLD-gebied, or when they belong to the regional team of one of its
region tags (``PropositionRegion``; a proposition starts tagged with the team of the organisation that sent it,
and the triagers change its tags). The rule is written once, in ``_triage_rule``, over a user id: the triage
list and every page of one proposition (``triager_clause``) and the e-mail to the triagers when a proposition is
sent (``triagers_query``) use the same SQL.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute

from app.accounts.enums import AccountStatus, Role
from app.accounts.models import User, UserRole
from app.challenges.areas.models import CoordinatorArea
from app.challenges.models import ChallengeCoordinator, ChallengeTag
from app.organisations.regions.models import RegionMember
from app.proposals.propositions.models import Proposition, PropositionRegion


def is_coordinator(user: User | None) -> bool:
    return user is not None and user.is_staff and Role.COORDINATOR.value in user.role_names


def _triage_rule(user_id: InstrumentedAttribute[int] | int) -> ColumnElement[bool]:
    """SQL over ``Proposition``: the user is given its NLD-gebied, coordinates a challenge tagged with it, or is
    in the team of one of its region tags."""
    by_assignment = exists(
        select(CoordinatorArea.user_id).where(
            CoordinatorArea.user_id == user_id, CoordinatorArea.term_id == Proposition.nld_term_id
        )
    )
    by_challenge = exists(
        select(ChallengeTag.challenge_id)
        .join(ChallengeCoordinator, ChallengeCoordinator.challenge_id == ChallengeTag.challenge_id)
        .where(ChallengeTag.term_id == Proposition.nld_term_id, ChallengeCoordinator.user_id == user_id)
    )
    by_region = exists(
        select(RegionMember.user_id)
        .join(PropositionRegion, PropositionRegion.region_id == RegionMember.region_id)
        .where(RegionMember.user_id == user_id, PropositionRegion.proposition_id == Proposition.id)
    )
    return or_(by_assignment, by_challenge, by_region)


def triager_clause(user: User) -> ColumnElement[bool]:
    """SQL over ``Proposition``: the propositions the user triages (check ``is_coordinator`` too)."""
    return _triage_rule(user.id)


def triagers_query(proposition_id: int) -> Select[User]:
    """The active coordinators who triage the proposition, by id (the same rule as ``triager_clause``)."""
    coordinator = exists(
        select(UserRole.user_id).where(UserRole.user_id == User.id, UserRole.role == Role.COORDINATOR.value)
    )
    return (
        select(User)
        .join(Proposition, Proposition.id == proposition_id)
        .where(
            User.is_active.is_(True),
            User.status == AccountStatus.ACTIVE.value,
            User.deleted_at.is_(None),
            coordinator,
            _triage_rule(User.id),
        )
        .order_by(User.id)
    )
