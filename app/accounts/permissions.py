"""Who may do what with accounts and staff pages: small named predicates used by views and templates."""

from __future__ import annotations

from app.accounts.enums import Role
from app.accounts.models import AuthSession, User


def has_role(user: User | None, role: Role) -> bool:
    return user is not None and role.value in user.role_names


def is_administrator(user: User | None) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


def needs_second_factor(auth: AuthSession) -> bool:
    """Staff must have given a one-time code in this session; company users only when they enrolled."""
    user = auth.user
    return (user.is_staff or user.totp_enabled) and auth.mfa_verified_at is None
