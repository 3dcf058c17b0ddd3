"""Throttles on the requests that make the portal e-mail an address someone typed: registration, a new
confirmation link, a password reset, invitations to an organisation, subscriptions to new challenges, and a change
of e-mail address.

Counted per source (the client's address; IPv6 per /64, as for logins) and per recipient, in the
``login_attempt`` table with the request's kind, so they hold across processes and servers. A source past
its allowance is told to wait (429 with the seconds); a recipient past its allowance is sent nothing more
for a while, and the page answers as always, so nobody learns whether an account exists and nobody can
fill someone else's mailbox through the portal.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import LoginAttempt
from app.accounts.throttling import throttle_source
from app.errors import DomainError, FieldError, ValidationFailed
from app.i18n import N_

REGISTER = "register"
CONFIRM = "confirm"
RESET = "reset"
INVITE = "invite"
SUBSCRIBE = "subscribe"  # a subscription to new challenges (confirmation link)
EMAIL_CHANGE = "email_change"


@dataclass(frozen=True)
class MailLimit:
    per_source: int  # requests of this kind from one source within the window
    per_recipient: int  # messages of this kind to one address within the window
    window: timedelta


LIMITS = {
    REGISTER: MailLimit(per_source=10, per_recipient=3, window=timedelta(hours=1)),
    CONFIRM: MailLimit(per_source=10, per_recipient=3, window=timedelta(hours=1)),
    RESET: MailLimit(per_source=10, per_recipient=3, window=timedelta(hours=1)),
    INVITE: MailLimit(per_source=50, per_recipient=3, window=timedelta(days=1)),
    SUBSCRIBE: MailLimit(per_source=10, per_recipient=3, window=timedelta(hours=1)),
    EMAIL_CHANGE: MailLimit(per_source=10, per_recipient=3, window=timedelta(hours=1)),
}


class TooManyRequests(DomainError):
    message = N_("Too many requests from your connection. Try again in %(seconds)s seconds.")


def admit(session: Session, *, kind: str, email: str, ip: str | None, now: datetime) -> bool:
    """Count one request of ``kind`` for ``email`` from ``ip``. Raises TooManyRequests when the source is past
    its allowance (nothing counted then); returns False when the recipient is (send nothing), else True."""
    limit = LIMITS[kind]
    source = throttle_source(ip)
    since = now - limit.window
    count, first = session.execute(
        select(func.count(), func.min(LoginAttempt.attempted_at)).where(
            LoginAttempt.kind == kind, LoginAttempt.ip == source, LoginAttempt.attempted_at > since
        )
    ).one()
    if source and int(count or 0) >= limit.per_source:
        wait = (first + limit.window - now).total_seconds() if first is not None else limit.window.total_seconds()
        raise TooManyRequests(seconds=max(1, math.ceil(wait)))
    address = email.strip().lower()[:254]
    sent = session.scalar(
        select(func.count()).where(
            LoginAttempt.kind == kind,
            LoginAttempt.email == address,
            LoginAttempt.success.is_(True),
            LoginAttempt.attempted_at > since,
        )
    )
    allowed = int(sent or 0) < limit.per_recipient
    session.add(LoginAttempt(kind=kind, email=address, ip=source, attempted_at=now, success=allowed))
    session.flush()
    return allowed


MSG_ENOUGH = N_("This address has received enough messages of this kind for now. Try again later.")


def admit_or_refuse(session: Session, *, kind: str, email: str, ip: str | None, now: datetime) -> None:
    """As ``admit``, for a form whose sender may be told (an invitation): both limits refuse at the address."""
    try:
        admitted = admit(session, kind=kind, email=email, ip=ip, now=now)
    except TooManyRequests as error:
        raise ValidationFailed(errors=[FieldError("email", error.message, dict(error.params))]) from error
    if not admitted:
        raise ValidationFailed(errors=[FieldError("email", MSG_ENOUGH)])
