"""The evaluator's queue: their assignments whose deadline has passed, a page at a time, the next to do first.

Two queries whatever the number of assignments: the stages, and one page of plain values with the counts per kind;
the counts and the page's order come from the assignments' own columns (``stage_id``, ``status``, ``completed``)
and one index, so a queue of hundreds costs no join per assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from typing import Any

from sqlalchemy import Select, bindparam, case, func, select
from sqlalchemy.orm import Session, joinedload

from app.accounts.models import User
from app.challenges.models import Challenge, ChallengeStage
from app.evaluations import permissions
from app.evaluations.enums import EVALUATION_MACHINE, AssignmentStatus, EvaluationStatus
from app.evaluations.models import Assignment, Evaluation, SecurityAssessment
from app.evaluations.service import released_in_stage
from app.proposals.models import Proposal

PAGE_SIZE = 25

# The kinds, in the order the queue shows them.
TODO, DONE, CLOSED, CONFLICTED = 0, 1, 2, 3
KINDS = (TODO, DONE, CLOSED, CONFLICTED)


@dataclass(frozen=True)
class QueueRow:
    """One assignment in the queue, as plain values: a queue holds hundreds, so no ORM objects."""

    assignment_id: int
    assignment_status: str
    proposal_id: int
    reference: str
    stage_id: int
    evaluation_status: str | None
    assessment_status: str | None
    kind: int

    @property
    def undeclared(self) -> bool:
        return self.assignment_status == AssignmentStatus.ASSIGNED

    @property
    def accepted(self) -> bool:
        return self.assignment_status == AssignmentStatus.ACCEPTED

    @property
    def conflicted(self) -> bool:
        return self.assignment_status == AssignmentStatus.CONFLICTED

    @property
    def todo(self) -> bool:
        return self.kind == TODO

    @property
    def evaluation_label(self) -> str:
        return EVALUATION_MACHINE.label(self.evaluation_status) if self.evaluation_status else ""

    @property
    def assessment_submitted(self) -> bool:
        return self.assessment_status == EvaluationStatus.SUBMITTED


@dataclass(frozen=True)
class QueueStage:
    """A stage whose deadline has passed and which holds some of the evaluator's assignments."""

    challenge: Challenge
    stage: ChallengeStage
    open: bool  # neither cancelled nor with its decisions released: its work can still be done


