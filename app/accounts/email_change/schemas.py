"""The form that asks for a new e-mail address: the address and the current password."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

from app.accounts.schemas import EMAIL_PATTERN
from app.i18n import N_


class EmailChangeForm(BaseModel):
    model_config = ConfigDict(validate_default=True, extra="ignore")

    new_email: str = ""
    email_password: str = ""

    @field_validator("new_email")
    @classmethod
    def _email(cls, value: str) -> str:
        value = value.strip().lower()
        if not value:
            raise ValueError(N_("This field is required."))
        if len(value) > 254 or not EMAIL_PATTERN.match(value):
            raise ValueError(N_("Enter an e-mail address like name@example.nl."))
        return value

    @field_validator("email_password")
    @classmethod
    def _password(cls, value: str) -> str:
        if not value:
            raise ValueError(N_("This field is required."))
        return value
