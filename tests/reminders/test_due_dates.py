"""The due date of a stage's evaluation: set by its coordinators on the assignments page (validated), named in
the evaluators' e-mails, reminded two days before (once), and overdue assignments listed for the coordinators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.accounts.reminders import service as reminder_service
from app.clock import FrozenClock
from app.evaluations.assignments import service as assignment_service
from app.evaluations.deadlines.reminders import send_due_reminders
from app.evaluations.deadlines.service import get_due_date
from app.evaluations.enums import EVALUATION_MACHINE, EvaluationStatus
from app.evaluations.models import Evaluation
from app.evaluations.pool import service as pool_service
from tests.evaluations.helpers import Scenario, actor, after_deadline, build_scenario, post
from tests.factories import LINKS, log_in
from tests.markup import without_labels
from tests.reminders.helpers import mails

# Due on 10 March 2027: overdue from 11 March 00:00 CET (10 March 23:00 UTC), reminded from two days before.
DUE_AT = datetime(2027, 3, 10, 23, 0, tzinfo=UTC)


def _assigned(session: Session, clock: FrozenClock, *, evaluators: int = 2) -> Scenario:
    s = build_scenario(session, proposals=2, evaluators=evaluators)
    after_deadline(clock)
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
        )
    for proposal in s.proposals:
        assignment_service.assign_many(
            session,
            challenge=s.challenge,
            stage=s.stage,
            pairs=[(proposal.id, e.id) for e in s.evaluators],
            actor=actor(s.coordinator),
            now=clock.now(),
            source="test",
            links=LINKS,
        )
    session.commit()
    return s


def _set_due(client: TestClient, session: Session, clock: FrozenClock, s: Scenario, day: str) -> object:
    log_in(client, session, s.coordinator, now=clock.now())
    return post(client, f"{s.base}/due-date", {"due_on": day})


def test_due_date_set_by_the_coordinator_tells_evaluators(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _assigned(session, clock)
    response = _set_due(client, session, clock, s, "2027-03-10")
    assert response.status_code == 303, response.text
    due = get_due_date(session, stage_id=s.stage.id)
    assert due is not None and (due.due_on.isoformat(), due.due_at) == ("2027-03-10", DUE_AT)
    sent = mails(session, "evaluation_due_date")
    assert [m.to_address for m in sent] == [e.email for e in s.evaluators]
    assert sent[0].subject == "Uiterste datum voor uw beoordelingen: Testchallenge sensoren"
    assert "U moet nog 2 voorstellen beoordelen." in sent[0].body_text
    assert "uiterlijk 10 maart 2027 klaar zijn" in sent[0].body_text
    page = client.get(f"{s.base}/assignments")
    assert "10 maart 2027" in page.text and 'value="2027-03-10"' in page.text


def test_due_date_bad_input_gets_a_message_next_to_the_field(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _assigned(session, clock)
    for day, message in [
        ("10-03-2027", "Vul de uiterste datum in als datum, bijvoorbeeld 2027-03-15."),
        ("2027-02-28", "De uiterste datum kan niet vóór vandaag liggen."),
        ("2028-06-01", "De uiterste datum moet binnen een jaar na vandaag liggen."),
    ]:
        response = _set_due(client, session, clock, s, day)
        assert response.status_code == 422
        label = response.text.split('<label for="due_on">', 1)[1].split("<", 1)[0]
        assert f'<a href="#due_on">{label}: {message}</a>' in response.text
    assert get_due_date(session, stage_id=s.stage.id) is None


def test_due_date_an_evaluator_cannot_set_it(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = _assigned(session, clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    response = post(client, f"{s.base}/due-date", {"due_on": "2027-03-10"})
    assert response.status_code == 404
    assert get_due_date(session, stage_id=s.stage.id) is None


def test_assignment_mail_names_the_due_date_once_set(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = _assigned(session, clock, evaluators=1)
    _set_due(client, session, clock, s, "2027-03-10")
    extra = build_scenario(session, proposals=0, evaluators=1, prefix="x")
    pool_service.add_to_pool(
        session, challenge=s.challenge, user_id=extra.evaluators[0].id, actor=actor(s.coordinator), now=clock.now()
    )
    session.commit()
    response = post(
        client, f"{s.base}/assignments", {"proposal_id": s.proposals[0].id, "evaluator_id": extra.evaluators[0].id}
    )
    assert response.status_code == 303, response.text
    mail = mails(session, "evaluation_assigned")[-1]
    assert mail.to_address == extra.evaluators[0].email
    assert (
        "Uw beoordelingen moeten uiterlijk 10 maart 2027 klaar zijn (einde van de dag, Amsterdamse tijd)."
        in mail.body_text
    )


def test_due_reminders_once_two_days_before_and_not_after(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _assigned(session, clock)
    _set_due(client, session, clock, s, "2027-03-10")
    runs = []
    for moment in (
        DUE_AT - timedelta(days=2, minutes=1),
        DUE_AT - timedelta(days=2),
        DUE_AT - timedelta(hours=1),
        DUE_AT,
    ):
        runs.append(send_due_reminders(session, now=moment, links=LINKS))
        session.commit()
    assert runs == [0, 2, 0, 0]
    sent = mails(session, "evaluation_due_reminder")
    assert [m.to_address for m in sent] == [e.email for e in s.evaluators]
    assert sent[0].subject == "Herinnering: beoordelingen uiterlijk 10 maart 2027"
    assert "Herinneringen zet u uit op uw accountpagina: http://testserver/account" in sent[0].body_text


def test_due_reminders_none_when_submitted_or_switched_off(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _assigned(session, clock)
    _set_due(client, session, clock, s, "2027-03-10")
    first, second = s.evaluators
    for assignment in [a for a in _assignments(session, s) if a.evaluator_id == first.id]:
        now = clock.now()
        evaluation = Evaluation(
            assignment_id=assignment.id, status=EvaluationStatus.DRAFT.value, created_at=now, updated_at=now
        )
        session.add(evaluation)
        session.flush()
        EVALUATION_MACHINE.move(session, evaluation, EvaluationStatus.SUBMITTED, actor=actor(first), now=clock.now())
    reminder_service.set_reminders(session, user=second, enabled=False, actor=actor(second), now=clock.now())
    session.commit()
    assert send_due_reminders(session, now=DUE_AT - timedelta(days=1), links=LINKS) == 0
    assert mails(session, "evaluation_due_reminder") == []


def _assignments(session: Session, s: Scenario) -> list:  # type: ignore[type-arg]
    from app.evaluations import service as evaluation_service

    return evaluation_service.assignments_for_stage(session, stage_id=s.stage.id)


def test_overdue_assignments_listed_for_the_coordinator(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _assigned(session, clock, evaluators=1)
    _set_due(client, session, clock, s, "2027-03-10")
    before = client.get(f"{s.base}/assignments")
    assert "Te late beoordelingen" not in before.text
    clock.set(DUE_AT)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/assignments")
    assert page.status_code == 200
    assert "Te late beoordelingen" in page.text
    for proposal in s.proposals:
        row = (
            f'<tr><th scope="row">{s.evaluators[0].name}</th><td>{s.evaluators[0].email}</td>'
            f'<td>{proposal.reference}</td><td>10 maart 2027</td><td><strong class="badge">Te laat</strong></td></tr>'
        )
        assert row in without_labels(page.text)
