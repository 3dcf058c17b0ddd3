"""Input of the organisation forms: the details form and the invitation form, with their checks."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.errors import FieldError
from app.forms import parse_form, single_line
from app.i18n import N_
from app.organisations.enums import FacilityClearanceLevel, Ownership, SecurityStatus
from app.organisations.regions.enums import Province

_KVK_SEPARATORS = re.compile(r"[\s.\-]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Babel's territories include regions (001), groupings (EU, UN) and codes for testing; only countries remain.
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "QO", "ZZ", "XA", "XB"})

SECURITY_STATUS_LABELS = {
    SecurityStatus.NONE.value: N_("None"),
    SecurityStatus.ABDO_2019.value: N_("ABDO 2019"),
    SecurityStatus.ABRO.value: N_("ABRO"),
    SecurityStatus.NATO_FSC.value: N_("NATO facility security clearance"),
}
OWNERSHIP_LABELS = {
    Ownership.INDEPENDENT.value: N_("No: no other company controls the organisation"),
    Ownership.GROUP.value: N_("Yes: the organisation belongs to a group with an ultimate parent company"),
}
CLEARANCE_LEVEL_LABELS = {
    FacilityClearanceLevel.NATO_RESTRICTED.value: N_("NATO Restricted"),
    FacilityClearanceLevel.NATO_CONFIDENTIAL.value: N_("NATO Confidential"),
    FacilityClearanceLevel.NATO_SECRET.value: N_("NATO Secret"),
}


def normalise_kvk(value: str | None) -> str | None:
    """A KvK number as its 8 digits (spaces, dots and dashes removed), or None when it is not one."""
    if value is None:
        return None
    digits = _KVK_SEPARATORS.sub("", value)
    return digits if len(digits) == 8 and digits.isascii() and digits.isdigit() else None


@lru_cache(maxsize=4)
def country_names(language: str) -> dict[str, str]:
    """ISO 3166 alpha-2 code -> country name in the language, sorted by name."""
    from babel import Locale  # its locale data only where a form lists countries

    territories = Locale.parse(language).territories
    countries = {
        code: name
        for code, name in territories.items()
        if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
    }
    return dict(sorted(countries.items(), key=lambda item: item[1].casefold()))


def is_country(code: str) -> bool:
    return code in country_names("en")


def _blank_to_none(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


class OrganisationForm(BaseModel):
    """The details of an organisation as typed; ``parse_organisation`` adds the checks across fields."""

    model_config = ConfigDict(str_strip_whitespace=True)

    legal_name: str = Field(min_length=1, max_length=300)
    country: str = "NL"
    kvk_number: str | None = Field(default=None, max_length=40)
    registry_id: str | None = Field(default=None, max_length=64)
    street: str = Field(min_length=1, max_length=200)
    postcode: str = Field(min_length=1, max_length=20)
    city: str = Field(min_length=1, max_length=100)
    is_sme: bool
    # Has the organisation worked for Defence before? "yes" means it has: not new to Defence.
    new_to_defence: bool
    # Chosen explicitly; None: derived from the postcode.
    province: Province | None = None
    ownership: Ownership | None = Field(default=None, validate_default=True)
    parent_name: str | None = Field(default=None, max_length=300)
    parent_country: str | None = None
    security_status: SecurityStatus = SecurityStatus.NONE
    facility_clearance_level: FacilityClearanceLevel | None = None

    @field_validator(
        "kvk_number",
        "registry_id",
        "parent_name",
        "parent_country",
        "facility_clearance_level",
        "province",
        mode="before",
    )
    @classmethod
    def _optional(cls, value: Any) -> Any:
        return _blank_to_none(value)

    _one_line = field_validator("legal_name", "registry_id", "street", "postcode", "city", "parent_name")(single_line)

    @field_validator("country", mode="before")
    @classmethod
    def _country_default(cls, value: Any) -> Any:
        return (_blank_to_none(value) or "NL").upper() if isinstance(value, str | None) else value

    @field_validator("country", "parent_country")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is not None and not is_country(value.upper()):
            raise ValueError(N_("Choose a country from the list."))
        return value.upper() if value else value

    @field_validator("ownership", mode="before")
    @classmethod
    def _ownership_chosen(cls, value: Any) -> Any:
        if _blank_to_none(value) is None:
            raise ValueError(N_("Say whether another company controls the organisation."))
        return value

    @field_validator("new_to_defence", mode="before")
    @classmethod
    def _worked_before(cls, value: Any) -> Any:
        if value in ("yes", "no"):
            return value == "no"
        if value in ("", None):
            raise ValueError(N_("Say whether the organisation has worked for Defence before."))
        return value

    @field_validator("is_sme", mode="before")
    @classmethod
    def _yes_no(cls, value: Any) -> Any:
        if value in ("yes", "no"):
            return value == "yes"
        if value in ("", None):
            raise ValueError(N_("Choose yes or no."))
        return value


def _cross_field_errors(form: OrganisationForm) -> list[FieldError]:
    errors: list[FieldError] = []
    if form.country == "NL":
        if form.kvk_number is None:
            errors.append(FieldError("kvk_number", N_("Enter the KvK number of the organisation.")))
        else:
            kvk = normalise_kvk(form.kvk_number)
            if kvk is None:
                errors.append(FieldError("kvk_number", N_("Enter a KvK number of 8 digits, for example 12345678.")))
            form.kvk_number = kvk
        form.registry_id = None
    else:
        form.kvk_number = None
        if form.registry_id is None:
            errors.append(
                FieldError("registry_id", N_("Enter the registration number in the company register of the country."))
            )
    if form.province is not None and form.country != "NL":
        errors.append(FieldError("province", N_("Only organisations registered in the Netherlands have a province.")))
    if form.security_status == SecurityStatus.NATO_FSC:
        if form.facility_clearance_level is None:
            errors.append(FieldError("facility_clearance_level", N_("Choose the level of the facility clearance.")))
    else:
        form.facility_clearance_level = None
    return errors + _ownership_errors(form)


def _ownership_errors(form: OrganisationForm) -> list[FieldError]:
    """A group names its ultimate parent and the parent's country; an independent organisation names none."""
    errors: list[FieldError] = []
    if form.ownership == Ownership.GROUP:
        if form.parent_name is None:
            errors.append(FieldError("parent_name", N_("Enter the name of the ultimate parent company.")))
        if form.parent_country is None:
            errors.append(FieldError("parent_country", N_("Choose the country of the ultimate parent company.")))
        return errors
    independent = N_(
        "An organisation that no other company controls has no ultimate parent: remove it, or answer that the "
        "organisation belongs to a group."
    )
    for field in ("parent_name", "parent_country"):
        if getattr(form, field) is not None:
            errors.append(FieldError(field, independent))
    return errors


