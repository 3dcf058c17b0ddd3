"""The evaluator's assessment of the essential security interests."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations.enums import SECURITY_ASSESSMENT_MACHINE, EvaluationStatus
from app.evaluations.models import SecurityAssessment
from app.evaluations.route.rules import FactorRating as SecurityRating
from app.evaluations.route.rules import SecurityFactor
from app.evaluations.scoring.service import Opened
from app.evaluations.service import record_completion, require_open_evaluation
from app.i18n import N_
from app.statemachine import HasStatus


def _factor_errors(factors: dict[str, dict[str, str]], *, submit: bool) -> list[FieldError]:
    """A known rating for every rated factor; on submit a rating and a justification for each."""
    from app.evaluations.schemas import factor_justification_field, rating_field

    ratings = {r.value for r in SecurityRating}
    errors: list[FieldError] = []
    for factor in SecurityFactor:
        entry = factors.get(factor.value, {})
        if (entry.get("rating") and entry["rating"] not in ratings) or (submit and not entry.get("rating")):
            errors.append(FieldError(rating_field(factor.value), N_("Choose one of the options.")))
        if submit and not entry.get("justification"):
            errors.append(
                FieldError(factor_justification_field(factor.value), N_("Give a justification for this rating."))
            )
    return errors


def save_assessment(
    session: Session,
    *,
    opened: Opened,
    factors: dict[str, dict[str, str]],
    submit: bool,
    actor: Actor,
    now: datetime,
) -> SecurityAssessment:
    """The essential-security-interest assessment: a rating and a justification per factor."""
    if not permissions.can_read_content(opened.assignment):
        raise NotFound()
    require_open_evaluation(session, stage=opened.stage, released=opened.released)
    assessment = opened.assignment.assessment
    if assessment is not None and assessment.status not in {
        EvaluationStatus.DRAFT.value,
        EvaluationStatus.REOPENED.value,
    }:
        raise InvalidTransition(N_("This assessment has been submitted; only a coordinator can reopen it."))
    errors = _factor_errors(factors, submit=submit)
    if errors:
        raise ValidationFailed(errors=errors)
    if assessment is None:
        assessment = SecurityAssessment(
            assignment_id=opened.assignment.id, factors={}, status=EvaluationStatus.DRAFT.value, updated_at=now
        )
        opened.assignment.assessment = assessment
        session.add(assessment)
    assessment.factors = {key: dict(value) for key, value in factors.items()}
    assessment.updated_at = now
    data = {"factors": {k: v.get("rating") for k, v in factors.items()}}
    if submit:
        assessment.submitted_at = now
        # Not flushed first: the event's append flushes the row with its new status, one statement fewer.
        SECURITY_ASSESSMENT_MACHINE.move(
            session,
            cast(HasStatus, assessment),
            EvaluationStatus.SUBMITTED,
            actor=actor,
            now=now,
            object_id=opened.assignment.id,
            action="security_assessment.submit",
            data=data,
        )
        record_completion(session, assignment=opened.assignment, locked=opened.locked)
    else:
        session.flush()
        record_event(
            session,
            actor=actor,
            action="security_assessment.save",
            object_type="evaluation_assignment",
            object_id=opened.assignment.id,
            at=now,
            data=data,
        )
    return assessment
