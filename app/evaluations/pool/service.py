"""A challenge's pool of evaluators: who may be assigned to its proposals.\n"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.accounts.models import User, UserRole
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeCoordinator
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations.models import (
    PoolMember,
)
from app.i18n import N_


def list_evaluators(session: Session) -> list[User]:
    """Every active user with the evaluator role."""
    return list(
        session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == Role.EVALUATOR.value, User.is_active.is_(True))
            .order_by(User.name, User.id)
        )
    )


def list_pool(session: Session, *, challenge_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(PoolMember, PoolMember.user_id == User.id)
            .where(PoolMember.challenge_id == challenge_id)
            .order_by(User.name, User.id)
        )
    )


def is_challenge_coordinator(session: Session, *, challenge_id: int, user_id: int | None) -> bool:
    return user_id is not None and session.get(ChallengeCoordinator, (challenge_id, user_id)) is not None


MSG_COORDINATES = N_("%(name)s coordinates this challenge and cannot be one of its evaluators.")


def add_to_pool(session: Session, *, challenge: Challenge, user_id: int, actor: Actor, now: datetime) -> None:
    """Add an evaluator to the challenge's pool; never one of its coordinators."""
    evaluators = {user.id: user for user in list_evaluators(session)}
    if user_id not in evaluators:
        raise ValidationFailed(errors=[FieldError("evaluator_id", N_("Choose an evaluator from the list."))])
    if is_challenge_coordinator(session, challenge_id=challenge.id, user_id=user_id):
        params: dict[str, object] = {"name": evaluators[user_id].name}
        raise ValidationFailed(errors=[FieldError("evaluator_id", MSG_COORDINATES, params)])
    if session.get(PoolMember, (challenge.id, user_id)) is not None:
        return
    session.add(PoolMember(challenge_id=challenge.id, user_id=user_id, added_at=now, added_by_id=actor.user_id))
    session.flush()
    record_event(
        session,
        actor=actor,
        action="evaluation.pool_add",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"evaluator_id": user_id},
    )


def remove_from_pool(session: Session, *, challenge: Challenge, user_id: int, actor: Actor, now: datetime) -> None:
    member = session.get(PoolMember, (challenge.id, user_id))
    if member is None:
        raise NotFound()
    session.delete(member)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="evaluation.pool_remove",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"evaluator_id": user_id},
    )
