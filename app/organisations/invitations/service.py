"""Invitations to join an organisation: sent by e-mail by one of its administrators, valid for seven days, used
once and only by the account with the invited address.

Callers commit. Every change records an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts import mail_throttle
from app.accounts.models import User
from app.accounts.preferences.service import language_for
from app.audit.service import Actor, record_event
from app.errors import DomainError, FieldError, NotFound, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.enums import MemberRole
from app.organisations.models import Invitation, Membership, Organisation
from app.organisations.service import get_admin_membership
from app.tokens import hash_token, new_token

INVITATION_LIFETIME = timedelta(days=7)


def list_open_invitations(session: Session, *, organisation_id: int, now: datetime) -> list[Invitation]:
    query = (
        select(Invitation)
        .where(
            Invitation.organisation_id == organisation_id,
            Invitation.accepted_at.is_(None),
            Invitation.revoked_at.is_(None),
            Invitation.expires_at > now,
        )
        .order_by(Invitation.created_at, Invitation.id)
    )
    return list(session.scalars(query))


def invite_member(
    session: Session,
    *,
    organisation_id: int,
    email: str,
    user: User,
    language: str,
    links: Links,
    actor: Actor,
    now: datetime,
) -> Invitation:
    """Invite someone by e-mail: a single-use link valid for seven days, queued in the outbox."""
    get_admin_membership(session, organisation_id=organisation_id, user_id=user.id)
    organisation = session.get_one(Organisation, organisation_id)
    email = email.strip().lower()
    already = session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id == organisation_id, User.email == email)
    )
    if already:
        raise ValidationFailed(errors=[FieldError("email", N_("This person is already a member."))])
    mail_throttle.admit_or_refuse(session, kind=mail_throttle.INVITE, email=email, ip=actor.ip, now=now)
    token = new_token()
    invitation = Invitation(
        organisation_id=organisation_id,
        email=email,
        token_hash=hash_token(token),
        invited_by_id=user.id,
        created_at=now,
        expires_at=now + INVITATION_LIFETIME,
    )
    session.add(invitation)
    session.flush()
    queue_email(
        session,
        to=email,
        template="invitation",
        # An invitee with an account reads it in their own setting; someone new in the inviter's page language.
        language=language_for(session.scalar(select(User).where(User.email == email)), default=language),
        context={
            "organisation_name": organisation.legal_name,
            "inviter_name": user.name,
            "link": links.url("invitation_accept", token=token),
            "days": INVITATION_LIFETIME.days,
        },
        now=now,
    )
    record_event(
        session,
        actor=actor,
        action="invitation.create",
        object_type="invitation",
        object_id=invitation.id,
        at=now,
        data={"organisation_id": organisation_id, "email": email},
    )
    return invitation


def revoke_invitation(
    session: Session, *, organisation_id: int, invitation_id: int, user: User, actor: Actor, now: datetime
) -> None:
    get_admin_membership(session, organisation_id=organisation_id, user_id=user.id)
    invitation = session.get(Invitation, invitation_id)
    if invitation is None or invitation.organisation_id != organisation_id:
        raise NotFound()
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise DomainError(N_("This invitation can no longer be revoked."))
    invitation.revoked_at = now
    record_event(
        session,
        actor=actor,
        action="invitation.revoke",
        object_type="invitation",
        object_id=invitation.id,
        at=now,
        data={"organisation_id": organisation_id},
    )
    session.flush()


class InvitationState(StrEnum):
    OPEN = "open"
    EXPIRED = "expired"
    USED = "used"
    REVOKED = "revoked"
    UNKNOWN = "unknown"
    OTHER_ACCOUNT = "other_account"  # sent to another e-mail address than the logged-in account's


@dataclass(frozen=True)
class InvitationLookup:
    state: InvitationState
    invitation: Invitation | None = None
    organisation: Organisation | None = None


def look_up_invitation(session: Session, *, token: str, user: User, now: datetime) -> InvitationLookup:
    """What a link leads to for this user: an open invitation with its organisation, or why it does not work.

    Only the account with the invited e-mail address can use it: a forwarded or intercepted link lets nobody
    else into the organisation (and shows them nothing of it)."""
    invitation = session.scalar(select(Invitation).where(Invitation.token_hash == hash_token(token)))
    if invitation is None:
        return InvitationLookup(InvitationState.UNKNOWN)
    if invitation.revoked_at is not None:
        return InvitationLookup(InvitationState.REVOKED)
    if invitation.accepted_at is not None:
        return InvitationLookup(InvitationState.USED)
    if invitation.expires_at <= now:
        return InvitationLookup(InvitationState.EXPIRED)
    if invitation.email.strip().lower() != user.email.strip().lower():
        return InvitationLookup(InvitationState.OTHER_ACCOUNT)
    return InvitationLookup(InvitationState.OPEN, invitation, session.get_one(Organisation, invitation.organisation_id))


def accept_invitation(session: Session, *, token: str, user: User, actor: Actor, now: datetime) -> InvitationLookup:
    """Join the organisation of an open invitation; the link is used up. Other states change nothing."""
    found = look_up_invitation(session, token=token, user=user, now=now)
    if found.state != InvitationState.OPEN or found.invitation is None:
        return found
    invitation = found.invitation
    invitation.accepted_at = now
    if session.get(Membership, (invitation.organisation_id, user.id)) is None:
        session.add(
            Membership(
                organisation_id=invitation.organisation_id,
                user_id=user.id,
                role=MemberRole.MEMBER.value,
                joined_at=now,
            )
        )
    record_event(
        session,
        actor=actor,
        action="invitation.accept",
        object_type="invitation",
        object_id=invitation.id,
        at=now,
        data={"organisation_id": invitation.organisation_id, "user_id": user.id},
    )
    session.flush()
    return found
