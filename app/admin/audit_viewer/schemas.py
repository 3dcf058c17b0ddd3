"""The audit viewer's filter, read from the query string: object, actor, action, a range of days, a page."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.i18n import N_

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200


class AuditFilterForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    object_type: str | None = Field(None, max_length=50)
    object_id: str | None = Field(None, max_length=100)
    actor: str | None = Field(None, max_length=254)
    action: str | None = Field(None, max_length=100)
    date_from: date | None = None
    date_to: date | None = None
    before: int | None = Field(None, ge=1)
    after: int | None = Field(None, ge=0)
    size: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)

    @field_validator(
        "object_type", "object_id", "actor", "action", "date_from", "date_to", "before", "after", mode="before"
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        if isinstance(value, str):
            value = value.strip()
            return value or None
        return value

    @field_validator("size", mode="before")
    @classmethod
    def _default_size(cls, value: object) -> object:
        return PAGE_SIZE if value in (None, "") else value

    @field_validator("object_type", "object_id", "actor", "action")
    @classmethod
    def _printable(cls, value: str | None) -> str | None:
        if value is not None and not value.isprintable():
            raise ValueError(N_("Enter text on one line, without control characters."))
        return value

    @model_validator(mode="after")
    def _range(self) -> AuditFilterForm:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError(N_("The end date is before the start date."))
        return self
