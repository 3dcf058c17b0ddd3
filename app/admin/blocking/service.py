"""Administrators block and unblock accounts. Blocking ends every session of the account at once; a blocked
account cannot log in (it is told so after a correct password), reset its password or use a link it was sent.
Both changes go through ``ACCOUNT_MACHINE`` and are audited (``user.block``, ``user.unblock``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts import sessions
from app.accounts.enums import ACCOUNT_MACHINE, AccountStatus
from app.accounts.models import User
from app.audit.service import Actor
from app.errors import DomainError, FieldError, InvalidTransition, NotFound, ValidationFailed
from app.i18n import N_

REASON_LIMIT = 500


class CannotBlockSelf(DomainError):
    message = N_("You cannot block your own account.")


class AlreadyThere(DomainError):
    message = N_("The account already has this status.")


def _user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound()
    return user


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) > REASON_LIMIT:
        raise ValidationFailed(
            [FieldError("reason", N_("Enter at most %(max_length)s characters."), {"max_length": REASON_LIMIT})]
        )
    return reason


def _move(session: Session, user: User, target: AccountStatus, *, actor: Actor, now: datetime, reason: str) -> None:
    action = "user.block" if target is AccountStatus.BLOCKED else "user.unblock"
    try:
        ACCOUNT_MACHINE.move(session, user, target, actor=actor, now=now, action=action, data={"reason": reason})
    except InvalidTransition as error:
        raise AlreadyThere() from error


def block_user(session: Session, *, user_id: int, reason: str, actor: Actor, now: datetime) -> User:
    """Block an account and end all its sessions. Raises CannotBlockSelf, AlreadyThere, ValidationFailed
    (a reason past its length) or NotFound."""
    reason = _reason(reason)
    user = _user(session, user_id)
    if user.id == actor.user_id:
        raise CannotBlockSelf()
    _move(session, user, AccountStatus.BLOCKED, actor=actor, now=now, reason=reason)
    sessions.end_all_sessions(session, user_id=user.id, now=now)
    session.flush()
    return user


def unblock_user(session: Session, *, user_id: int, reason: str, actor: Actor, now: datetime) -> User:
    """Let a blocked account log in again (its old sessions stay ended). Raises AlreadyThere or NotFound."""
    reason = _reason(reason)
    user = _user(session, user_id)
    _move(session, user, AccountStatus.ACTIVE, actor=actor, now=now, reason=reason)
    session.flush()
    return user
