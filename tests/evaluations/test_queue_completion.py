"""An assignment is done in the evaluator's queue once both the scores and the security assessment are submitted,
in either order, and to do again when a coordinator reopens them (``Assignment.completed``, kept by
``record_completion``); two submits at once from two tabs both count; migration 0038 fills the flag and the stage
of the assignments that exist from their rows, and keeps every row that refers to them."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app import migrate
from app.challenges.models import ChallengeStage
from app.clock import FrozenClock
from app.database import Database
from app.errors import NotFound
from app.evaluations.assignments.service import stage_assignment
from app.evaluations.models import Assignment, SecurityAssessment
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.scoring.queue import evaluator_queue
from app.evaluations.security import service as security_service
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import actor, after_deadline, build_scenario
from tests.evaluations.test_scoring import _assigned
from tests.factories import LINKS, log_in

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")
RAW = {"effect": ("2", "Sterk effect."), "safety": ("1", "Veilig genoeg.")}
ASSESSED = {factor: {"rating": "low", "justification": "Getoetst aan het kader."} for factor in FACTORS}


def _opened(session: Session, assignment_id: int, user: Any, clock: FrozenClock) -> evaluator_service.Opened:
    """Opened for a change, as the posted forms open it."""
    return evaluator_service.open_assignment(
        session, assignment_id=assignment_id, user=user, now=clock.now(), lock=True
    )


def _score(session: Session, assignment_id: int, user: Any, clock: FrozenClock) -> None:
    opened = _opened(session, assignment_id, user, clock)
    evaluator_service.save_evaluation(
        session, opened=opened, raw=RAW, assessed_trl="5", submit=True, actor=actor(user), now=clock.now()
    )


def _assess(session: Session, assignment_id: int, user: Any, clock: FrozenClock) -> None:
    opened = _opened(session, assignment_id, user, clock)
    security_service.save_assessment(
        session, opened=opened, factors=ASSESSED, submit=True, actor=actor(user), now=clock.now()
    )


def _declared(session: Session, clock: FrozenClock, proposals: int = 1) -> tuple[Any, list[Assignment]]:
    s = build_scenario(session, proposals=proposals)
    after_deadline(clock)
    evaluator = s.evaluators[0]
    assignments = [_assigned(session, s, clock, proposal_index=index) for index in range(proposals)]
    for assignment in assignments:
        evaluator_service.declare(
            session,
            opened=_opened(session, assignment.id, evaluator, clock),
            form=DeclarationForm(has_conflict=False),
            actor=actor(evaluator),
            now=clock.now(),
            links=LINKS,
        )
    session.commit()
    return s, assignments


def _at_once(*targets: Any, release: threading.Event) -> list[BaseException]:
    """Run each target in a thread of its own; the errors they raised. A failing one sets ``release``, so a
    target waiting for it goes on rather than waiting out its timeout."""
    failures: list[BaseException] = []

    def run(target: Any) -> None:
        try:
            target()
        except BaseException as error:
            failures.append(error)
            release.set()

    threads = [threading.Thread(target=run, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return failures


def _counts(session: Session, user: Any, clock: FrozenClock) -> tuple[int, int]:
    page = evaluator_queue(session, user=user, now=clock.now())
    return page.todo, page.done


def test_done_after_both_in_either_order_and_to_do_again_after_a_reopen(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, (first, second) = _declared(session, clock, proposals=2)
    evaluator = s.evaluators[0]
    _score(session, first.id, evaluator, clock)
    _assess(session, second.id, evaluator, clock)
    session.commit()
    assert _counts(session, evaluator, clock) == (2, 0)  # one half of each: both still to do
    _assess(session, first.id, evaluator, clock)
    _score(session, second.id, evaluator, clock)
    session.commit()
    assert _counts(session, evaluator, clock) == (0, 2)
    log_in(client, session, evaluator, now=clock.now())
    page = client.get("/evaluate")
    assert page.status_code == 200
    assert "2 voorstellen aan u toegewezen: 0 te doen, 2 klaar." in page.text
    assert 'id="next-todo"' not in page.text

    evaluation = _opened(session, first.id, evaluator, clock).assignment.evaluation
    assert evaluation is not None
    evaluator_service.reopen_evaluation(
        session,
        stage=s.stage,
        evaluation_id=evaluation.id,
        reason="Graag de veiligheid opnieuw bekijken.",
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    assert _counts(session, evaluator, clock) == (1, 1)
    page = client.get("/evaluate")
    assert "2 voorstellen aan u toegewezen: 1 te doen, 1 klaar." in page.text
    assert f'id="next-todo" href="/evaluate/assignments/{first.id}"' in page.text
    _score(session, first.id, evaluator, clock)
    session.commit()
    assert _counts(session, evaluator, clock) == (1, 1)  # the reopened assessment is still to submit again
    _assess(session, first.id, evaluator, clock)
    session.commit()
    assert _counts(session, evaluator, clock) == (0, 2)


def test_scores_and_assessment_submitted_at_once_from_two_tabs_both_count(fresh_db: Database) -> None:
    """The assessment's tab posts while the scores' tab has not committed: it opens the assignment only once the
    other's row lock is gone, so it sees the scores and counts the assignment done."""
    clock = FrozenClock(DEFAULT_NOW)
    with fresh_db.unit_of_work() as session:
        s, (assignment,) = _declared(session, clock)
        evaluator_id = s.evaluators[0].id
    scored = threading.Event()

    def scores() -> None:
        with fresh_db.unit_of_work() as session:
            evaluator = session.get(type(s.evaluators[0]), evaluator_id)
            _score(session, assignment.id, evaluator, clock)
            scored.set()  # flushed, not committed: the other tab reads and submits now
            threading.Event().wait(0.5)
            session.commit()

    def assessment() -> None:
        scored.wait(10)
        with fresh_db.unit_of_work() as session:
            evaluator = session.get(type(s.evaluators[0]), evaluator_id)
            _assess(session, assignment.id, evaluator, clock)
            session.commit()

    assert _at_once(scores, assessment, release=scored) == []
    with fresh_db.unit_of_work() as session:
        evaluator = session.get(type(s.evaluators[0]), evaluator_id)
        assert session.scalar(select(Assignment.completed).where(Assignment.id == assignment.id)) is True
        assert _counts(session, evaluator, clock) == (0, 1)


