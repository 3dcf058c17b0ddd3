"""The evaluation's status machines: a transition outside a machine's table is refused and writes nothing."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor
from app.errors import InvalidTransition
from app.evaluations.enums import (
    ASSIGNMENT_MACHINE,
    DECISION_MACHINE,
    DECISION_SET_MACHINE,
    EVALUATION_MACHINE,
    ROUTE_MACHINE,
    SECURITY_ASSESSMENT_MACHINE,
    AssignmentStatus,
    DecisionSetStatus,
    DecisionStatus,
    EvaluationStatus,
)
from app.evaluations.models import Assignment, Decision, DecisionSet, Evaluation, SecurityAssessment
from app.statemachine import HasStatus, StateMachine

NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

# machine, the object in a state, a target outside the table from that state
REFUSED: dict[str, tuple[StateMachine[Any], Any, Any]] = {
    "assignment": (
        ASSIGNMENT_MACHINE,
        Assignment(id=1, status=AssignmentStatus.ACCEPTED.value),
        AssignmentStatus.CONFLICTED,
    ),
    "evaluation": (
        EVALUATION_MACHINE,
        Evaluation(id=2, status=EvaluationStatus.DRAFT.value),
        EvaluationStatus.REOPENED,
    ),
    "security_assessment": (
        SECURITY_ASSESSMENT_MACHINE,
        SecurityAssessment(assignment_id=3, status=EvaluationStatus.SUBMITTED.value),
        EvaluationStatus.SUBMITTED,
    ),
    # Four eyes: a decision set cannot be released before it is approved.
    "decision_set": (
        DECISION_SET_MACHINE,
        DecisionSet(stage_id=5, status=DecisionSetStatus.PREPARED.value),
        DecisionSetStatus.RELEASED,
    ),
    "decision": (
        DECISION_MACHINE,
        Decision(proposal_id=4, status=DecisionStatus.RELEASED.value),
        DecisionStatus.PREPARED,
    ),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_machine_refuses_a_transition_outside_its_table_and_writes_nothing(session: Session, name: str) -> None:
    machine, obj, target = REFUSED[name]
    before = obj.status
    with pytest.raises(InvalidTransition):
        machine.move(session, cast(HasStatus, obj), target, actor=Actor(None, label="test"), now=NOW, object_id=1)
    assert obj.status == before
    assert session.scalar(select(func.count(AuditEvent.id))) == 0


@pytest.mark.parametrize(
    ("machine", "state", "label", "css"),
    [
        (ASSIGNMENT_MACHINE, "conflicted", "conflict: reassign", "badge-closed"),
        (EVALUATION_MACHINE, "reopened", "reopened", "badge-open"),
        (SECURITY_ASSESSMENT_MACHINE, "submitted", "submitted", "badge-closed"),
        (DECISION_MACHINE, "reviewed", "approved", "badge-open"),
        (DECISION_SET_MACHINE, "prepared", "awaiting approval by a second coordinator", "badge-upcoming"),
        (DECISION_SET_MACHINE, "approved", "approved", "badge-open"),
        (ROUTE_MACHINE, "confirmed", "awaiting approval by a second coordinator", "badge-upcoming"),
    ],
)
def test_machine_gives_each_state_its_label_and_class(
    machine: StateMachine[Any], state: str, label: str, css: str
) -> None:
    assert (machine.label(state), machine.css_class(state)) == (label, css)
