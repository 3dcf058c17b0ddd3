"""Membership roles, self-declared security statuses and the ownership declaration of organisations."""

from __future__ import annotations

from enum import StrEnum


class MemberRole(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


class SecurityStatus(StrEnum):
    """Self-declared; data, not proof."""

    NONE = "none"
    ABDO_2019 = "abdo2019"
    ABRO = "abro"
    NATO_FSC = "nato_fsc"


class FacilityClearanceLevel(StrEnum):
    NATO_RESTRICTED = "nato_restricted"
    NATO_CONFIDENTIAL = "nato_confidential"
    NATO_SECRET = "nato_secret"  # noqa: S105 - a clearance level, not a secret


class Ownership(StrEnum):
    """Who controls the organisation, as it declares: nobody else, or an ultimate parent company (named, with
    its country). An organisation registered before the question existed has none: its ownership is unknown."""

    INDEPENDENT = "independent"
    GROUP = "group"
