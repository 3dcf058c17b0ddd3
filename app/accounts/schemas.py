"""The account forms as Pydantic models; messages are English msgids translated where they are shown."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.forms import single_line
from app.i18n import N_

# What an e-mail address looks like, for registration and for accounts an operator creates alike.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _email(value: str) -> str:
    value = value.strip().lower()
    if not value:
        raise ValueError(N_("This field is required."))
    if len(value) > 254 or not EMAIL_PATTERN.match(value):
        raise ValueError(N_("Enter an e-mail address like name@example.nl."))
    return value


def _required(value: str) -> str:
    if not value:
        raise ValueError(N_("This field is required."))
    return value


class _Form(BaseModel):
    model_config = ConfigDict(validate_default=True, extra="ignore")


class EmailForm(_Form):
    email: str = ""

    _check_email = field_validator("email")(_email)


class RegisterForm(_Form):
    email: str = ""
    name: str = Field("", max_length=200)
    password: str = ""
    password_confirm: str = ""

    _check_email = field_validator("email")(_email)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _required(single_line(value.strip()) or "")

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _required(value)


class LoginForm(_Form):
    email: str = ""
    password: str = ""

    _check_email = field_validator("email")(_email)

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _required(value)


class NewPasswordForm(_Form):
    password: str = ""
    password_confirm: str = ""

    @field_validator("password")
    @classmethod
    def _password(cls, value: str) -> str:
        return _required(value)


class ChangePasswordForm(NewPasswordForm):
    current_password: str = ""

    @field_validator("current_password")
    @classmethod
    def _current(cls, value: str) -> str:
        return _required(value)


class NameForm(_Form):
    name: str = Field("", max_length=200)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        return _required(single_line(value.strip()) or "")


class CodeForm(_Form):
    code: str = Field("", max_length=40)

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return _required(value.strip())


class TotpSetupForm(CodeForm):
    """Enrolment sends only the code: the secret is the server's (never read from the form)."""
