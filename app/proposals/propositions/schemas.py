"""Input of the proposition forms: sending one, a triage step, a message."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.forms import ChosenId, single_line
from app.i18n import N_

DESCRIPTION_LIMIT = 3000
MESSAGE_LIMIT = 3000


class PropositionForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    title: str = Field(min_length=1, max_length=200)
    effect: str = Field(min_length=1, max_length=1000)
    nld_area: str = Field(min_length=1, max_length=64)
    trl: int = Field(ge=1, le=9)
    description: str = Field(min_length=1, max_length=DESCRIPTION_LIMIT)

    _one_line = field_validator("title")(single_line)


class TriageForm(BaseModel):
    """A triage step; which of the other fields it needs is checked by the service (it knows the lists)."""

    model_config = ConfigDict(str_strip_whitespace=True)

    step: Literal["refer", "route", "watch", "decline"]
    challenge_id: ChosenId | None = None
    programme_id: ChosenId | None = None
    message: str = Field(default="", max_length=MESSAGE_LIMIT)

    @field_validator("challenge_id", "programme_id", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return None if value in ("", None) else value


class MessageForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    body: str = Field(min_length=1, max_length=MESSAGE_LIMIT)


REASON_REQUIRED = N_("Give the reason for declining: the company reads it.")
CHOOSE_CHALLENGE = N_("Choose the open challenge to refer the company to.")
CHOOSE_PROGRAMME = N_("Choose the programme to route the proposition to.")
