"""Membership roles, self-declared security statuses, the ownership declaration, and the identity of
organisations: verified by an administrator or not, and disputes over a registration number that someone else
registered first."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


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


class OrganisationStatus(StrEnum):
    """Whether an administrator has checked that the organisation is who it says (KvK number and name).

    Unverified organisations can do everything, submit included: nobody misses a deadline over it. Staff see
    the status wherever they see the organisation."""

    UNVERIFIED = "unverified"
    VERIFIED = "verified"


ORGANISATION_MACHINE: StateMachine[OrganisationStatus] = StateMachine(
    name="organisation",
    states=OrganisationStatus,
    transitions={
        OrganisationStatus.UNVERIFIED: frozenset({OrganisationStatus.VERIFIED}),
        # A dispute upheld after verification hands the organisation to its rightful owner, to verify again.
        OrganisationStatus.VERIFIED: frozenset({OrganisationStatus.UNVERIFIED}),
    },
    labels={OrganisationStatus.UNVERIFIED: N_("Unverified"), OrganisationStatus.VERIFIED: N_("Verified")},
    classes={OrganisationStatus.UNVERIFIED: "badge-upcoming", OrganisationStatus.VERIFIED: "badge-open"},
)


class DisputeStatus(StrEnum):
    """A claim that an organisation registered on the portal belongs to someone else (a squatted number)."""

    OPEN = "open"
    UPHELD = "upheld"  # the claimant is right: they become the organisation's administrator
    DISMISSED = "dismissed"  # the registration stands


DISPUTE_MACHINE: StateMachine[DisputeStatus] = StateMachine(
    name="organisation_dispute",
    states=DisputeStatus,
    transitions={
        DisputeStatus.OPEN: frozenset({DisputeStatus.UPHELD, DisputeStatus.DISMISSED}),
        DisputeStatus.UPHELD: frozenset(),
        DisputeStatus.DISMISSED: frozenset(),
    },
    labels={
        DisputeStatus.OPEN: N_("Open"),
        DisputeStatus.UPHELD: N_("Upheld"),
        DisputeStatus.DISMISSED: N_("Dismissed"),
    },
    classes={DisputeStatus.OPEN: "badge-upcoming", DisputeStatus.UPHELD: "badge-open"},
)
