"""Roles and token purposes."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """Staff roles, granted only by an administrator. Every registered user is a company user."""

    EVALUATOR = "evaluator"
    COORDINATOR = "coordinator"
    ADMINISTRATOR = "administrator"


class TokenPurpose(StrEnum):
    CONFIRM_EMAIL = "confirm_email"
    RESET_PASSWORD = "reset_password"  # noqa: S105 - a purpose, not a secret
