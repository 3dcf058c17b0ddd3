"""The statuses of a proposition and the triage steps between them."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class PropositionStatus(StrEnum):
    SUBMITTED = "submitted"  # waiting for triage
    REFERRED = "referred"  # the company is pointed to an open challenge
    ROUTED = "routed"  # handed to another programme
    WATCHED = "watched"  # kept for future challenges
    DECLINED = "declined"  # with a reason


TRIAGED = (PropositionStatus.REFERRED, PropositionStatus.ROUTED, PropositionStatus.WATCHED, PropositionStatus.DECLINED)

PROPOSITION_MACHINE: StateMachine[PropositionStatus] = StateMachine(
    name="proposition",
    states=PropositionStatus,
    transitions={
        PropositionStatus.SUBMITTED: frozenset(TRIAGED),
        # A proposition on the watch list is looked at again when a fitting challenge opens.
        PropositionStatus.WATCHED: frozenset(
            {PropositionStatus.REFERRED, PropositionStatus.ROUTED, PropositionStatus.DECLINED}
        ),
        PropositionStatus.REFERRED: frozenset(),
        PropositionStatus.ROUTED: frozenset(),
        PropositionStatus.DECLINED: frozenset(),
    },
    labels={
        PropositionStatus.SUBMITTED: N_("Awaiting triage"),
        PropositionStatus.REFERRED: N_("Referred to a challenge"),
        PropositionStatus.ROUTED: N_("Routed to another programme"),
        PropositionStatus.WATCHED: N_("On the watch list"),
        PropositionStatus.DECLINED: N_("Declined"),
    },
    classes={
        PropositionStatus.SUBMITTED: "badge-upcoming",
        PropositionStatus.REFERRED: "badge-open",
        PropositionStatus.ROUTED: "badge-open",
        PropositionStatus.WATCHED: "badge-upcoming",
    },
)

# The triage step a coordinator chooses, and the status it leads to (the audit action is proposition.<step>).
STEP_STATUS = {
    "refer": PropositionStatus.REFERRED,
    "route": PropositionStatus.ROUTED,
    "watch": PropositionStatus.WATCHED,
    "decline": PropositionStatus.DECLINED,
}

# Each step named by the status it leads to (msgids), for the messages that came with a step.
STEP_LABELS = {step: PROPOSITION_MACHINE.labels[status] for step, status in STEP_STATUS.items()}
