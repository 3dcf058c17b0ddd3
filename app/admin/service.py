"""Operator use cases for accounts: create users, grant and revoke staff roles, list users.

Callers (the CLI and the admin pages) commit once at the end; every change records an audit event.
"""

from __future__ import annotations

from datetime import datetime

import pyotp
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.accounts.models import User, UserRole
from app.accounts.passwords import hash_password, password_problem
from app.accounts.schemas import EMAIL_PATTERN
from app.accounts.two_factor import service as two_factor
from app.accounts.two_factor.sealing import SecretBox
from app.audit.service import Actor, record_event
from app.errors import DomainError, FieldError, NotFound, ValidationFailed
from app.i18n import N_

MAX_LISTED = 200
DEMO_STAFF = (
    ("coordinator@demo.invalid", "Demo Coordinator", Role.COORDINATOR),
    # Four eyes: decisions and the procurement route are approved by a second coordinator.
    ("coordinator2@demo.invalid", "Demo Second Coordinator", Role.COORDINATOR),
    ("evaluator@demo.invalid", "Demo Evaluator", Role.EVALUATOR),
    ("admin@demo.invalid", "Demo Administrator", Role.ADMINISTRATOR),
)


class LastAdministrator(DomainError):
    message = N_("The last administrator cannot lose the administrator role.")


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(session: Session, *, email: str, name: str, password: str, now: datetime, actor: Actor) -> User:
    """A new account made by an operator: its e-mail counts as confirmed. Raises ValidationFailed."""
    email = _normalise_email(email)
    name = name.strip()
    errors: list[FieldError] = []
    if len(email) > 254 or not EMAIL_PATTERN.match(email):  # the registration form's rule, for every path
        errors.append(FieldError("email", N_("Enter a valid e-mail address.")))
    elif session.scalar(select(User.id).where(User.email == email)) is not None:
        errors.append(FieldError("email", N_("An account with this e-mail address already exists.")))
    if not name or len(name) > 200:
        errors.append(FieldError("name", N_("Enter a name of at most 200 characters.")))
    problem = password_problem(password, email=email)
    if problem:
        errors.append(FieldError("password", problem))
    if errors:
        raise ValidationFailed(errors)
    user = User(
        email=email,
        name=name,
        password_hash=hash_password(password),
        is_active=True,
        created_at=now,
        email_confirmed_at=now,
    )
    session.add(user)
    session.flush()
    record_event(
        session, actor=actor, action="user.create", object_type="user", object_id=user.id, at=now, data={"email": email}
    )
    return user


def get_user(session: Session, *, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user


def get_user_by_email(session: Session, *, email: str) -> User:
    user = session.scalar(select(User).where(User.email == _normalise_email(email)))
    if user is None:
        raise NotFound()
    return user


def list_users(session: Session, *, query: str | None = None) -> list[User]:
    """Users by e-mail address, optionally those whose e-mail or name contains the query."""
    statement = select(User).order_by(User.email).limit(MAX_LISTED)
    if query and "\x00" in query:
        return []  # no address or name holds a NUL (PostgreSQL would refuse the statement)
    if query and query.strip():
        pattern = "%" + query.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        statement = statement.where(
            or_(User.email.like(pattern, escape="\\"), func.lower(User.name).like(pattern, escape="\\"))
        )
    return list(session.scalars(statement))


def grant_role(session: Session, *, user: User, role: Role, actor: Actor, now: datetime) -> bool:
    """Give a staff role; returns False (and records nothing) when the user already holds it."""
    role = Role(role)
    if role.value in user.role_names:
        return False
    user.roles.append(UserRole(role=role.value, granted_at=now, granted_by_id=actor.user_id))
    session.flush()
    record_event(
        session,
        actor=actor,
        action="role.grant",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"role": role.value},
    )
    return True


def _administrator_count(session: Session) -> int:
    statement = (
        select(func.count())
        .select_from(UserRole)
        .join(User, User.id == UserRole.user_id)
        .where(UserRole.role == Role.ADMINISTRATOR.value, User.is_active.is_(True))
    )
    return int(session.scalar(statement) or 0)


def revoke_role(session: Session, *, user: User, role: Role, actor: Actor, now: datetime) -> bool:
    """Take a staff role away; returns False when the user did not hold it. The last administrator stays."""
    role = Role(role)
    held = [item for item in user.roles if item.role == role.value]
    if not held:
        return False
    if role is Role.ADMINISTRATOR and user.is_active and _administrator_count(session) <= 1:
        raise LastAdministrator()
    for item in held:
        user.roles.remove(item)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="role.revoke",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"role": role.value},
    )
    return True


def ensure_demo_staff(
    session: Session, *, password: str, now: datetime, actor: Actor, box: SecretBox
) -> list[tuple[User, str]]:
    """Demo staff accounts with the given password and an enrolled authenticator (created or reset); each
    with its authenticator secret, which is stored encrypted and returned here only to be printed."""
    users: list[tuple[User, str]] = []
    for email, name, role in DEMO_STAFF:
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            user = create_user(session, email=email, name=name, password=password, now=now, actor=actor)
        else:
            user.password_hash = hash_password(password)
        secret = pyotp.random_base32()
        two_factor.seal_secret(user, secret, box=box)
        user.totp_enabled_at = now
        user.totp_last_counter = None
        record_event(
            session, actor=actor, action="user.demo_credentials", object_type="user", object_id=user.id, at=now
        )
        grant_role(session, user=user, role=role, actor=actor, now=now)
        users.append((user, secret))
    session.flush()
    return users
