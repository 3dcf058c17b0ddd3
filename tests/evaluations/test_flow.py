"""The evaluation from eligibility to released decisions, over HTTP, as coordinators, evaluators and companies."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.clock import FrozenClock
from app.evaluations.models import Assignment, Decision, EligibilityDecision, Evaluation
from app.notifications.models import OutboxMessage
from app.proposals.models import Proposal
from tests.evaluations.helpers import Scenario, after_deadline, build_scenario, post
from tests.factories import log_in


def _scores(definition_keys: list[str], values: list[int], action: str = "submit", trl: str = "5") -> dict[str, Any]:
    data: dict[str, Any] = {"action": action, "assessed_trl": trl}
    for key, value in zip(definition_keys, values, strict=True):
        data[f"score_{key}"] = str(value)
        data[f"justification_{key}"] = f"Motivering voor {key}: {value}."
    return data


def _actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def _assign_all(client: TestClient, session: Session, s: Scenario) -> None:
    log_in(client, session, s.coordinator, now=client.app.state.clock.now())  # type: ignore[attr-defined]
    for evaluator in s.evaluators:
        assert post(client, f"{s.base}/pool", {"evaluator_id": evaluator.id}).status_code == 303
    response = post(client, f"{s.base}/assignments/auto", {"per_proposal": "2", "max_per_evaluator": "10"})
    assert response.status_code == 303, response.text


def test_flow_from_eligibility_to_released_decision(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=2, evaluators=3)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    # Eligibility: both admissible; each company told.
    for proposal in s.proposals:
        response = post(client, f"{s.base}/eligibility/{proposal.id}", {"admissible": "yes", "reason": ""})
        assert response.status_code == 303, response.text
    assert session.scalar(
        select(EligibilityDecision).where(EligibilityDecision.proposal_id == s.proposals[0].id)
    ).admissible
    assert session.scalars(select(OutboxMessage.template)).all().count("evaluation_eligibility") == 2

    _assign_all(client, session, s)
    assignments = session.scalars(select(Assignment).order_by(Assignment.id)).all()
    assert len(assignments) == 4
    page = client.get(f"{s.base}/assignments")
    assert page.status_code == 200
    assert "Firma0 Drone Systems B.V." in page.text

    keys = ["effect", "safety"]
    p0 = s.proposals[0]
    on_p0 = [a for a in assignments if a.proposal_id == p0.id]
    first, second = on_p0
    evaluators = {e.id: e for e in s.evaluators}

    # The first evaluator declares no conflict and scores 2, 2; the second declares and scores 0, 1.
    log_in(client, session, evaluators[first.evaluator_id], now=clock.now())
    declaration = client.get(f"/evaluate/assignments/{first.id}")
    assert declaration.status_code == 200
    assert "Motivering" not in declaration.text and "passieve radar" not in declaration.text
    assert post(client, f"/evaluate/assignments/{first.id}/declaration", {"has_conflict": "none"}).status_code == 303
    content = client.get(f"/evaluate/assignments/{first.id}")
    assert "passieve radar" in content.text
    response = post(client, f"/evaluate/assignments/{first.id}/scores", _scores(keys, [2, 2]))
    assert response.status_code == 303, response.text

    log_in(client, session, evaluators[second.evaluator_id], now=clock.now())
    assert post(client, f"/evaluate/assignments/{second.id}/declaration", {"has_conflict": "none"}).status_code == 303
    before = client.get(f"/evaluate/assignments/{second.id}")
    assert "Motivering voor effect: 2." not in before.text  # independence: not before submitting one's own
    assert post(client, f"/evaluate/assignments/{second.id}/scores", _scores(keys, [0, 1])).status_code == 303
    after = client.get(f"/evaluate/assignments/{second.id}")
    assert "Motivering voor effect: 2." in after.text
    assert evaluators[first.evaluator_id].name not in after.text

    # The coordinator sees the disagreement on "effect" (range 2 on a 0-2 scale), records consensus, decides.
    log_in(client, session, s.coordinator, now=clock.now())
    results = client.get(f"{s.base}/results")
    assert results.status_code == 200
    assert "Disagreement" in results.text or "Verschil van oordeel" in results.text
    consensus = {
        "score_effect": "1",
        "rationale_effect": "Gemiddeld.",
        "score_safety": "2",
        "rationale_safety": "Veilig.",
    }
    assert post(client, f"{s.base}/proposals/{p0.id}/consensus", consensus).status_code == 303
    p1 = s.proposals[1]
    consensus_p1 = {
        "score_effect": "2",
        "rationale_effect": "Sterk.",
        "score_safety": "0",
        "rationale_safety": "Onveilig.",
    }
    assert post(client, f"{s.base}/proposals/{p1.id}/consensus", consensus_p1).status_code == 303
    ranked = client.get(f"{s.base}/results").text
    assert "below its minimum" in ranked or "onder het minimum" in ranked  # safety 0 < minimum 1: knocked out

    feedback = "Sterk voorstel; de veiligheid is goed onderbouwd."
    assert (
        post(client, f"{s.base}/proposals/{p0.id}/decision", {"outcome": "award", "feedback": feedback}).status_code
        == 303
    )
    assert (
        post(
            client, f"{s.base}/proposals/{p1.id}/decision", {"outcome": "reject", "feedback": "Onvoldoende veilig."}
        ).status_code
        == 303
    )

    # The company sees nothing before release.
    log_in(client, session, s.companies[0], now=clock.now())
    assert client.get(f"/proposals/{p0.id}/decision").status_code == 404
    assert f'href="/proposals/{p0.id}/decision"' not in client.get(f"/proposals/{p0.id}").text

    log_in(client, session, s.coordinator, now=clock.now())
    refused = post(client, f"{s.base}/decisions/release")
    assert refused.status_code == 422  # not reviewed yet
    assert session.scalar(select(Decision.status).where(Decision.proposal_id == p0.id)) == "prepared"
    assert post(client, f"{s.base}/decisions/review").status_code == 303
    assert post(client, f"{s.base}/decisions/release").status_code == 303
    mails = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "decision_released")).all()
    assert sorted(m.to_address for m in mails) == ["company0@firm0.example", "company1@firm1.example"]
    for mail in mails:
        for evaluator in s.evaluators:
            assert evaluator.name not in mail.body_text and evaluator.email not in mail.body_text
    assert feedback in next(m.body_text for m in mails if m.to_address == "company0@firm0.example")

    log_in(client, session, s.companies[0], now=clock.now())
    # Its proposal page links to the decision (the release wrote the proposal's decision_released_at).
    assert f'href="/proposals/{p0.id}/decision"' in client.get(f"/proposals/{p0.id}").text
    session.expire_all()
    assert session.get(Proposal, p0.id).decision_released_at == clock.now()
    decision = client.get(f"/proposals/{p0.id}/decision")
    assert decision.status_code == 200
    assert feedback in decision.text and "Gemiddeld." in decision.text
    assert client.get(f"/proposals/{p1.id}/decision").status_code == 404  # another company's decision

    actions = _actions(session)
    for action in (
        "proposal.eligibility",
        "evaluation.pool_add",
        "assignment.auto",
        "assignment.declare",
        "evaluation.submit",
        "consensus.record",
        "decision.prepare",
        "decision.review",
        "decision.release",
    ):
        assert action in actions, action
    assert session.scalar(select(Evaluation.status).where(Evaluation.assignment_id == first.id)) == "submitted"


def test_eligibility_shows_a_proposal_not_re_confirmed_after_a_correction(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2, evaluators=1)
    s.proposals[0].reconfirmation_required_at = clock.now()
    session.commit()
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/eligibility")
    assert page.status_code == 200
    assert page.text.count("Niet opnieuw bevestigd: de challenge is op") == 1
    refused = post(client, f"{s.base}/eligibility/{s.proposals[0].id}", {"admissible": "no", "reason": ""})
    assert refused.status_code == 422
    decided = post(
        client, f"{s.base}/eligibility/{s.proposals[0].id}", {"admissible": "no", "reason": "Niet herbevestigd."}
    )
    assert decided.status_code == 303
