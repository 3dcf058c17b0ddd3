"""Four eyes on a second factor: one administrator asks to reset an account's authenticator (with a reason), a
second, different administrator approves, and only then are its secret and recovery codes cleared and its
sessions ended, so the staff member enrols again at the next login. Any administrator may cancel a request
that awaits approval. Every step is audited: ``two_factor_reset.request``, ``two_factor_reset.approve`` (and
``user.two_factor_reset`` on the account), ``two_factor_reset.cancel``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts import sessions
from app.accounts.models import User
from app.accounts.two_factor import service as two_factor
from app.admin.two_factor_reset.enums import RESET_MACHINE, ResetStatus
from app.admin.two_factor_reset.models import TwoFactorReset
from app.audit.service import Actor, record_event
from app.errors import DomainError, FieldError, InvalidTransition, NotFound, ValidationFailed
from app.i18n import N_

REASON_LIMIT = 500
MAX_LISTED = 200


class NothingToReset(DomainError):
    message = N_("This account has no second factor to reset.")


class ResetPending(DomainError):
    message = N_("A reset of this account's second factor already awaits approval.")


class OwnRequest(DomainError):
    message = N_("You asked for this reset yourself: a second administrator must approve it.")


class OwnFactor(DomainError):
    message = N_("A reset of your own second factor is approved by another administrator.")


class NoLongerOpen(DomainError):
    message = N_("This reset no longer awaits approval.")


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed([FieldError("reset_reason", N_("This field is required."))])
    if len(reason) > REASON_LIMIT:
        message = N_("Enter at most %(max_length)s characters.")
        raise ValidationFailed([FieldError("reset_reason", message, {"max_length": REASON_LIMIT})])
    return reason


def open_reset_for(session: Session, *, user_id: int) -> TwoFactorReset | None:
    """The user's reset that awaits approval, if any."""
    return session.scalar(
        select(TwoFactorReset).where(
            TwoFactorReset.user_id == user_id, TwoFactorReset.status == ResetStatus.REQUESTED.value
        )
    )


def list_open_resets(session: Session) -> list[TwoFactorReset]:
    """The resets that await approval, oldest first."""
    query = (
        select(TwoFactorReset)
        .where(TwoFactorReset.status == ResetStatus.REQUESTED.value)
        .order_by(TwoFactorReset.requested_at, TwoFactorReset.id)
        .limit(MAX_LISTED)
    )
    return list(session.scalars(query))


def request_reset(session: Session, *, user_id: int, reason: str, actor: Actor, now: datetime) -> TwoFactorReset:
    """Ask for a reset of the user's second factor. Raises ValidationFailed (no reason), NotFound,
    NothingToReset (not enrolled) or ResetPending (one already awaits approval)."""
    reason = _reason(reason)
    user = session.get(User, user_id, with_for_update=True)
    if user is None:
        raise NotFound()
    if not user.totp_enabled:
        raise NothingToReset()
    if open_reset_for(session, user_id=user.id) is not None:
        raise ResetPending()
    reset = TwoFactorReset(
        user_id=user.id,
        status=ResetStatus.REQUESTED.value,
        reason=reason,
        requested_by_id=actor.user_id,
        requested_at=now,
    )
    session.add(reset)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="two_factor_reset.request",
        object_type="two_factor_reset",
        object_id=reset.id,
        at=now,
        data={"user_id": user.id, "reason": reason},
    )
    return reset


def _open_reset(session: Session, reset_id: int) -> TwoFactorReset:
    reset = session.get(TwoFactorReset, reset_id, with_for_update=True)
    if reset is None:
        raise NotFound()
    if reset.status != ResetStatus.REQUESTED.value:
        raise NoLongerOpen()
    return reset


def _decide(session: Session, reset: TwoFactorReset, target: ResetStatus, *, actor: Actor, now: datetime) -> None:
    action = "two_factor_reset.approve" if target is ResetStatus.APPROVED else "two_factor_reset.cancel"
    try:
        RESET_MACHINE.move(session, reset, target, actor=actor, now=now, action=action, data={"user_id": reset.user_id})
    except InvalidTransition as error:
        raise NoLongerOpen() from error
    reset.decided_by_id = actor.user_id
    reset.decided_at = now


def approve_reset(session: Session, *, reset_id: int, actor: Actor, now: datetime) -> TwoFactorReset:
    """A second administrator approves: the account's authenticator and recovery codes are cleared and its
    sessions end. Raises NotFound, NoLongerOpen, OwnRequest (the requester) or OwnFactor (the account itself)."""
    reset = _open_reset(session, reset_id)
    if reset.requested_by_id is not None and reset.requested_by_id == actor.user_id:
        raise OwnRequest()
    if reset.user_id == actor.user_id:
        raise OwnFactor()
    _decide(session, reset, ResetStatus.APPROVED, actor=actor, now=now)
    user = session.get_one(User, reset.user_id)
    two_factor.clear_second_factor(session, user=user)
    sessions.end_all_sessions(session, user_id=user.id, now=now)
    record_event(
        session,
        actor=actor,
        action="user.two_factor_reset",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"reset": reset.id, "requested_by": reset.requested_by_id, "approved_by": actor.user_id},
    )
    session.flush()
    return reset


def cancel_reset(session: Session, *, reset_id: int, actor: Actor, now: datetime) -> TwoFactorReset:
    """Withdraw a request that awaits approval (any administrator). Raises NotFound or NoLongerOpen."""
    reset = _open_reset(session, reset_id)
    _decide(session, reset, ResetStatus.CANCELLED, actor=actor, now=now)
    session.flush()
    return reset
