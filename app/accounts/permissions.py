"""Who may do what with accounts and staff pages: small named predicates used by views and templates."""

from __future__ import annotations

from typing import NamedTuple

from app.accounts.enums import Role
from app.accounts.models import AuthSession, User


def has_role(user: User | None, role: Role) -> bool:
    return user is not None and role.value in user.role_names


def is_administrator(user: User | None) -> bool:
    return has_role(user, Role.ADMINISTRATOR)


class Menus(NamedTuple):
    """The staff menus a signed-in user sees in the page header (administrators hold every staff right)."""

    manage: bool
    evaluate: bool
    administer: bool


def menus(auth: AuthSession | None) -> Menus | None:
    """The menus of the request's session from the roles it holds now; ``None`` when nobody is signed in."""
    if not auth:
        return None
    user = auth.user
    admin = is_administrator(user)
    return Menus(
        manage=admin or has_role(user, Role.COORDINATOR),
        evaluate=admin or has_role(user, Role.EVALUATOR),
        administer=admin,
    )


def needs_second_factor(auth: AuthSession) -> bool:
    """Staff must have given a one-time code in this session; company users only when they enrolled."""
    user = auth.user
    return (user.is_staff or user.totp_enabled) and auth.mfa_verified_at is None


def landing_route(user: User) -> str | None:
    """The page a user's own work starts on after logging in; None for a company user (today's landing).

    An evaluator lands on their queue, an administrator on the administration, a coordinator, or anyone with
    several staff roles, on the workspace (which coordinators and administrators both reach).
    """
    roles = user.role_names
    if not roles:
        return None
    if roles == {Role.EVALUATOR.value}:
        return "evaluate_queue"
    if roles == {Role.ADMINISTRATOR.value}:
        return "admin_users"
    return "manage_dashboard"
