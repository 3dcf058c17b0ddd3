"""Ownership and control of an organisation as a submitted proposal freezes it, and where control sits.

Pure: no database, no web. An organisation declares that no other company controls it (then it controls
itself, from its own country) or names its ultimate parent and the parent's country. Control from outside the
EU/EEA, or ownership nobody declared, is what the essential-security-interest assessment must look at.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from app.organisations.enums import Ownership

if TYPE_CHECKING:
    from app.organisations.models import Organisation

# The 27 member states of the European Union and the three other states of the European Economic Area.
EU_EEA = frozenset(
    {
        "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
        "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
        "IS", "LI", "NO",
    }
)  # fmt: skip


class Control(StrEnum):
    """Where the organisation is controlled from, for the assessment."""

    EU_EEA = "eu_eea"
    OUTSIDE = "outside"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ControlOf:
    """The country that controls an organisation (None when unknown) and what that means."""

    country: str | None
    control: Control

    @property
    def flagged(self) -> bool:
        return self.control is not Control.EU_EEA


def frozen(organisation: Organisation | None) -> dict[str, Any]:
    """The ownership data a submitted version keeps of a consortium member (None: not registered here)."""
    if organisation is None:
        return {"registered": False, "ownership": None, "parent_name": None, "parent_country": None}
    return {
        "registered": True,
        "ownership": organisation.ownership,
        "parent_name": organisation.parent_name,
        "parent_country": organisation.parent_country,
    }


def control_of(entry: dict[str, Any] | None, *, country: str | None) -> ControlOf:
    """Where a member is controlled from: its own country when independent, its ultimate parent's in a group,
    unknown when nothing was declared (or the version holds no ownership data at all)."""
    ownership = (entry or {}).get("ownership")
    if ownership == Ownership.INDEPENDENT.value:
        controlling = country or None
    elif ownership == Ownership.GROUP.value:
        controlling = (entry or {}).get("parent_country") or None
    else:
        controlling = None
    if controlling is None:
        return ControlOf(None, Control.UNKNOWN)
    return ControlOf(controlling, Control.EU_EEA if controlling.upper() in EU_EEA else Control.OUTSIDE)
