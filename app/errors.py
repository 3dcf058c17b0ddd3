"""Domain errors raised by services; one place in ``app.web`` turns them into responses."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.i18n import N_


class DomainError(Exception):
    """Base of every error a service raises on purpose. ``message`` is an English msgid to translate."""

    message = N_("The request could not be carried out.")

    def __init__(self, message: str | None = None, **params: object) -> None:
        super().__init__(message or self.message)
        if message:
            self.message = message
        self.params = params


class NotFound(DomainError):
    message = N_("The page or object does not exist.")


class NotPermitted(DomainError):
    message = N_("You are not allowed to do this.")


class InvalidTransition(DomainError):
    message = N_("This change of status is not allowed.")


class DeadlinePassed(DomainError):
    message = N_("The deadline has passed.")


@dataclass(frozen=True)
class FieldError:
    """One problem with one field: a dotted path into the input, a message (an English msgid) and its values."""

    path: str
    message: str
    params: dict[str, object] = field(default_factory=dict)


@dataclass
class ValidationFailed(DomainError):
    errors: list[FieldError] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(N_("The input contains errors."))
