"""Who sees a proposition: members of its organisation, and the coordinators who triage it; nobody else.

A coordinator triages a proposition when they coordinate a challenge tagged with its NLD-gebied, or belong to
the regional team of the organisation that sent it. The query form (``triager_clause``) and the predicate
agree: the triage list and every page of one proposition use the same rule.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, exists, or_, select

from app.accounts.enums import Role
from app.accounts.models import User
from app.challenges.models import ChallengeCoordinator, ChallengeTag
from app.organisations.regions.models import RegionMember
from app.proposals.propositions.models import Proposition


def is_coordinator(user: User | None) -> bool:
    return user is not None and user.is_staff and Role.COORDINATOR.value in user.role_names


def triager_clause(user: User) -> ColumnElement[bool]:
    """SQL: the proposition's NLD-gebied tags a challenge the user coordinates, or its region is the user's."""
    by_area = exists(
        select(ChallengeTag.challenge_id)
        .join(ChallengeCoordinator, ChallengeCoordinator.challenge_id == ChallengeTag.challenge_id)
        .where(ChallengeTag.term_id == Proposition.nld_term_id, ChallengeCoordinator.user_id == user.id)
    )
    by_region = exists(
        select(RegionMember.user_id).where(
            RegionMember.user_id == user.id, RegionMember.region_id == Proposition.region_id
        )
    )
    return or_(by_area, by_region)
