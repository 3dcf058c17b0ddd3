"""Evaluation statuses, their allowed transitions, and the fixed lists evaluators and coordinators choose from."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class AffiliationNature(StrEnum):
    EMPLOYMENT = "employment"
    SHAREHOLDING = "shareholding"
    ADVISORY = "advisory"
    FAMILY = "family"


AFFILIATION_LABELS: dict[str, str] = {
    AffiliationNature.EMPLOYMENT.value: N_("Employment"),
    AffiliationNature.SHAREHOLDING.value: N_("Shareholding"),
    AffiliationNature.ADVISORY.value: N_("Advisory role"),
    AffiliationNature.FAMILY.value: N_("Family tie"),
}


class AssignmentStatus(StrEnum):
    ASSIGNED = "assigned"  # not declared yet: no content shown
    ACCEPTED = "accepted"  # declared no conflict: may score
    CONFLICTED = "conflicted"  # declared a conflict: released, the coordinator reassigns


ASSIGNMENT_TRANSITIONS: dict[AssignmentStatus, frozenset[AssignmentStatus]] = {
    AssignmentStatus.ASSIGNED: frozenset({AssignmentStatus.ACCEPTED, AssignmentStatus.CONFLICTED}),
    AssignmentStatus.ACCEPTED: frozenset(),
    AssignmentStatus.CONFLICTED: frozenset(),
}


class EvaluationStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REOPENED = "reopened"  # a coordinator reopened it with a reason; editable like a draft


EVALUATION_TRANSITIONS: dict[EvaluationStatus, frozenset[EvaluationStatus]] = {
    EvaluationStatus.DRAFT: frozenset({EvaluationStatus.DRAFT, EvaluationStatus.SUBMITTED}),
    EvaluationStatus.SUBMITTED: frozenset({EvaluationStatus.REOPENED}),
    EvaluationStatus.REOPENED: frozenset({EvaluationStatus.REOPENED, EvaluationStatus.SUBMITTED}),
}

EDITABLE = frozenset({EvaluationStatus.DRAFT.value, EvaluationStatus.REOPENED.value})


# The security factors, their ratings and the procurement routes are defined in ``route.py`` (pure).


class DecisionOutcome(StrEnum):
    AWARD = "award"
    INVITE = "invite"
    REJECT = "reject"


OUTCOME_LABELS: dict[str, str] = {
    DecisionOutcome.AWARD.value: N_("Award"),
    DecisionOutcome.INVITE.value: N_("Invite to the next stage"),
    DecisionOutcome.REJECT.value: N_("Reject"),
}


class DecisionStatus(StrEnum):
    PREPARED = "prepared"
    REVIEWED = "reviewed"
    RELEASED = "released"


# "reviewed" is stored for a decision whose stage's decision set a second coordinator approved (four eyes).
DECISION_STATUS_LABELS: dict[str, str] = {
    DecisionStatus.PREPARED.value: N_("prepared"),
    DecisionStatus.REVIEWED.value: N_("approved"),
    DecisionStatus.RELEASED.value: N_("released"),
}

DECISION_TRANSITIONS: dict[DecisionStatus, frozenset[DecisionStatus]] = {
    DecisionStatus.PREPARED: frozenset({DecisionStatus.PREPARED, DecisionStatus.REVIEWED}),
    # A change after approval sends every decision of the set back to prepared: the set is approved again.
    DecisionStatus.REVIEWED: frozenset({DecisionStatus.PREPARED, DecisionStatus.RELEASED}),
    DecisionStatus.RELEASED: frozenset(),
}


class DecisionSetStatus(StrEnum):
    """The decisions of one stage as a whole: prepared by one coordinator, approved by another, then released."""

    PREPARED = "prepared"
    APPROVED = "approved"
    RELEASED = "released"


DECISION_SET_TRANSITIONS: dict[DecisionSetStatus, frozenset[DecisionSetStatus]] = {
    DecisionSetStatus.PREPARED: frozenset({DecisionSetStatus.APPROVED}),
    # Any change to a decision after approval withdraws the approval.
    DecisionSetStatus.APPROVED: frozenset({DecisionSetStatus.PREPARED, DecisionSetStatus.RELEASED}),
    DecisionSetStatus.RELEASED: frozenset(),
}


class RouteStatus(StrEnum):
    """A procurement route confirmed by one coordinator and approved by another."""

    CONFIRMED = "confirmed"
    APPROVED = "approved"


ROUTE_TRANSITIONS: dict[RouteStatus, frozenset[RouteStatus]] = {
    RouteStatus.CONFIRMED: frozenset({RouteStatus.CONFIRMED, RouteStatus.APPROVED}),
    # Confirming the route again (the same or another) withdraws the approval.
    RouteStatus.APPROVED: frozenset({RouteStatus.CONFIRMED}),
}


# The machines: every status write of the domain goes through ``<MACHINE>.move`` (app.statemachine), which checks
# the table, sets the status and records the audit event. Labels are English msgids, translated where shown.
STATUS_LABELS: dict[EvaluationStatus, str] = {
    EvaluationStatus.DRAFT: N_("draft"),
    EvaluationStatus.SUBMITTED: N_("submitted"),
    EvaluationStatus.REOPENED: N_("reopened"),
}
STATUS_CLASSES: dict[EvaluationStatus, str] = {
    EvaluationStatus.DRAFT: "badge-upcoming",
    EvaluationStatus.SUBMITTED: "badge-closed",
    EvaluationStatus.REOPENED: "badge-open",
}

ASSIGNMENT_MACHINE = StateMachine(
    name="assignment",
    states=AssignmentStatus,
    transitions=ASSIGNMENT_TRANSITIONS,
    labels={
        AssignmentStatus.ASSIGNED: N_("not declared yet"),
        AssignmentStatus.ACCEPTED: N_("no conflict"),
        AssignmentStatus.CONFLICTED: N_("conflict: reassign"),
    },
    classes={
        AssignmentStatus.ASSIGNED: "badge-upcoming",
        AssignmentStatus.ACCEPTED: "badge-open",
        AssignmentStatus.CONFLICTED: "badge-closed",
    },
    object_type="evaluation_assignment",
)
EVALUATION_MACHINE = StateMachine(
    name="evaluation",
    states=EvaluationStatus,
    transitions=EVALUATION_TRANSITIONS,
    labels=STATUS_LABELS,
    classes=STATUS_CLASSES,
    object_type="evaluation",
)
# A security assessment follows the evaluation's table; it is audited on its assignment (its key).
SECURITY_ASSESSMENT_MACHINE = StateMachine(
    name="security_assessment",
    states=EvaluationStatus,
    transitions=EVALUATION_TRANSITIONS,
    labels=STATUS_LABELS,
    classes=STATUS_CLASSES,
    object_type="evaluation_assignment",
)
DECISION_MACHINE = StateMachine(
    name="decision",
    states=DecisionStatus,
    transitions=DECISION_TRANSITIONS,
    labels={DecisionStatus(key): label for key, label in DECISION_STATUS_LABELS.items()},
    classes={
        DecisionStatus.PREPARED: "badge-upcoming",
        DecisionStatus.REVIEWED: "badge-open",
        DecisionStatus.RELEASED: "badge-closed",
    },
    object_type="proposal",  # a decision is keyed by its proposal
)
DECISION_SET_MACHINE = StateMachine(
    name="decision_set",
    states=DecisionSetStatus,
    transitions=DECISION_SET_TRANSITIONS,
    labels={
        DecisionSetStatus.PREPARED: N_("awaiting approval by a second coordinator"),
        DecisionSetStatus.APPROVED: N_("approved"),
        DecisionSetStatus.RELEASED: N_("released"),
    },
    classes={
        DecisionSetStatus.PREPARED: "badge-upcoming",
        DecisionSetStatus.APPROVED: "badge-open",
        DecisionSetStatus.RELEASED: "badge-closed",
    },
    object_type="challenge_stage",  # a decision set is keyed by its stage
)
ROUTE_MACHINE = StateMachine(
    name="procurement_route",
    states=RouteStatus,
    transitions=ROUTE_TRANSITIONS,
    labels={
        RouteStatus.CONFIRMED: N_("awaiting approval by a second coordinator"),
        RouteStatus.APPROVED: N_("approved"),
    },
    classes={RouteStatus.CONFIRMED: "badge-upcoming", RouteStatus.APPROVED: "badge-open"},
    object_type="challenge",  # the route is keyed by its challenge
)
