"""A change of e-mail address: asked for on the account page with the password, confirmed by a single-use link
sent to the new address, and told to the old address when asked for and when done.

Whether the new address belongs to another account is never said to the one asking: the page and the old
address's notice are the same either way, and a taken address is sent nothing (as registration does). The
person holding the new mailbox learns it at the link, which a taken address never gets unless it was freed
and taken again in between.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.accounts import mail_throttle, passwords
from app.accounts.enums import TokenPurpose
from app.accounts.models import OneTimeToken, User
from app.accounts.preferences.service import language_for
from app.accounts.service import LinkInvalid, end_reset_links, normalise_email, user_actor
from app.audit.service import record_event
from app.errors import DomainError, FieldError, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.tokens import hash_token, new_token

CHANGE_TTL = timedelta(hours=24)


class EmailTaken(DomainError):
    message = N_("This e-mail address now belongs to another account. Your address was not changed.")


def _address_taken(session: Session, *, email: str, user_id: int) -> bool:
    return session.scalar(select(User.id).where(User.email == email, User.id != user_id)) is not None


def _request_errors(user: User, *, new_email: str, password: str) -> list[FieldError]:
    if not passwords.verify_password(user.password_hash, password):
        return [FieldError("email_password", N_("Your password is not correct."))]
    if new_email == user.email:
        return [FieldError("new_email", N_("This is already your e-mail address."))]
    return []


def request_email_change(
    session: Session, *, user_id: int, new_email: str, password: str, now: datetime, ip: str | None, links: Links
) -> None:
    """Check the password, send a confirmation link to the new address and tell the old one.

    Raises ValidationFailed (wrong password, the same address) or TooManyRequests (a source past its
    allowance). The links sent before stop working. A taken address, or one past its allowance of messages,
    is sent nothing; the caller shows the same page in every case."""
    user = session.get_one(User, user_id)
    new_email = normalise_email(new_email)
    errors = _request_errors(user, new_email=new_email, password=password)
    if errors:
        raise ValidationFailed(errors)
    admitted = mail_throttle.admit(session, kind=mail_throttle.EMAIL_CHANGE, email=new_email, ip=ip, now=now)
    end_reset_links(session, user_id=user.id, now=now, purpose=TokenPurpose.CHANGE_EMAIL)  # the newest link only
    language = language_for(user)
    if admitted and not _address_taken(session, email=new_email, user_id=user.id):
        token = new_token()
        session.add(
            OneTimeToken(
                purpose=TokenPurpose.CHANGE_EMAIL.value,
                token_hash=hash_token(token),
                user_id=user.id,
                created_at=now,
                expires_at=now + CHANGE_TTL,
                data={"email": new_email},
            )
        )
        context = {"name": user.name, "link": links.url("email_change_confirm", token=token), "hours": 24}
        queue_email(session, to=new_email, template="email_change_confirm", language=language, context=context, now=now)
    notice = {"name": user.name, "new_email": new_email, "link": links.url("account")}
    queue_email(
        session,
        to=user.email,
        template="email_change_requested",
        language=language,
        context=notice,
        now=now,
        user_id=user.id,
    )
    record_event(
        session,
        actor=user_actor(user, ip),
        action="account.email_change_request",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"new": new_email},
    )


def _valid_change_link(session: Session, *, token: str, now: datetime) -> tuple[OneTimeToken, User]:
    if not token or len(token) > 128:
        raise LinkInvalid()
    row = session.scalar(
        select(OneTimeToken).where(
            OneTimeToken.token_hash == hash_token(token), OneTimeToken.purpose == TokenPurpose.CHANGE_EMAIL.value
        )
    )
    if row is None or row.used_at is not None or now >= row.expires_at:
        raise LinkInvalid()
    user = session.get_one(User, row.user_id)
    if not user.is_active or user.is_blocked:
        raise LinkInvalid()
    return row, user


def check_change_link(session: Session, *, token: str, now: datetime) -> str:
    """The new address a change link confirms; raises LinkInvalid when it cannot be used (any more)."""
    row, _user = _valid_change_link(session, token=token, now=now)
    return str(row.data.get("email", ""))


def confirm_email_change(session: Session, *, token: str, now: datetime, ip: str | None, links: Links) -> User:
    """Use a change link once: the account's address becomes the new one (confirmed), the old address is told,
    every other change link and every password-reset link (sent to the old address) stop working.

    Raises LinkInvalid (unknown, used, expired, or the account blocked) or EmailTaken (the address got
    another account since the link was sent; the link stays unused)."""
    row, user = _valid_change_link(session, token=token, now=now)
    new_email = normalise_email(str(row.data.get("email", "")))
    if _address_taken(session, email=new_email, user_id=user.id):
        raise EmailTaken()
    claimed = session.execute(
        update(OneTimeToken)
        .where(OneTimeToken.id == row.id, OneTimeToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkInvalid()  # of two requests racing with one link, only one changes the address
    old_email, user.email = user.email, new_email
    user.email_confirmed_at = now
    end_reset_links(session, user_id=user.id, now=now, purpose=TokenPurpose.CHANGE_EMAIL)  # the newest link only
    end_reset_links(session, user_id=user.id, now=now)
    context = {"name": user.name, "new_email": new_email, "link": links.url("password_forgot")}
    queue_email(
        session,
        to=old_email,
        template="email_changed",
        language=language_for(user),
        context=context,
        now=now,
        user_id=user.id,
    )
    record_event(
        session,
        actor=user_actor(user, ip),
        action="account.email_change",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"old": old_email, "new": new_email},
    )
    session.flush()
    return user
