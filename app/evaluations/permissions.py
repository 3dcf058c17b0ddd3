"""Who may see what of an evaluation. Everything someone may not see answers 404.

- Coordinators of the challenge (and administrators) run the evaluation, and read content only after the
  stage's deadline; before it they see counts.
- An evaluator reads only proposals assigned to them, only after the deadline, only after declaring no
  conflict; others' scores only after submitting their own.
- A company reads its decision only after release, and only its members.
"""

from __future__ import annotations

from datetime import datetime

from app.accounts.enums import Role
from app.accounts.models import User
from app.challenges.models import ChallengeStage
from app.evaluations.enums import EDITABLE, AssignmentStatus, DecisionStatus
from app.evaluations.models import Assignment, Decision, Evaluation, SecurityAssessment
from app.proposals import permissions as proposal_permissions


def is_sealed(stage: ChallengeStage, now: datetime) -> bool:
    return proposal_permissions.is_sealed(stage, now)


def is_evaluator(user: User | None) -> bool:
    return user is not None and user.is_staff and Role.EVALUATOR.value in user.role_names


def can_open_assignment(user: User, assignment: Assignment, stage: ChallengeStage, now: datetime) -> bool:
    """The evaluator's own assignment, after the deadline, not released by a conflict."""
    return (
        assignment.evaluator_id == user.id
        and not is_sealed(stage, now)
        and assignment.status != AssignmentStatus.CONFLICTED.value
    )


def can_read_content(assignment: Assignment) -> bool:
    """Content only after the declaration of no conflict."""
    return assignment.status == AssignmentStatus.ACCEPTED.value


def can_edit_evaluation(evaluation: Evaluation | None) -> bool:
    return evaluation is None or evaluation.status in EDITABLE


def is_assessment_due(assessment: SecurityAssessment | None) -> bool:
    """The security assessment is still to be submitted (not begun, a draft, or reopened)."""
    return assessment is None or assessment.status in EDITABLE


def can_see_others(evaluation: Evaluation | None) -> bool:
    """Independence: others' scores only once one's own evaluation is submitted."""
    return evaluation is not None and evaluation.status not in EDITABLE


def is_released(decision: Decision | None) -> bool:
    return decision is not None and decision.status == DecisionStatus.RELEASED.value
