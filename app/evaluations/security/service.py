"""The evaluator's assessment of the essential security interests."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

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
from app.inserts import insert_object
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
    created = assessment is None
    assessment = _write(session, opened=opened, factors=factors, submit=submit, now=now)
    data = {"factors": {k: v.get("rating") for k, v in factors.items()}}
    if submit:
        SECURITY_ASSESSMENT_MACHINE.move(
            session,
            cast(HasStatus, assessment),
            EvaluationStatus.SUBMITTED,
            actor=actor,
            now=now,
            object_id=opened.assignment.id,
            action="security_assessment.submit",
            data=data,
            born=EvaluationStatus.DRAFT if created else None,
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


def _write(
    session: Session, *, opened: Opened, factors: dict[str, dict[str, str]], submit: bool, now: datetime
) -> SecurityAssessment:
    """A new assessment inserted as it ends up (submitted at once, or a draft), without the unit of work; a draft or
    a reopened one changed in place (not flushed here: the event's append flushes it with its new status, one
    statement)."""
    rows = {key: dict(value) for key, value in factors.items()}
    assessment = opened.assignment.assessment
    if assessment is None:
        assessment = SecurityAssessment(
            assignment_id=opened.assignment.id,
            factors=rows,
            status=(EvaluationStatus.SUBMITTED if submit else EvaluationStatus.DRAFT).value,
            updated_at=now,
            submitted_at=now if submit else None,
        )
        insert_object(session, assessment)
        set_committed_value(opened.assignment, "assessment", assessment)
        return assessment
    assessment.factors = rows
    assessment.updated_at = now
    if submit:
        assessment.submitted_at = now
    return assessment
