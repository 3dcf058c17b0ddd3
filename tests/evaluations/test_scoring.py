"""Scoring by evaluators: the declaration first, the form from the criteria, refusals that lose nothing,
submit locks, reopen with a reason, the security assessment, blind scoring, documents."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import verify_chain
from app.clock import FrozenClock
from app.evaluations.assignments import service as assignment_service
from app.evaluations.models import Assignment, Evaluation, SecurityAssessment
from app.evaluations.pool import service as pool_service
from app.notifications.models import OutboxMessage
from tests.evaluations.helpers import Scenario, actor, after_deadline, build_scenario, post, submit_proposal
from tests.factories import LINKS, log_in


def _assigned(
    session: Session, s: Scenario, clock: FrozenClock, evaluator_index: int = 0, proposal_index: int = 0
) -> Assignment:
    evaluator = s.evaluators[evaluator_index]
    pool_service.add_to_pool(
        session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
    )
    assignment = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[proposal_index].id,
        evaluator_id=evaluator.id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    return assignment


def _declared(client: TestClient, session: Session, clock: FrozenClock, **kwargs: Any) -> tuple[Scenario, Assignment]:
    s = build_scenario(session, proposals=kwargs.pop("proposals", 1), **kwargs)
    after_deadline(clock)
    assignment = _assigned(session, s, clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    assert (
        post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"}).status_code == 303
    )
    return s, assignment


def test_score_form_shows_scale_descriptors_answers_and_claimed_trl(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    _s, assignment = _declared(client, session, clock)
    page = client.get(f"/evaluate/assignments/{assignment.id}")
    assert page.status_code == 200
    for text in ("Beschrijving 0", "Beschrijving 2", "Niveau 1", "passieve radar", "Veiligheid", "gewicht 40%"):
        assert text in page.text, text
    assert 'name="score_effect"' in page.text and 'name="justification_safety"' in page.text
    assert "het bedrijf gaf 5 op" in page.text


def test_score_out_of_scale_is_refused_and_input_kept(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _s, assignment = _declared(client, session, clock)
    data = {
        "action": "save",
        "score_effect": "7",
        "justification_effect": "Mijn zorgvuldige tekst.",
        "score_safety": "1",
    }
    response = post(client, f"/evaluate/assignments/{assignment.id}/scores", data)
    assert response.status_code == 422
    assert "Kies een score van 0 tot en met 2." in response.text
    assert "Mijn zorgvuldige tekst." in response.text
    assert session.scalar(select(Evaluation).where(Evaluation.assignment_id == assignment.id)) is None


def test_submit_requires_every_justification(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _s, assignment = _declared(client, session, clock)
    data = {
        "action": "submit",
        "score_effect": "2",
        "justification_effect": "Goed.",
        "score_safety": "1",
        "assessed_trl": "4",
    }
    response = post(client, f"/evaluate/assignments/{assignment.id}/scores", data)
    assert response.status_code == 422
    assert "Geef een onderbouwing voor deze score." in response.text
    assert 'value="2" checked' in response.text and "Goed." in response.text


def test_draft_saves_partial_scores_then_submit_locks(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _s, assignment = _declared(client, session, clock)
    url = f"/evaluate/assignments/{assignment.id}/scores"
    assert (
        post(client, url, {"action": "save", "score_effect": "1", "justification_effect": "Eerste indruk."}).status_code
        == 303
    )
    evaluation = session.scalar(select(Evaluation).where(Evaluation.assignment_id == assignment.id))
    assert evaluation.status == "draft"
    assert {row.criterion_key: row.score for row in evaluation.scores} == {"effect": 1, "safety": None}
    full = {
        "action": "submit",
        "score_effect": "2",
        "justification_effect": "Sterk.",
        "score_safety": "1",
        "justification_safety": "Voldoende.",
        "assessed_trl": "4",
    }
    assert post(client, url, full).status_code == 303
    session.refresh(evaluation)
    assert (evaluation.status, evaluation.assessed_trl) == ("submitted", 4)
    refused = post(client, url, {**full, "score_effect": "0"})
    assert refused.status_code == 422
    assert "alleen een coördinator kan haar heropenen" in refused.text
    session.refresh(evaluation)
    assert {row.criterion_key: row.score for row in evaluation.scores} == {"effect": 2, "safety": 1}


def test_coordinator_reopens_with_reason_then_evaluator_changes(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s, assignment = _declared(client, session, clock)
    url = f"/evaluate/assignments/{assignment.id}/scores"
    full = {
        "action": "submit",
        "score_effect": "2",
        "justification_effect": "Sterk.",
        "score_safety": "1",
        "justification_safety": "Voldoende.",
        "assessed_trl": "4",
    }
    assert post(client, url, full).status_code == 303
    evaluation = session.scalar(select(Evaluation).where(Evaluation.assignment_id == assignment.id))
    log_in(client, session, s.coordinator, now=clock.now())
    assert post(client, f"{s.base}/evaluations/{evaluation.id}/reopen", {"reason": ""}).status_code == 422
    assert (
        post(client, f"{s.base}/evaluations/{evaluation.id}/reopen", {"reason": "Veiligheid te streng."}).status_code
        == 303
    )
    session.refresh(evaluation)
    assert (evaluation.status, evaluation.reopen_reason) == ("reopened", "Veiligheid te streng.")
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.template == "evaluation_reopened"))
    assert mail is not None and mail.to_address == s.evaluators[0].email
    assert "Veiligheid te streng." in mail.body_text
    assert f"/evaluate/assignments/{assignment.id}" in mail.body_text
    log_in(client, session, s.evaluators[0], now=clock.now())
    assert "Veiligheid te streng." in client.get(f"/evaluate/assignments/{assignment.id}").text
    assert post(client, url, {**full, "score_safety": "2"}).status_code == 303
    session.refresh(evaluation)
    assert evaluation.status == "submitted"
    assert {row.criterion_key: row.score for row in evaluation.scores}["safety"] == 2


def test_declared_conflict_releases_and_tells_coordinator(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1)
    after_deadline(clock)
    assignment = _assigned(session, s, clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    url = f"/evaluate/assignments/{assignment.id}/declaration"
    missing_reason = post(client, url, {"has_conflict": "conflict", "reason": ""})
    assert missing_reason.status_code == 422
    assert "Beschrijf het belangenconflict." in missing_reason.text
    assert post(client, url, {"has_conflict": "conflict", "reason": "Mijn zus werkt daar."}).status_code == 303
    session.refresh(assignment)
    assert assignment.status == "conflicted"
    assert client.get(f"/evaluate/assignments/{assignment.id}").status_code == 404
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.template == "evaluation_conflict"))
    assert mail is not None and mail.to_address == s.coordinator.email
    assert s.proposals[0].reference in mail.subject
    # The conflicted evaluator is never assigned again to that proposal, automatically.
    log_in(client, session, s.coordinator, now=clock.now())
    post(client, f"{s.base}/pool", {"evaluator_id": s.evaluators[1].id})
    assert (
        post(client, f"{s.base}/assignments/auto", {"per_proposal": "1", "max_per_evaluator": "5"}).status_code == 303
    )
    pairs = session.execute(select(Assignment.evaluator_id, Assignment.status)).all()
    assert sorted(pairs) == sorted([(s.evaluators[0].id, "conflicted"), (s.evaluators[1].id, "assigned")])


def test_security_assessment_saved_separately(client: TestClient, session: Session, clock: FrozenClock) -> None:
    _s, assignment = _declared(client, session, clock)
    url = f"/evaluate/assignments/{assignment.id}/security"
    page = client.get(url)
    assert page.status_code == 200 and "Firma0 Drone Systems B.V." in page.text
    incomplete = post(client, url, {"action": "submit", "rating_security_risks": "high"})
    assert incomplete.status_code == 422
    assert 'value="high" checked' in incomplete.text
    data = {"action": "submit"}
    for factor in ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities"):
        data[f"rating_{factor}"] = "high"
        data[f"factor_justification_{factor}"] = f"Reden {factor}."
    assert post(client, url, data).status_code == 303
    assessment = session.get(SecurityAssessment, assignment.id)
    assert assessment.status == "submitted"
    assert assessment.factors["armed_forces"] == {"rating": "high", "justification": "Reden armed_forces."}
    assert post(client, url, data).status_code == 422  # locked once submitted


def test_drafts_then_submissions_stored_and_chained(client: TestClient, session: Session, clock: FrozenClock) -> None:
    """A new evaluation and a new assessment are inserted as they end up (a draft, or submitted at once); a draft
    submitted later is updated; every step is one event in a chain that verifies."""
    _s, assignment = _declared(client, session, clock)
    base = f"/evaluate/assignments/{assignment.id}"
    factors = {"action": "save", "rating_armed_forces": "low", "factor_justification_armed_forces": "Eerst zo."}
    assert post(client, f"{base}/security", factors).status_code == 303
    draft = session.get(SecurityAssessment, assignment.id)
    assert (draft.status, draft.submitted_at) == ("draft", None)
    assert draft.factors["armed_forces"] == {"rating": "low", "justification": "Eerst zo."}
    submitted = {"action": "submit"}
    for factor in ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities"):
        submitted |= {f"rating_{factor}": "medium", f"factor_justification_{factor}": f"Nu {factor}."}
    assert post(client, f"{base}/security", submitted).status_code == 303
    scores = {"action": "submit", "assessed_trl": "6"}
    for key in ("effect", "safety"):
        scores |= {f"score_{key}": "2", f"justification_{key}": f"Goed: {key}."}
    assert post(client, f"{base}/scores", scores).status_code == 303
    session.expire_all()
    assessment = session.get(SecurityAssessment, assignment.id)
    assert (assessment.status, assessment.submitted_at is not None) == ("submitted", True)
    assert assessment.factors["armed_forces"] == {"rating": "medium", "justification": "Nu armed_forces."}
    evaluation = session.scalars(select(Evaluation).where(Evaluation.assignment_id == assignment.id)).one()
    assert (evaluation.status, evaluation.assessed_trl) == ("submitted", 6)
    assert {row.criterion_key: (row.score, row.justification) for row in evaluation.scores} == {
        "effect": (2, "Goed: effect."),
        "safety": (2, "Goed: safety."),
    }
    assert session.get(Assignment, assignment.id).completed is True
    actions = session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.action.in_(["security_assessment.save", "security_assessment.submit", "evaluation.submit"]))
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["security_assessment.save", "security_assessment.submit", "evaluation.submit"]
    assert verify_chain(session).ok


def test_blind_scoring_hides_organisation_names(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=0, blind=True)
    from tests.evaluations.helpers import make_organisation

    organisation = make_organisation(session, name="Geheimzinnig Radar B.V.", kvk="87654321", member=s.coordinator)
    proposal = submit_proposal(
        session,
        challenge=s.challenge,
        organisation=organisation,
        summary="Geheimzinnig Radar B.V. (KvK 87654321) bouwt al jaren radars.",
    )
    s.proposals.append(proposal)
    after_deadline(clock)
    assignment = _assigned(session, s, clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"})
    page = client.get(f"/evaluate/assignments/{assignment.id}")
    assert page.status_code == 200
    assert "Geheimzinnig" not in page.text and "87654321" not in page.text
    assert "bouwt al jaren radars" in page.text
    security = client.get(f"/evaluate/assignments/{assignment.id}/security").text
    assert "Geheimzinnig" not in security and "87654321" not in security


def test_document_served_as_attachment_to_assigned_evaluator(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=0)
    sha = client.app.state.blobs.put_bytes(b"%PDF-1.4 test document")  # type: ignore[attr-defined]
    from tests.evaluations.helpers import make_organisation

    organisation = make_organisation(session, name="Doc B.V.", kvk="11223344")
    documents = {"brief": {"sha256": sha, "name": "Doc B.V. schets.pdf", "kind": "pdf", "pages": 1, "size": 22}}
    proposal = submit_proposal(session, challenge=s.challenge, organisation=organisation, documents=documents)
    s.proposals.append(proposal)
    after_deadline(clock)
    assignment = _assigned(session, s, clock)
    log_in(client, session, s.evaluators[0], now=clock.now())
    url = f"/evaluate/assignments/{assignment.id}/documents/brief"
    assert client.get(url).status_code == 404  # not declared yet
    post(client, f"/evaluate/assignments/{assignment.id}/declaration", {"has_conflict": "none"})
    response = client.get(url)
    assert response.status_code == 200
    assert response.content == b"%PDF-1.4 test document"
    assert response.headers["content-disposition"] == f'attachment; filename="{proposal.reference}-brief.pdf"'
    assert client.get(f"/evaluate/assignments/{assignment.id}/documents/other").status_code == 404