@dataclass
class QueuePage:
    rows: list[QueueRow]
    stages: dict[int, QueueStage]
    counts: dict[int, int]  # per kind (TODO, DONE, CLOSED, CONFLICTED)
    number: int  # the page shown, from 1
    pages: int  # at least 1
    asked: str | None  # the page asked for, when there is no such page (the nearest one is shown)
    next_todo: QueueRow | None  # the first assignment to do, on whichever page it is

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def todo(self) -> int:
        return self.counts.get(TODO, 0)

    @property
    def done(self) -> int:
        return self.counts.get(DONE, 0)

    @property
    def closed(self) -> int:
        return self.counts.get(CLOSED, 0)

    @property
    def conflicted(self) -> int:
        return self.counts.get(CONFLICTED, 0)

    @property
    def first(self) -> int:
        """The position of the page's first row, from 1 (0 on an empty queue)."""
        return (self.number - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


# The statements are built once, with bound parameters: building a statement and its cache key costs more CPU
# than SQLite takes to answer it.


@cache
def _stages_statement() -> Select[Any]:
    mine = select(Assignment.id).where(
        Assignment.evaluator_id == bindparam("user_id"), Assignment.stage_id == ChallengeStage.id
    )
    return (
        select(ChallengeStage, released_in_stage(ChallengeStage.id))
        .where(mine.exists())
        # the versions too: the page names each stage as the challenge's current definition does
        .options(joinedload(ChallengeStage.challenge).joinedload(Challenge.versions))
        .order_by(ChallengeStage.deadline_at, ChallengeStage.id)
    )


def _queue_stages(session: Session, *, user: User, now: datetime) -> list[QueueStage]:
    """The stages holding the evaluator's assignments whose deadline has passed, in deadline order."""
    found = session.execute(_stages_statement(), {"user_id": user.id}).unique().all()
    return [
        QueueStage(stage.challenge, stage, not stage.challenge.is_cancelled and not released)
        for stage, released in found
        if not permissions.is_sealed(stage, now)
    ]


def _kind() -> Any:
    """Which kind an assignment is (see the constants), as an SQL expression (``open_ids``: the open stages).
    Done is ``Assignment.completed``: accepted, the scores and the security assessment submitted."""
    return case(
        (Assignment.status == AssignmentStatus.CONFLICTED.value, CONFLICTED),
        (Assignment.completed, DONE),
        (Assignment.stage_id.in_(bindparam("open_ids", expanding=True)), TODO),
        else_=CLOSED,
    )


def _of_kind(kind: int) -> Any:
    """The assignments of ``kind``, as ``_kind`` divides them, in conditions on the columns themselves: counting
    one kind reads a range of the queue's index and nothing else (``closed_ids``: the evaluator's stages that are
    not open; an expanding parameter is never negated, as SQLAlchemy writes an empty one's negation wrongly on
    PostgreSQL when the same parameter is also used un-negated)."""
    conflicted = Assignment.status == AssignmentStatus.CONFLICTED.value
    if kind == CONFLICTED:
        return conflicted
    if kind == DONE:
        return ~conflicted & Assignment.completed
    stages: Any = bindparam("open_ids" if kind == TODO else "closed_ids", expanding=True)
    return ~conflicted & ~Assignment.completed & Assignment.stage_id.in_(stages)


def _mine(*columns: Any) -> Select[Any]:
    """The evaluator's (``user_id``) assignments in the stages ``stage_ids``: one range of the queue's index."""
    return select(*columns).where(
        Assignment.evaluator_id == bindparam("user_id"),
        Assignment.stage_id.in_(bindparam("stage_ids", expanding=True)),
    )


def _counted() -> list[Any]:
    """The number of the evaluator's assignments of each kind, in the order of ``KINDS``: one uncorrelated
    subquery each, which the database runs once per statement whatever plan it picks for the rest."""
    return [
        _mine(func.count()).where(_of_kind(each)).correlate(None).scalar_subquery().label(f"count_{each}")
        for each in KINDS
    ]


@cache
def _counts_statement() -> Select[Any]:
    return select(*_counted())


def _stage_order(stages: int) -> Any:
    """The position of an assignment's stage among the queue's ``stages`` stages (``stage_0``, ``stage_1``...: their
    ids in the order of their deadlines): the page is ordered without reading any stage row."""
    return case(*((Assignment.stage_id == bindparam(f"stage_{n}"), n) for n in range(stages)), else_=stages)


@lru_cache(maxsize=32)
def _rows_statement(stages: int) -> Select[Any]:
    """A page of the queue, for an evaluator with assignments in ``stages`` stages: ordered and cut from the
    assignments alone, then joined to the proposal, and the evaluation's and the assessment's statuses read for its
    rows only (one index lookup each, however many evaluations the challenge holds). Each row also carries the
    counts per kind over the whole queue (``_counted``): a page that has rows needs no counting statement."""
    page = (
        _mine(
            Assignment.id,
            Assignment.status,
            Assignment.proposal_id,
            Assignment.stage_id,
            _kind().label("kind"),
            _stage_order(stages).label("stage_order"),
        )
        .order_by(_kind(), _stage_order(stages), Assignment.proposal_id, Assignment.id)
        .limit(bindparam("size"))
        .offset(bindparam("skip"))
        .subquery()
    )
    evaluation = select(Evaluation.status).where(Evaluation.assignment_id == page.c.id).scalar_subquery()
    assessment = (
        select(SecurityAssessment.status).where(SecurityAssessment.assignment_id == page.c.id).scalar_subquery()
    )
    return (
        select(
            page.c.id,
            page.c.status,
            page.c.proposal_id,
            Proposal.reference,
            page.c.stage_id,
            evaluation,
            assessment,
            page.c.kind,
            *_counted(),
        )
        .join(Proposal, Proposal.id == page.c.proposal_id)
        .order_by(page.c.kind, page.c.stage_order, page.c.proposal_id, page.c.id)
    )


def _page(
    session: Session, parameters: dict[str, Any], *, size: int, skip: int
) -> tuple[list[QueueRow], dict[int, int]]:
    """A page's rows, and the counts per kind over the queue (empty when the page has no rows)."""
    statement = _rows_statement(len(parameters["stage_ids"]))
    found = session.execute(statement, {**parameters, "size": size, "skip": skip}).all()
    rows = [QueueRow(*row[: -len(KINDS)]) for row in found]
    counts = {each: int(n) for each, n in zip(KINDS, found[0][-len(KINDS) :], strict=True) if n} if found else {}
    return rows, counts


def parse_page(text: str | None) -> int | None:
    """A page number as asked for in the address: a whole number from 1, or None."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text[:12]) if len(text) <= 12 else 10**12  # past any last page; no huge integers parsed
    return number if number >= 1 else None


def evaluator_queue(session: Session, *, user: User, now: datetime, page: str | None = None) -> QueuePage:
    """One page of the evaluator's queue: the assignments to do first (by stage deadline, then proposal), then
    those done, those of stages closed (cancelled, decisions released) and those released by a conflict.

    A page that does not exist (not a whole number from 1, or past the last) shows the nearest that does and
    says which was asked for."""
    stages = _queue_stages(session, user=user, now=now)
    by_id = {entry.stage.id: entry for entry in stages}
    parameters = {
        "user_id": user.id,
        "stage_ids": list(by_id),
        "open_ids": [entry.stage.id for entry in stages if entry.open],
        "closed_ids": [entry.stage.id for entry in stages if not entry.open],
        **{f"stage_{n}": entry.stage.id for n, entry in enumerate(stages)},  # in deadline order
    }
    asked = parse_page(page) if page not in (None, "") else 1
    rows: list[QueueRow] = []
    counts: dict[int, int] = {}
    if by_id:  # the page asked for, with the counts; past the last page, counted first and the last one read
        rows, counts = _page(session, parameters, size=PAGE_SIZE, skip=((asked or 1) - 1) * PAGE_SIZE)
        if not rows:
            counted = session.execute(_counts_statement(), parameters).one()
            counts = {each: int(n) for each, n in zip(KINDS, counted, strict=True) if n}
    total = sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    number = min(asked or 1, pages)
    next_todo = None
    if total:
        if number != (asked or 1):
            rows, _ = _page(session, parameters, size=PAGE_SIZE, skip=(number - 1) * PAGE_SIZE)
        if counts.get(TODO):  # the first row of the first page
            next_todo = rows[0] if number == 1 else _page(session, parameters, size=1, skip=0)[0][0]
    return QueuePage(
        rows=rows,
        stages=by_id,
        counts=counts,
        number=number,
        pages=pages,
        asked=None if asked == number else str(page)[:20],
        next_todo=next_todo,
    )