@pytest.mark.parametrize("first", ["reopen", "assessment"])
def test_a_reopen_while_the_assessment_is_posted_leaves_the_assignment_to_do(fresh_db: Database, first: str) -> None:
    """A coordinator reopens the scores while the evaluator posts the assessment, either one first: the second
    waits for the first's lock on the assignment and reads after its commit. The form counts the assignment from
    the objects it loaded, which are therefore current; neither waits for the other in a circle (the reopen takes
    the assignment's lock before the audit chain's, as the form does). Either way the scores end reopened and
    the assignment to do; a reopen after the assessment reopens it too (it read the assessment committed)."""
    clock = FrozenClock(DEFAULT_NOW)
    with fresh_db.unit_of_work() as session:
        s, (assignment,) = _declared(session, clock)
        evaluator_id, coordinator, stage_id = s.evaluators[0].id, s.coordinator, s.stage.id
        _score(session, assignment.id, s.evaluators[0], clock)
        session.commit()
        evaluation = _opened(session, assignment.id, s.evaluators[0], clock).assignment.evaluation
        assert evaluation is not None
        evaluation_id = evaluation.id
    started = threading.Event()

    def hold_then_commit(session: Session, is_first: bool) -> None:
        if is_first:
            started.set()  # not committed: the other one starts now
            threading.Event().wait(0.5)
        session.commit()

    def reopen() -> None:
        if first != "reopen":
            started.wait(10)
        with fresh_db.unit_of_work() as session:
            evaluator_service.reopen_evaluation(
                session,
                stage=session.get_one(ChallengeStage, stage_id),
                evaluation_id=evaluation_id,
                reason="Graag opnieuw.",
                actor=actor(coordinator),
                now=clock.now(),
                links=LINKS,
            )
            hold_then_commit(session, first == "reopen")

    def assessment() -> None:
        if first != "assessment":
            started.wait(10)
        with fresh_db.unit_of_work() as session:
            evaluator = session.get(type(s.evaluators[0]), evaluator_id)
            _assess(session, assignment.id, evaluator, clock)
            hold_then_commit(session, first == "assessment")

    assert _at_once(reopen, assessment, release=started) == []
    with fresh_db.unit_of_work() as session:
        evaluator = session.get(type(s.evaluators[0]), evaluator_id)
        assert session.scalar(select(Assignment.completed).where(Assignment.id == assignment.id)) is False
        assert _counts(session, evaluator, clock) == (1, 0)
        assessed = session.scalar(
            select(SecurityAssessment.status).where(SecurityAssessment.assignment_id == assignment.id)
        )
        assert assessed == ("reopened" if first == "assessment" else "submitted")


