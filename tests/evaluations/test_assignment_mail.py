"""The e-mail that tells an evaluator of new assignments: one per assigning action (manual, automatic, CSV
import), in the evaluator's language, with a link to their queue and nothing about the companies."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.affiliations import service as affiliation_service
from app.evaluations.enums import AffiliationNature
from app.evaluations.pool import service as pool_service
from app.evaluations.schemas import AffiliationForm
from app.notifications.models import OutboxMessage
from tests.evaluations.helpers import Scenario, actor, after_deadline, build_scenario, post
from tests.factories import csrf, log_in

QUEUE_LINK = "http://testserver/evaluate"
NL_ONE = 'Aan u is 1 voorstel toegewezen om te beoordelen in de fase "Oplossingsschets" van de challenge "Testchallenge sensoren".'
NL_CONFLICT = "Per voorstel verklaart u eerst of u een belangenconflict hebt. Pas na die verklaring krijgt u het voorstel te zien."
EN_CONFLICT = "For each proposal you first declare whether you have a conflict of interest. Only after that declaration is the proposal shown to you."


def _nl_many(count: int) -> str:
    return (
        f'Aan u zijn {count} voorstellen toegewezen om te beoordelen in de fase "Oplossingsschets" '
        'van de challenge "Testchallenge sensoren".'
    )


def _en_many(count: int) -> str:
    return (
        f'You have been assigned {count} proposals to evaluate in the stage "Solution brief" '
        'of the challenge "Test challenge sensors".'
    )


def _mails(session: Session) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.template == "evaluation_assigned").order_by(OutboxMessage.id)
        )
    )


def _ready(client: TestClient, session: Session, clock: FrozenClock, s: Scenario) -> None:
    after_deadline(clock)
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
        )
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())


def _import(client: TestClient, s: Scenario, rows: list[tuple[str, str]]) -> object:
    text = "proposal,evaluator_email\r\n" + "".join(f"{ref},{email}\r\n" for ref, email in rows)
    return client.post(
        f"{s.base}/assignments/import",
        data={"csrf_token": csrf(client)},
        files={"file": ("a.csv", text.encode(), "text/csv")},
    )


def test_assignment_mail_manual_one_message_in_dutch(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    _ready(client, session, clock, s)
    evaluator = s.evaluators[0]
    response = post(client, f"{s.base}/assignments", {"proposal_id": s.proposals[0].id, "evaluator_id": evaluator.id})
    assert response.status_code == 303, response.text
    [mail] = _mails(session)
    assert (mail.to_address, mail.user_id, mail.language) == (evaluator.email, evaluator.id, "nl")
    assert mail.subject == "Voorstellen ter beoordeling voor Testchallenge sensoren"
    assert mail.body_text == f"{NL_ONE}\n\n{NL_CONFLICT}\n\nUw beoordelingen: {QUEUE_LINK}\n"
    # The evaluator declares before seeing content: the message names no company and no proposal.
    assert "Firma0" not in mail.body_text and s.proposals[0].reference not in mail.body_text


def test_assignment_mail_manual_in_the_evaluators_language(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    s.evaluators[0].language = "en"
    session.commit()
    _ready(client, session, clock, s)
    post(client, f"{s.base}/assignments", {"proposal_id": s.proposals[0].id, "evaluator_id": s.evaluators[0].id})
    [mail] = _mails(session)
    assert mail.language == "en"
    assert mail.subject == "Proposals to evaluate for Test challenge sensors"
    assert mail.body_text == (
        'You have been assigned 1 proposal to evaluate in the stage "Solution brief" of the challenge '
        f'"Test challenge sensors".\n\n{EN_CONFLICT}\n\nYour evaluation queue: {QUEUE_LINK}\n'
    )


def test_assignment_mail_not_sent_when_the_assignment_is_refused(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    form = AffiliationForm(
        organisation_name="Band B.V.", kvk_number=s.organisations[0].kvk_number, nature=AffiliationNature.EMPLOYMENT
    )
    affiliation_service.add_affiliation(
        session, user=s.evaluators[0], form=form, actor=actor(s.evaluators[0]), now=clock.now()
    )
    session.commit()
    _ready(client, session, clock, s)
    response = post(
        client, f"{s.base}/assignments", {"proposal_id": s.proposals[0].id, "evaluator_id": s.evaluators[0].id}
    )
    assert response.status_code == 422
    assert _mails(session) == []


def test_assignment_mail_auto_one_message_per_evaluator_with_their_count(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=4, evaluators=3)
    s.evaluators[2].language = "en"
    session.commit()
    _ready(client, session, clock, s)
    response = post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "3"})
    assert response.status_code == 303, response.text
    from app.evaluations.models import Assignment

    loads = {e.id: 0 for e in s.evaluators}
    for (evaluator_id,) in session.execute(select(Assignment.evaluator_id)).all():
        loads[evaluator_id] += 1
    mails = _mails(session)
    assert sorted(m.to_address for m in mails) == sorted(e.email for e in s.evaluators)
    by_address = {m.to_address: m for m in mails}
    for evaluator in s.evaluators[:2]:
        body = by_address[evaluator.email].body_text
        assert body == f"{_nl_many(loads[evaluator.id])}\n\n{NL_CONFLICT}\n\nUw beoordelingen: {QUEUE_LINK}\n"
    english = by_address[s.evaluators[2].email]
    assert english.body_text.startswith(_en_many(loads[s.evaluators[2].id]) + "\n\n" + EN_CONFLICT)
    # Run again: every proposal has its evaluators, nobody was given anything, nobody is told anything.
    assert (
        post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "3"}).status_code == 303
    )
    assert len(_mails(session)) == 3


def test_assignment_mail_csv_import_one_message_per_evaluator(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=3, evaluators=2)
    _ready(client, session, clock, s)
    first, second = s.evaluators
    rows = [(p.reference, first.email) for p in s.proposals] + [(s.proposals[0].reference, second.email)]
    response = _import(client, s, rows)
    assert response.status_code == 303, response.text  # type: ignore[attr-defined]
    mails = _mails(session)
    assert [m.to_address for m in mails] == [first.email, second.email]
    assert mails[0].body_text == f"{_nl_many(3)}\n\n{NL_CONFLICT}\n\nUw beoordelingen: {QUEUE_LINK}\n"
    assert mails[1].body_text == f"{NL_ONE}\n\n{NL_CONFLICT}\n\nUw beoordelingen: {QUEUE_LINK}\n"


def test_assignment_mail_csv_import_refused_sends_nothing(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    _ready(client, session, clock, s)
    response = _import(client, s, [(s.proposals[0].reference, s.evaluators[0].email), ("P-999999", "x@example.nl")])
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert _mails(session) == []
