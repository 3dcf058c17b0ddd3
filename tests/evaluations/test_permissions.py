"""Who sees what: sealed before the deadline, only one's own assignments, only the challenge's coordinators,
only after the declaration, others' scores only after one's own, decisions only after release."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations import service as evaluation_service
from app.evaluations.assignments import service as assignment_service
from app.evaluations.models import Assignment, Evaluation
from app.evaluations.pool import service as pool_service
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.security import service as security_service
from app.i18n import translate
from tests.evaluations.helpers import actor, after_deadline, build_scenario, post
from tests.evaluations.test_decisions import _score
from tests.factories import LINKS, create_user, log_in

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")


def _assign(session: Session, s, evaluator, proposal, clock: FrozenClock) -> Assignment:  # type: ignore[no-untyped-def]
    pool_service.add_to_pool(
        session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
    )
    assignment = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=proposal.id,
        evaluator_id=evaluator.id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    return assignment


def test_coordinator_pages_before_deadline_are_not_found(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2)
    log_in(client, session, s.coordinator, now=clock.now())
    overview = client.get(f"/manage/challenges/{s.challenge.slug}/evaluation")
    assert overview.status_code == 200
    assert "Firma0" not in overview.text
    for path in (
        "/eligibility",
        "/assignments",
        "/results",
        "/calibration",
        "/decisions",
        f"/proposals/{s.proposals[0].id}",
        "/export.csv",
    ):
        response = client.get(s.base + path)
        assert response.status_code == 404, path
        assert "Firma0" not in response.text
    assert client.get(f"/manage/challenges/{s.challenge.slug}/evaluation/route").status_code == 404
    assert post(client, f"{s.base}/eligibility/{s.proposals[0].id}", {"admissible": "yes"}).status_code == 404


def test_evaluator_assignment_before_deadline_is_not_found(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    assignment = _assign(session, s, s.evaluators[0], s.proposals[0], clock)
    clock.set(s.stage.deadline_at - timedelta(seconds=1))  # one second before the deadline
    log_in(client, session, s.evaluators[0], now=clock.now())
    queue = client.get("/evaluate")
    assert queue.status_code == 200
    assert s.proposals[0].reference not in queue.text
    response = client.get(f"/evaluate/assignments/{assignment.id}")
    assert response.status_code == 404
    assert "Firma0" not in response.text


def test_evaluator_not_assigned_gets_not_found_and_no_title(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    assignment = _assign(session, s, s.evaluators[0], s.proposals[0], clock)
    log_in(client, session, s.evaluators[1], now=clock.now())
    for path in ("", "/security", "/documents/brief"):
        response = client.get(f"/evaluate/assignments/{assignment.id}{path}")
        assert response.status_code == 404, path
        assert "Firma0" not in response.text and s.proposals[0].reference not in response.text
    refused = post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"})
    assert refused.status_code == 404
    assert session.get(Assignment, assignment.id).status == "assigned"
    assert s.proposals[0].reference not in client.get("/evaluate").text


def test_coordinator_of_another_challenge_gets_not_found(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    other = create_user(session, email="other-coco@mindef.example", roles=("coordinator",))
    log_in(client, session, other, now=clock.now())
    for path in ("/assignments", "/results", f"/proposals/{s.proposals[0].id}"):
        response = client.get(s.base + path)
        assert response.status_code == 404
        assert "Firma0" not in response.text
    assert client.get(f"/manage/challenges/{s.challenge.slug}/evaluation").status_code == 404


def test_company_and_evaluator_cannot_reach_coordinator_pages(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    for user in (s.companies[0], s.evaluators[0]):
        log_in(client, session, user, now=clock.now())
        response = client.get(s.base + "/results")
        assert response.status_code == 404
        assert "Firma0" not in response.text


def test_company_cannot_reach_evaluator_pages(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    assignment = _assign(session, s, s.evaluators[0], s.proposals[0], clock)
    log_in(client, session, s.companies[0], now=clock.now())
    assert client.get("/evaluate").status_code == 404
    assert client.get(f"/evaluate/assignments/{assignment.id}").status_code == 404
    assert client.get("/account/affiliations").status_code == 404


def test_content_hidden_until_declaration(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    assignment = _assign(session, s, s.evaluators[0], s.proposals[0], clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    page = client.get(f"/evaluate/assignments/{assignment.id}")
    assert page.status_code == 200
    assert "passieve radar" not in page.text
    assert client.get(f"/evaluate/assignments/{assignment.id}/security").status_code == 404
    assert client.get(f"/evaluate/assignments/{assignment.id}/documents/brief").status_code == 404
    refused = post(client, f"/evaluate/assignments/{assignment.id}/scores", {"action": "save", "score_effect": "1"})
    assert refused.status_code == 404
    assert session.get(Assignment, assignment.id).evaluation is None


def test_decision_of_another_organisation_is_not_found(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2)
    after_deadline(clock)
    log_in(client, session, s.companies[1], now=clock.now())
    response = client.get(f"/proposals/{s.proposals[0].id}/decision")
    assert response.status_code == 404
    assert "Firma0" not in response.text


@pytest.mark.parametrize("state", ["draft", "reopened"])
def test_evaluator_with_a_draft_or_reopened_evaluation_does_not_see_the_others(
    client: TestClient, session: Session, clock: FrozenClock, state: str
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 1)]})  # the first evaluator submits "Effect-tekst." and "Veiligheid-tekst."
    first = evaluation_service.assignments_for_stage(session, stage_id=s.stage.id)[0]
    opened = evaluator_service.open_assignment(session, assignment_id=first.id, user=s.evaluators[0], now=clock.now())
    factors = {f: {"rating": "high", "justification": "Hoog volgens A."} for f in FACTORS}
    security_service.save_assessment(
        session, opened=opened, factors=factors, submit=True, actor=actor(s.evaluators[0]), now=clock.now()
    )
    session.commit()
    second = _assign(session, s, s.evaluators[1], s.proposals[0], clock)
    log_in(client, session, s.evaluators[1], now=clock.now())
    page_url = f"/evaluate/assignments/{second.id}"
    assert post(client, f"{page_url}/declaration", {"has_conflict": "none"}).status_code == 303
    own = {"score_effect": "0", "justification_effect": "Eigen oordeel B.", "score_safety": "1"}
    own |= {"justification_safety": "Ok.", "assessed_trl": "3"}
    others = ("Effect-tekst.", "Veiligheid-tekst.", translate("nl", "The other evaluators' scores"))
    if state == "draft":
        assert post(client, f"{page_url}/scores", {**own, "action": "save"}).status_code == 303
    else:
        assert post(client, f"{page_url}/scores", {**own, "action": "submit"}).status_code == 303
        assert all(text in client.get(page_url).text for text in others)  # seen once submitted
        evaluation = session.scalars(select(Evaluation).where(Evaluation.assignment_id == second.id)).one()
        log_in(client, session, s.coordinator, now=clock.now())
        reopen = post(client, f"{s.base}/evaluations/{evaluation.id}/reopen", {"reason": "Graag herzien."})
        assert reopen.status_code == 303
        log_in(client, session, s.evaluators[1], now=clock.now())
    page = client.get(page_url)
    assert page.status_code == 200
    assert "Eigen oordeel B." in page.text
    assert [text for text in others if text in page.text] == []
    if state == "draft":  # the same page shows them once the evaluator submits
        assert post(client, f"{page_url}/scores", {**own, "action": "submit"}).status_code == 303
        assert all(text in client.get(page_url).text for text in others)
