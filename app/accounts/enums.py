"""Roles, token purposes, and whether an account may be used (blocked by an administrator or not)."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class Role(StrEnum):
    """Staff roles, granted only by an administrator. Every registered user is a company user."""

    EVALUATOR = "evaluator"
    COORDINATOR = "coordinator"
    ADMINISTRATOR = "administrator"


class TokenPurpose(StrEnum):
    CONFIRM_EMAIL = "confirm_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a secret
    CHANGE_EMAIL = "change_email"


class AccountStatus(StrEnum):
    """A blocked account cannot log in, reset its password or use a session it had; an administrator blocks
    and unblocks it."""

    ACTIVE = "active"
    BLOCKED = "blocked"


ACCOUNT_MACHINE: StateMachine[AccountStatus] = StateMachine(
    name="user_account",
    states=AccountStatus,
    transitions={
        AccountStatus.ACTIVE: frozenset({AccountStatus.BLOCKED}),
        AccountStatus.BLOCKED: frozenset({AccountStatus.ACTIVE}),
    },
    labels={AccountStatus.ACTIVE: N_("Active"), AccountStatus.BLOCKED: N_("Blocked")},
    classes={AccountStatus.ACTIVE: "badge-open", AccountStatus.BLOCKED: "badge-closed"},
    object_type="user",
)
