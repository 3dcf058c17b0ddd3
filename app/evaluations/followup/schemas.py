"""Input of the follow-up forms: the record, a new milestone, a milestone's status."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from app.evaluations.followup.enums import MilestoneStatus
from app.evaluations.route.rules import ProcurementRoute
from app.forms import single_line


def _optional_date(value: object) -> object:
    return None if value in ("", None) else value


class FollowUpForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    contract_route: ProcurementRoute
    contract_reference: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    start_date: date | None = None

    @field_validator("start_date", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return _optional_date(value)

    @field_validator("contract_reference")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return single_line(value) or ""


class MilestoneForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    due_on: date

    @field_validator("title")
    @classmethod
    def _one_line(cls, value: str) -> str:
        return single_line(value) or ""


class MilestoneStatusForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    status: MilestoneStatus
    done_on: date | None = None

    @field_validator("done_on", mode="before")
    @classmethod
    def _blank(cls, value: object) -> object:
        return _optional_date(value)