def test_migration_fills_stage_and_completion_of_the_assignments_that_exist(fresh_db: Database) -> None:
    clock = FrozenClock(DEFAULT_NOW)
    with fresh_db.unit_of_work() as session:
        s, (done, half, untouched) = _declared(session, clock, proposals=3)
        evaluator = s.evaluators[0]
        _score(session, done.id, evaluator, clock)
        _assess(session, done.id, evaluator, clock)
        _score(session, half.id, evaluator, clock)
        session.commit()
        expected = {done.id: True, half.id: False, untouched.id: False}
        stage_id = s.stage.id
    migrate.downgrade(fresh_db.engine, "0037")
    with fresh_db.engine.connect() as connection:
        columns = connection.execute(text("SELECT * FROM evaluation_assignment")).keys()
    assert "completed" not in columns and "stage_id" not in columns
    migrate.upgrade(fresh_db.engine)
    with fresh_db.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, stage_id, completed FROM evaluation_assignment")).all()
        # SQLite recreates the table (copy, drop, rename) both ways: the rows that refer to it are all still there.
        kept = [
            connection.scalar(text(f"SELECT count(*) FROM {table}"))
            for table in ("evaluation", "evaluation_score", "security_assessment", "conflict_declaration")
        ]
    assert {row.id: (row.stage_id, bool(row.completed)) for row in rows} == {
        key: (stage_id, value) for key, value in expected.items()
    }
    assert kept == [2, 4, 1, 3]


def test_assignment_is_found_by_its_own_stage_only(session: Session, clock: FrozenClock) -> None:
    """``stage_assignment`` (the coordinator's routes) checks the assignment's own stage."""
    s, (assignment,) = _declared(session, clock)
    assert stage_assignment(session, stage=s.stage, assignment_id=assignment.id).id == assignment.id
    other = ChallengeStage(
        challenge_id=s.challenge.id,
        key="second",
        position=9,
        opens_at=DEFAULT_NOW,
        deadline_at=DEFAULT_NOW,
        question_deadline_at=DEFAULT_NOW,
    )
    session.add(other)
    session.flush()
    with pytest.raises(NotFound):
        stage_assignment(session, stage=other, assignment_id=assignment.id)


def test_scores_submitted_at_once_are_stored_submitted_and_recorded_from_draft(
    session: Session, clock: FrozenClock
) -> None:
    from app.audit.models import AuditEvent
    from app.evaluations.models import Evaluation

    s, (first, second) = _declared(session, clock, proposals=2)
    evaluator = s.evaluators[0]
    _score(session, first.id, evaluator, clock)  # no draft before: inserted submitted
    opened = _opened(session, second.id, evaluator, clock)
    evaluator_service.save_evaluation(  # a draft first, then submitted: an update
        session, opened=opened, raw=RAW, assessed_trl="5", submit=False, actor=actor(evaluator), now=clock.now()
    )
    _score(session, second.id, evaluator, clock)
    session.commit()
    for assignment in (first, second):
        evaluation = session.scalar(select(Evaluation).where(Evaluation.assignment_id == assignment.id))
        assert evaluation is not None and evaluation.status == "submitted"
        submits = session.scalars(
            select(AuditEvent.data).where(
                AuditEvent.action == "evaluation.submit", AuditEvent.object_id == str(evaluation.id)
            )
        ).all()
        assert [(data["from"], data["to"]) for data in submits] == [("draft", "submitted")]


@pytest.mark.parametrize("half", ["scores", "assessment"])
def test_the_same_half_submitted_at_once_from_two_tabs_is_refused_once(fresh_db: Database, half: str) -> None:
    """The second tab waits for the first's commit, then reads the half as submitted and is refused with the
    form's message: no database error, one row, one submit event."""
    from app.audit.models import AuditEvent
    from app.errors import InvalidTransition

    clock = FrozenClock(DEFAULT_NOW)
    with fresh_db.unit_of_work() as session:
        s, (assignment,) = _declared(session, clock)
        evaluator_id = s.evaluators[0].id
    submit = _score if half == "scores" else _assess
    opened_first = threading.Event()
    outcomes: dict[str, Any] = {}

    def tab(name: str) -> None:
        try:
            if name == "second":
                opened_first.wait(10)
            with fresh_db.unit_of_work() as session:
                evaluator = session.get(type(s.evaluators[0]), evaluator_id)
                submit(session, assignment.id, evaluator, clock)
                if name == "first":
                    opened_first.set()  # submitted and flushed, not committed: the second tab submits now
                    threading.Event().wait(0.5)
                session.commit()
            outcomes[name] = "submitted"
        except InvalidTransition as refused:
            outcomes[name] = refused
        except BaseException as error:
            outcomes[name] = error
            opened_first.set()

    threads = [threading.Thread(target=tab, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert outcomes["first"] == "submitted"
    assert isinstance(outcomes["second"], InvalidTransition), outcomes["second"]
    action = "evaluation.submit" if half == "scores" else "security_assessment.submit"
    with fresh_db.unit_of_work() as session:
        assert len(session.scalars(select(AuditEvent.id).where(AuditEvent.action == action)).all()) == 1
