"""Who may manage a challenge: administrators all, coordinators the ones they are assigned to."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeCoordinator


def is_administrator(user: User | None) -> bool:
    return user is not None and Role.ADMINISTRATOR.value in user.role_names


def can_manage_challenge(session: Session, user: User | None, challenge: Challenge) -> bool:
    """Administrators manage every challenge; a coordinator only those assigned to them."""
    if user is None or not user.is_staff:
        return False
    if is_administrator(user):
        return True
    if Role.COORDINATOR.value not in user.role_names:
        return False
    assigned = session.scalar(
        select(ChallengeCoordinator.user_id).where(
            ChallengeCoordinator.challenge_id == challenge.id, ChallengeCoordinator.user_id == user.id
        )
    )
    return assigned is not None
