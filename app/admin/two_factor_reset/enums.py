"""A request to reset a staff member's second factor: requested by one administrator, then approved by another
(only then is the factor cleared) or cancelled."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class ResetStatus(StrEnum):
    REQUESTED = "requested"
    APPROVED = "approved"
    CANCELLED = "cancelled"


RESET_MACHINE: StateMachine[ResetStatus] = StateMachine(
    name="two_factor_reset",
    states=ResetStatus,
    transitions={
        ResetStatus.REQUESTED: frozenset({ResetStatus.APPROVED, ResetStatus.CANCELLED}),
        ResetStatus.APPROVED: frozenset(),
        ResetStatus.CANCELLED: frozenset(),
    },
    labels={
        ResetStatus.REQUESTED: N_("Awaiting approval"),
        ResetStatus.APPROVED: N_("Approved"),
        ResetStatus.CANCELLED: N_("Cancelled"),
    },
    classes={
        ResetStatus.REQUESTED: "badge-upcoming",
        ResetStatus.APPROVED: "badge-open",
        ResetStatus.CANCELLED: "badge-closed",
    },
)
