"""Evaluation statuses, their allowed transitions, and the fixed lists evaluators and coordinators choose from."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_


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


DECISION_STATUS_LABELS: dict[str, str] = {
    DecisionStatus.PREPARED.value: N_("prepared"),
    DecisionStatus.REVIEWED.value: N_("reviewed"),
    DecisionStatus.RELEASED.value: N_("released"),
}

DECISION_TRANSITIONS: dict[DecisionStatus, frozenset[DecisionStatus]] = {
    DecisionStatus.PREPARED: frozenset({DecisionStatus.PREPARED, DecisionStatus.REVIEWED}),
    # Changing a reviewed decision sends it back to prepared: it must be reviewed again.
    DecisionStatus.REVIEWED: frozenset({DecisionStatus.PREPARED, DecisionStatus.RELEASED}),
    DecisionStatus.RELEASED: frozenset(),
}
