"""The subscription form: an e-mail address, at least one NLD-gebied, a language for the messages."""

from __future__ import annotations

from pydantic import ConfigDict, Field, field_validator

from app.accounts.schemas import EmailForm
from app.i18n import N_
from app.settings import SUPPORTED_LANGUAGES


class SubscribeForm(EmailForm):
    model_config = ConfigDict(validate_default=True, extra="ignore")

    areas: list[str] = Field(default_factory=list)
    language: str = "nl"

    @field_validator("areas", mode="before")
    @classmethod
    def _areas(cls, value: object) -> list[str]:
        items = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        chosen = sorted({str(area).strip() for area in items if str(area).strip()})
        if not chosen:
            raise ValueError(N_("Choose at least one area."))
        return chosen

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(N_("Choose one of the options."))
        return value
