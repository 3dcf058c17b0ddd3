"""The consortium's ownership and control as the submitted version froze it, member by member, with where each
member is controlled from. Pure: reads a version's content, nothing else.

A version submitted before ownership was recorded holds none: its members show as unknown, never as safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from app.organisations.enums import Ownership
from app.organisations.ownership import Control, ControlOf, control_of


class Unknown(StrEnum):
    """Why a member's ownership is unknown."""

    NOT_RECORDED = "not_recorded"  # the version predates the ownership data
    NOT_REGISTERED = "not_registered"  # a partner named by number, not registered in the portal
    NOT_DECLARED = "not_declared"  # a registered organisation that has not declared its ownership


@dataclass(frozen=True)
class MemberControl:
    """One consortium member (the lead first) with its frozen ownership and where control sits."""

    number: int  # 0 for the lead, 1.. for the partners in the version's order
    name: str
    country: str | None
    ownership: str | None
    parent_name: str | None
    parent_country: str | None
    control: ControlOf
    unknown: Unknown | None

    @property
    def is_lead(self) -> bool:
        return self.number == 0

    @property
    def in_group(self) -> bool:
        return self.ownership == Ownership.GROUP.value

    @property
    def flagged(self) -> bool:
        return self.control.flagged

    @property
    def outside(self) -> bool:
        return self.control.control is Control.OUTSIDE


def _member(number: int, party: dict[str, Any], entry: dict[str, Any] | None) -> MemberControl:
    country = party.get("country") or None
    control = control_of(entry, country=country)
    unknown: Unknown | None = None
    if entry is None:
        unknown = Unknown.NOT_RECORDED
    elif not entry.get("registered"):
        unknown = Unknown.NOT_REGISTERED
    elif entry.get("ownership") is None:
        unknown = Unknown.NOT_DECLARED
    return MemberControl(
        number=number,
        name=str(party.get("legal_name") or ""),
        country=country,
        ownership=(entry or {}).get("ownership"),
        parent_name=(entry or {}).get("parent_name"),
        parent_country=(entry or {}).get("parent_country"),
        control=control,
        unknown=unknown,
    )


def members_of(content: dict[str, Any]) -> list[MemberControl]:
    """Every member of the version's consortium, lead first, with the ownership frozen at submission."""
    frozen = content.get("ownership")
    lead_entry = frozen.get("lead") if isinstance(frozen, dict) else None
    partner_entries = frozen.get("partners", []) if isinstance(frozen, dict) else []
    members = [_member(0, content.get("organisation") or {}, lead_entry)]
    for index, partner in enumerate(content.get("partners") or []):
        entry = partner_entries[index] if index < len(partner_entries) else None
        members.append(_member(index + 1, partner, entry))
    return members
