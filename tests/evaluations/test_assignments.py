"""Affiliations, eligibility, the pool and assignments: manual, automatic and by CSV; known conflicts block."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.affiliations import service as affiliation_service
from app.evaluations.assignments import service as assignment_service
from app.evaluations.enums import AffiliationNature
from app.evaluations.models import Assignment, EligibilityDecision, EvaluatorAffiliation
from app.evaluations.pool import service as pool_service
from app.evaluations.schemas import AffiliationForm
from app.notifications.models import OutboxMessage
from tests.evaluations.helpers import Scenario, actor, after_deadline, build_scenario, post
from tests.factories import LINKS, log_in
from tests.markup import without_labels


def _pool(session: Session, s: Scenario, clock: FrozenClock) -> None:
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
        )
    session.commit()


def _affiliate(session: Session, user: object, kvk: str, *, until: date | None = None, now: FrozenClock) -> None:
    form = AffiliationForm(
        organisation_name="Band B.V.", kvk_number=kvk, nature=AffiliationNature.EMPLOYMENT, valid_until=until
    )
    affiliation_service.add_affiliation(session, user=user, form=form, actor=actor(user), now=now.now())  # type: ignore[arg-type]
    session.commit()


def test_affiliation_page_adds_validates_and_removes(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=0, evaluators=1)
    log_in(client, session, s.evaluators[0], now=clock.now())
    bad = post(client, "/account/affiliations", {"organisation_name": "Zonder Nummer B.V.", "nature": "advisory"})
    assert bad.status_code == 422
    assert "Geef het KvK-nummer, of het land en registratienummer van de organisatie." in bad.text
    assert 'value="Zonder Nummer B.V."' in bad.text
    wrong_kvk = post(
        client, "/account/affiliations", {"organisation_name": "X", "kvk_number": "123", "nature": "advisory"}
    )
    assert wrong_kvk.status_code == 422
    good = post(
        client,
        "/account/affiliations",
        {
            "organisation_name": "Firma0 Drone Systems B.V.",
            "kvk_number": "1000 0000",
            "nature": "shareholding",
            "valid_from": "2020-01-01",
        },
    )
    assert good.status_code == 303
    affiliation = session.scalar(select(EvaluatorAffiliation))
    assert (affiliation.kvk_number, affiliation.nature, affiliation.valid_from) == (
        "10000000",
        "shareholding",
        date(2020, 1, 1),
    )
    foreign = post(
        client,
        "/account/affiliations",
        {"organisation_name": "Deutsche Drohnen GmbH", "country": "DE", "registry_id": "HRB 12345", "nature": "family"},
    )
    assert foreign.status_code == 303
    page = client.get("/account/affiliations")
    assert "Deutsche Drohnen GmbH" in page.text and "Aandelenbezit" in page.text
    affiliation_id = affiliation.id
    assert post(client, f"/account/affiliations/{affiliation_id}/remove").status_code == 303
    session.expire_all()
    assert session.get(EvaluatorAffiliation, affiliation_id) is None


def test_other_evaluator_cannot_remove_my_affiliation(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=0, evaluators=2)
    _affiliate(session, s.evaluators[0], "10000000", now=clock)
    affiliation = session.scalar(select(EvaluatorAffiliation))
    log_in(client, session, s.evaluators[1], now=clock.now())
    assert post(client, f"/account/affiliations/{affiliation.id}/remove").status_code == 404
    assert "Band B.V." not in client.get("/account/affiliations").text
    assert session.get(EvaluatorAffiliation, affiliation.id) is not None


def test_known_conflict_blocks_manual_assignment(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    _affiliate(session, s.evaluators[0], s.organisations[0].kvk_number or "", now=clock)
    _pool(session, s, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(
        client, f"{s.base}/assignments", {"proposal_id": s.proposals[0].id, "evaluator_id": s.evaluators[0].id}
    )
    assert response.status_code == 422
    assert "Deze beoordelaar heeft een bekend belangenconflict met dit consortium." in response.text
    assert session.scalar(select(Assignment)) is None


def test_conflict_with_a_partner_blocks_and_old_tie_does_not(session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=0, evaluators=2)
    from tests.evaluations.helpers import make_organisation, submit_proposal

    lead = make_organisation(session, name="Lead B.V.", kvk="20202020")
    partner = {
        "organisation_id": None,
        "legal_name": "Partner GmbH",
        "kvk_number": None,
        "country": "DE",
        "registry_id": "HRB 999",
        "role": "sensor",
        "share": 30,
    }
    proposal = submit_proposal(session, challenge=s.challenge, organisation=lead, partners=[partner])
    after_deadline(clock)
    form = AffiliationForm(
        organisation_name="Partner GmbH", country="DE", registry_id="hrb999", nature=AffiliationNature.ADVISORY
    )
    affiliation_service.add_affiliation(
        session, user=s.evaluators[0], form=form, actor=actor(s.evaluators[0]), now=clock.now()
    )
    _affiliate(session, s.evaluators[1], "20202020", until=date(2020, 1, 1), now=clock)  # ended more than 3 years ago
    _pool(session, s, clock)
    from app.errors import ValidationFailed

    try:
        assignment_service.assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            evaluator_id=s.evaluators[0].id,
            actor=actor(s.coordinator),
            now=clock.now(),
            links=LINKS,
        )
        raise AssertionError("a conflict with a partner must block the assignment")
    except ValidationFailed as failed:
        assert [e.path for e in failed.errors] == ["evaluator_id"]
    assignment = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=proposal.id,
        evaluator_id=s.evaluators[1].id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    assert assignment.evaluator_id == s.evaluators[1].id


def test_auto_assignment_balances_and_avoids_conflicts(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=4, evaluators=3)
    after_deadline(clock)
    _affiliate(session, s.evaluators[0], s.organisations[0].kvk_number or "", now=clock)
    _pool(session, s, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "3"})
    assert response.status_code == 303, response.text
    pairs = session.execute(select(Assignment.proposal_id, Assignment.evaluator_id)).all()
    assert len(pairs) == 8
    assert (s.proposals[0].id, s.evaluators[0].id) not in pairs
    loads = sorted(sum(1 for _, e in pairs if e == evaluator.id) for evaluator in s.evaluators)
    assert loads == [2, 3, 3]
    # The same request again changes nothing: every proposal already has its evaluators.
    assert (
        post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "3"}).status_code == 303
    )
    assert len(session.execute(select(Assignment.id)).all()) == 8


def test_auto_assignment_reports_shortfall(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=2, evaluators=1)
    after_deadline(clock)
    _pool(session, s, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "5"})
    assert response.status_code == 200
    assert "2 toewijzingen gemaakt; sommige voorstellen hebben te weinig beoordelaars." in response.text


def test_auto_assignment_needs_a_pool(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(client, f"{s.base}/assignments/auto", {"per_proposal": "0", "max_per_evaluator": "5"})
    assert response.status_code == 422
    response = post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "5"})
    assert response.status_code == 422
    assert "Voeg eerst beoordelaars aan de pool toe." in response.text


def test_csv_export_and_import_round_trip(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=2, evaluators=2)
    after_deadline(clock)
    _pool(session, s, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    csv_text = f"proposal,evaluator_email\r\n{s.proposals[0].reference},{s.evaluators[0].email}\r\n{s.proposals[1].reference},{s.evaluators[1].email.upper()}\r\n"
    url = f"{s.base}/assignments/import"
    from tests.factories import csrf

    response = client.post(
        url, data={"csrf_token": csrf(client)}, files={"file": ("a.csv", csv_text.encode(), "text/csv")}
    )
    assert response.status_code == 303, response.text
    exported = client.get(f"{s.base}/assignments.csv")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment;")
    assert exported.content.decode("utf-8-sig").splitlines() == [
        "proposal,evaluator_email",
        *sorted(  # sorted by reference
            [
                f"{s.proposals[0].reference},{s.evaluators[0].email}",
                f"{s.proposals[1].reference},{s.evaluators[1].email}",
            ]
        ),
    ]


def test_csv_import_with_bad_rows_imports_nothing(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    _pool(session, s, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    from tests.factories import csrf

    csv_text = (
        f"proposal,evaluator_email\n{s.proposals[0].reference},{s.evaluators[0].email}\nP-999999,nobody@example.nl\n"
    )
    response = client.post(
        f"{s.base}/assignments/import",
        data={"csrf_token": csrf(client)},
        files={"file": ("a.csv", csv_text.encode(), "text/csv")},
    )
    assert response.status_code == 422
    assert "P-999999" in response.text
    assert session.scalar(select(Assignment)) is None


def test_inadmissible_needs_reason_tells_company_and_is_not_assigned(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2, evaluators=2)
    after_deadline(clock)
    _pool(session, s, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    url = f"{s.base}/eligibility/{s.proposals[0].id}"
    missing = post(client, url, {"admissible": "no", "reason": ""})
    assert missing.status_code == 422
    assert "Geef de reden waarom het voorstel niet ontvankelijk is." in missing.text
    assert post(client, url, {"admissible": "no", "reason": "Geen Nederlandse vestiging."}).status_code == 303
    decision = session.get(EligibilityDecision, s.proposals[0].id)
    assert (decision.admissible, decision.reason, decision.decided_by_id) == (
        False,
        "Geen Nederlandse vestiging.",
        s.coordinator.id,
    )
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.template == "evaluation_eligibility"))
    assert mail.to_address == s.companies[0].email
    assert "Geen Nederlandse vestiging." in mail.body_text
    assert (
        post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "5"}).status_code == 303
    )
    assert {p for (p,) in session.execute(select(Assignment.proposal_id)).all()} == {s.proposals[1].id}


def test_progress_per_evaluator_and_removing_an_assignment(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2, evaluators=1)
    after_deadline(clock)
    _pool(session, s, clock)
    evaluator = s.evaluators[0]
    first = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[0].id,
        evaluator_id=evaluator.id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    second = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[1].id,
        evaluator_id=evaluator.id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    log_in(client, session, evaluator, now=clock.now())
    post(client, f"/evaluate/assignments/{first.id}/declaration", {"has_conflict": "none"})
    post(client, f"/evaluate/assignments/{first.id}/scores", {"action": "save", "score_effect": "1"})
    log_in(client, session, s.coordinator, now=clock.now())
    page = without_labels(client.get(f"{s.base}/assignments").text)
    row = page[page.index(f'<th scope="row">{evaluator.name}</th>') :].split("</tr>")[0]
    assert [cell.split("</td>")[0] for cell in row.split("<td>")[2:7]] == ["2", "1", "0", "1", "0"]
    second_id = second.id
    assert post(client, f"{s.base}/assignments/{second_id}/remove").status_code == 303
    session.expire_all()
    assert session.get(Assignment, second_id) is None
    assert post(client, f"{s.base}/pool/{evaluator.id}/remove").status_code == 303
    assert pool_service.list_pool(session, challenge_id=s.challenge.id) == []