def _raw_registry_errors(values: dict[str, Any], failed: set[str]) -> list[FieldError]:
    """The KvK number checked even when other fields failed, so every message shows at once."""
    country = str(values.get("country") or "NL").strip().upper()
    kvk = str(values.get("kvk_number") or "").strip()
    if country != "NL" or "kvk_number" in failed or "country" in failed:
        return []
    if not kvk:
        return [FieldError("kvk_number", N_("Enter the KvK number of the organisation."))]
    if normalise_kvk(kvk) is None:
        return [FieldError("kvk_number", N_("Enter a KvK number of 8 digits, for example 12345678."))]
    return []


def parse_organisation(values: dict[str, Any]) -> tuple[OrganisationForm | None, list[FieldError]]:
    """The form checked field by field and across fields (KvK number for the Netherlands, else registry id)."""
    form, errors = parse_form(OrganisationForm, values)
    if form is None:
        return None, errors + _raw_registry_errors(values, {e.path for e in errors})
    errors = _cross_field_errors(form)
    return (None, errors) if errors else (form, [])


class InvitationForm(BaseModel):
    model_config = ConfigDict(str_strip_whitespace=True)

    email: str = Field(min_length=1, max_length=254)

    @field_validator("email")
    @classmethod
    def _looks_like_email(cls, value: str) -> str:
        if not _EMAIL.match(value):
            raise ValueError(N_("Enter an e-mail address like name@example.nl."))
        return value.lower()
