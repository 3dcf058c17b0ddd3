"""Input of the evaluation forms: affiliations, eligibility, assignment, declarations, reopen, route, decisions.

The scoring and assessment forms are generated from the challenge's criteria; they are parsed by
``parse_scores`` and ``parse_assessment`` into plain dicts and checked by the service.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.evaluations.enums import AffiliationNature, DecisionOutcome
from app.evaluations.route.rules import ProcurementRoute, SecurityFactor
from app.i18n import N_
from app.organisations.schemas import is_country, normalise_kvk

REASON_MAX = 4000


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class FormModel(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True, extra="ignore")


class AffiliationForm(FormModel):
    organisation_name: str = Field(min_length=1, max_length=300)
    kvk_number: str | None = None
    country: str | None = None
    registry_id: str | None = Field(default=None, max_length=64)
    nature: AffiliationNature
    valid_from: date | None = None
    valid_until: date | None = None

    @field_validator("kvk_number", "country", "registry_id", "valid_from", "valid_until", mode="before")
    @classmethod
    def _blank(cls, value: Any) -> Any:
        return _blank_to_none(value)

    @field_validator("kvk_number")
    @classmethod
    def _kvk(cls, value: str | None) -> str | None:
        if value is None:
            return None
        kvk = normalise_kvk(value)
        if kvk is None:
            raise ValueError(N_("Enter a KvK number of 8 digits, for example 12345678."))
        return kvk

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not is_country(value.upper()):
            raise ValueError(N_("Choose a country from the list."))
        return value.upper()


class EligibilityForm(FormModel):
    # Nothing is pre-selected on the page: a form sent without a choice is refused, not read as either answer.
    admissible: bool = Field(default=None, validate_default=True)
    reason: str = Field(default="", max_length=REASON_MAX)

    @field_validator("admissible", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if isinstance(value, bool):
            return value
        if value not in ("yes", "no"):  # missing, empty, unknown or sent twice
            raise ValueError(N_("Choose one of the options."))
        return value == "yes"


class DeclarationForm(FormModel):
    has_conflict: bool
    reason: str = Field(default="", max_length=REASON_MAX)

    @field_validator("has_conflict", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        return {"conflict": True, "none": False}.get(value, value)


class ReasonForm(FormModel):
    reason: str = Field(min_length=1, max_length=REASON_MAX)


class AutoAssignForm(FormModel):
    per_proposal: int = Field(default=3, ge=1, le=10)
    max_per_evaluator: int = Field(default=20, ge=1, le=1000)


class RouteForm(FormModel):
    chosen: ProcurementRoute
    reason: str = Field(default="", max_length=REASON_MAX)


class DecisionForm(FormModel):
    outcome: DecisionOutcome
    feedback: str = Field(min_length=1, max_length=10000)


def score_field(criterion_key: str) -> str:
    return f"score_{criterion_key}"


def justification_field(criterion_key: str) -> str:
    return f"justification_{criterion_key}"


def rating_field(factor: str) -> str:
    return f"rating_{factor}"


def factor_justification_field(factor: str) -> str:
    return f"factor_justification_{factor}"


def parse_scores(criterion_keys: list[str], values: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """Raw (score text, justification) per criterion, as typed; the service checks them against the scale."""
    return {
        key: (str(values.get(score_field(key), "")).strip(), str(values.get(justification_field(key), "")).strip())
        for key in criterion_keys
    }


def parse_assessment(values: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {
        factor.value: {
            "rating": str(values.get(rating_field(factor.value), "")).strip(),
            "justification": str(values.get(factor_justification_field(factor.value), "")).strip(),
        }
        for factor in SecurityFactor
    }
