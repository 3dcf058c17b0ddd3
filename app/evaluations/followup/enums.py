"""Statuses of a follow-up milestone and their allowed changes."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class MilestoneStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    LATE = "late"


MILESTONE_MACHINE: StateMachine[MilestoneStatus] = StateMachine(
    name="award_milestone",
    states=MilestoneStatus,
    transitions={
        MilestoneStatus.PLANNED: frozenset({MilestoneStatus.DONE, MilestoneStatus.LATE}),
        MilestoneStatus.LATE: frozenset({MilestoneStatus.DONE, MilestoneStatus.PLANNED}),
        # Marked done by mistake: back to planned.
        MilestoneStatus.DONE: frozenset({MilestoneStatus.PLANNED}),
    },
    labels={
        MilestoneStatus.PLANNED: N_("Planned"),
        MilestoneStatus.DONE: N_("Done"),
        MilestoneStatus.LATE: N_("Late"),
    },
    classes={
        MilestoneStatus.PLANNED: "badge-upcoming",
        MilestoneStatus.DONE: "badge-open",
        MilestoneStatus.LATE: "badge-closed",
    },
)
