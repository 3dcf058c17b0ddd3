"""Due dates of a stage's evaluation: set by its coordinators, named in the evaluators' e-mails, overdue lists.

Services take the session first and keyword-only arguments, never commit, raise domain errors and record an
audit event for every change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeStage
from app.clock import AMSTERDAM, ensure_utc
from app.errors import FieldError, ValidationFailed
from app.evaluations import service as evaluation_service
from app.evaluations.deadlines.models import EvaluationDueDate
from app.evaluations.enums import AssignmentStatus, EvaluationStatus
from app.evaluations.models import Assignment
from app.formatting import format_local_date
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.proposals.models import Proposal

MSG_DATE_FORMAT = N_("Enter the due date as a date, for example 2027-03-15.")
MSG_DATE_PAST = N_("The due date cannot be before today.")
MSG_DATE_FAR = N_("The due date must be within a year from today.")


def due_at_for(day: date) -> datetime:
    """The end of ``day`` in Europe/Amsterdam, in UTC: an evaluation due that day is overdue from then on."""
    return datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=AMSTERDAM).astimezone(UTC)


def parse_due_date(text: str, *, now: datetime) -> date:
    """A day from today (Europe/Amsterdam) up to a year ahead; a clear message next to the field otherwise."""
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(errors=[FieldError("due_on", MSG_DATE_FORMAT)]) from None
    today = ensure_utc(now).astimezone(AMSTERDAM).date()
    if day < today:
        raise ValidationFailed(errors=[FieldError("due_on", MSG_DATE_PAST)])
    if day > today + timedelta(days=366):
        raise ValidationFailed(errors=[FieldError("due_on", MSG_DATE_FAR)])
    return day


def get_due_date(session: Session, *, stage_id: int) -> EvaluationDueDate | None:
    return session.get(EvaluationDueDate, stage_id)


def set_due_date(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    text: str,
    actor: Actor,
    now: datetime,
    links: Links,
) -> EvaluationDueDate:
    """Set (or move) the day the stage's evaluations are due; evaluators with unfinished work are told by e-mail."""
    evaluation_service.require_open_evaluation(session, stage=stage)
    day = parse_due_date(text, now=now)
    row = get_due_date(session, stage_id=stage.id)
    if row is None:
        row = EvaluationDueDate(stage_id=stage.id, due_on=day, due_at=due_at_for(day), set_at=now)
        session.add(row)
    row.due_on, row.due_at, row.set_at, row.set_by_id = day, due_at_for(day), now, actor.user_id
    session.flush()
    record_event(
        session,
        actor=actor,
        action="evaluation.due_date",
        object_type="challenge_stage",
        object_id=stage.id,
        at=now,
        data={"challenge": challenge.slug, "stage": stage.key, "due_on": day.isoformat()},
    )
    counts: dict[int, int] = {}
    for assignment in unfinished_assignments(session, stage_id=stage.id):
        counts[assignment.evaluator_id] = counts.get(assignment.evaluator_id, 0) + 1
    _tell(
        session, template="evaluation_due_date", challenge=challenge, stage=stage, counts=counts, links=links, now=now
    )
    return row


def is_unfinished(assignment: Assignment) -> bool:
    """Work still to do: not released for a conflict, and no submitted evaluation."""
    if assignment.status == AssignmentStatus.CONFLICTED.value:
        return False
    return assignment.evaluation is None or assignment.evaluation.status != EvaluationStatus.SUBMITTED.value


def unfinished_assignments(session: Session, *, stage_id: int) -> list[Assignment]:
    return [a for a in evaluation_service.assignments_for_stage(session, stage_id=stage_id) if is_unfinished(a)]


@dataclass(frozen=True)
class Overdue:
    evaluator_name: str
    evaluator_email: str
    reference: str
    due_at: datetime


def list_overdue(session: Session, *, stage: ChallengeStage, now: datetime) -> list[Overdue]:
    """Assignments of the stage without a submitted evaluation once the due date has passed, by evaluator."""
    row = get_due_date(session, stage_id=stage.id)
    if row is None or ensure_utc(now) < ensure_utc(row.due_at):
        return []
    late = unfinished_assignments(session, stage_id=stage.id)
    if not late:
        return []
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({a.evaluator_id for a in late})))}
    ids = {a.proposal_id for a in late}
    rows = session.execute(select(Proposal.id, Proposal.reference).where(Proposal.id.in_(ids)))
    references = {proposal_id: reference for proposal_id, reference in rows}
    found = [
        Overdue(users[a.evaluator_id].name, users[a.evaluator_id].email, references[a.proposal_id], row.last_moment)
        for a in late
    ]
    return sorted(found, key=lambda item: (item.evaluator_name, item.reference))


def notify_assigned(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    counts: Mapping[int, int],
    links: Links,
    now: datetime,
) -> None:
    """E-mail each evaluator once, in their language, how many proposals one action gave them and when they are due.

    ``counts`` maps evaluator ids to their new proposals. The message names no company: the evaluator
    declares a conflict of interest before seeing any proposal's content.
    """
    _tell(
        session, template="evaluation_assigned", challenge=challenge, stage=stage, counts=counts, links=links, now=now
    )


def _tell(
    session: Session,
    *,
    template: str,
    challenge: Challenge,
    stage: ChallengeStage,
    counts: Mapping[int, int],
    links: Links,
    now: datetime,
) -> None:
    ids = [user_id for user_id, count in counts.items() if count > 0]
    if not ids:
        return
    due = get_due_date(session, stage_id=stage.id)
    link = links.url("evaluate_queue")
    for user in session.scalars(select(User).where(User.id.in_(ids), User.is_active.is_(True)).order_by(User.id)):
        queue_email(
            session,
            to=user.email,
            template=template,
            language=user.language,
            context={
                "challenge_title": challenge.title(user.language),
                "stage_title": evaluation_service.stage_title(challenge, stage, user.language),
                "count": counts[user.id],
                "due_date": format_local_date(due.last_moment, user.language) if due else "",
                "link": link,
            },
            now=now,
            user_id=user.id,
        )
