"""Results, calibration, consensus, ranking, shortlist, invitation to the next stage, procurement route,
decisions and exports."""

from __future__ import annotations

import io

from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations import service as evaluation_service
from app.evaluations.assignments import service as assignment_service
from app.evaluations.models import ConsensusScore, Decision, RouteDecision
from app.evaluations.pool import service as pool_service
from app.evaluations.results import rules as results_rules
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.security import service as security_service
from app.i18n import translate
from app.proposals.models import Proposal
from tests.evaluations.helpers import Scenario, actor, after_deadline, approve_through_the_web, build_scenario, post
from tests.factories import LINKS, log_in


def _score(session: Session, s: Scenario, clock: FrozenClock, scores: dict[int, list[tuple[int, int]]]) -> None:
    """scores: proposal index -> per evaluator (effect, safety), evaluators in order."""
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
        )
    for index, rows in scores.items():
        for evaluator, (effect, safety) in zip(s.evaluators, rows, strict=False):
            assignment = assignment_service.assign(
                session,
                challenge=s.challenge,
                stage=s.stage,
                proposal_id=s.proposals[index].id,
                evaluator_id=evaluator.id,
                actor=actor(s.coordinator),
                now=clock.now(),
                links=LINKS,
            )
            opened = evaluator_service.open_assignment(
                session, assignment_id=assignment.id, user=evaluator, now=clock.now()
            )
            evaluator_service.declare(
                session,
                opened=opened,
                form=DeclarationForm(has_conflict=False),
                actor=actor(evaluator),
                now=clock.now(),
                links=LINKS,
            )
            raw = {"effect": (str(effect), "Effect-tekst."), "safety": (str(safety), "Veiligheid-tekst.")}
            evaluator_service.save_evaluation(
                session, opened=opened, raw=raw, assessed_trl="5", submit=True, actor=actor(evaluator), now=clock.now()
            )
    session.commit()


def _consensus(client: TestClient, s: Scenario, index: int, effect: int, safety: int) -> int:
    data = {
        "score_effect": str(effect),
        "rationale_effect": "Samen besproken.",
        "score_safety": str(safety),
        "rationale_safety": "Samen besproken.",
    }
    return post(client, f"{s.base}/proposals/{s.proposals[index].id}/consensus", data).status_code


def test_results_flag_disagreement_and_rank_with_tie_break(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=3, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 2), (0, 2)], 1: [(2, 1), (2, 1)], 2: [(1, 2), (1, 2)]})
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/results")
    assert page.status_code == 200
    assert page.text.count("Verschil van oordeel</strong>") == 1  # only proposal 0, criterion effect (range 2)
    assert _consensus(client, s, 0, 1, 2) == 303  # 0.6 + 0.8 = 1.4
    assert _consensus(client, s, 1, 2, 1) == 303  # 1.2 + 0.4 = 1.6
    assert _consensus(client, s, 2, 1, 2) == 303  # 1.4, tie with proposal 0: then time of receipt, then number
    results = client.get(f"{s.base}/results").text
    tied = sorted((s.proposals[0], s.proposals[2]), key=lambda p: p.reference)  # same time of receipt here
    order = [results.index(p.reference + "</a>") for p in (s.proposals[1], *tied)]
    assert order == sorted(order)
    assert "1.60" in results and "1.40" in results
    assert translate("nl", results_rules.MSG_TIE_REFERENCE) in results


def test_consensus_refuses_out_of_scale_and_missing_rationale(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    data = {
        "score_effect": "5",
        "rationale_effect": "Mijn motivering blijft staan.",
        "score_safety": "1",
        "rationale_safety": "",
    }
    response = post(client, f"{s.base}/proposals/{s.proposals[0].id}/consensus", data)
    assert response.status_code == 422
    assert "Kies een score van 0 tot en met 2." in response.text
    assert "Geef de motivering van de consensusscore." in response.text
    assert "Mijn motivering blijft staan." in response.text
    assert session.scalar(select(ConsensusScore)) is None
    assert 'id="score_effect-3" name="score_effect" value="2"' in response.text  # the scale's levels, 0 to 2
    assert "2: Niveau 2" in response.text


def test_calibration_is_labelled_advisory(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=2, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 2), (0, 1)], 1: [(1, 1), (0, 0)]})
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"{s.base}/calibration")
    assert page.status_code == 200
    assert "Alleen ter advies." in page.text
    assert s.evaluators[0].name in page.text and s.evaluators[1].name in page.text


def test_release_refused_until_every_proposal_has_a_decision_saying_how_many_are_missing(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=3, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    assert (
        post(
            client, f"{s.base}/proposals/{s.proposals[0].id}/decision", {"outcome": "reject", "feedback": "Nee."}
        ).status_code
        == 303
    )
    refused = post(client, f"{s.base}/decisions/release")
    assert refused.status_code == 422
    missing = f"{s.proposals[1].reference}, {s.proposals[2].reference}"
    assert f"2 van de 3 voorstellen van deze fase hebben nog geen besluit: {missing}." in refused.text
    assert session.scalar(select(Decision.released_at)) is None
    no_feedback = post(
        client, f"{s.base}/proposals/{s.proposals[1].id}/decision", {"outcome": "reject", "feedback": ""}
    )
    assert no_feedback.status_code == 422


def test_released_decision_cannot_change(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    assert _consensus(client, s, 0, 2, 2) == 303
    url = f"{s.base}/proposals/{s.proposals[0].id}/decision"
    assert post(client, url, {"outcome": "award", "feedback": "Gegund."}).status_code == 303
    assert approve_through_the_web(client, session, s, clock.now()).status_code == 303
    assert post(client, f"{s.base}/decisions/release").status_code == 303
    again = post(client, url, {"outcome": "reject", "feedback": "Toch niet."})
    assert again.status_code == 422
    decision = session.get(Decision, s.proposals[0].id)
    session.refresh(decision)
    assert (decision.outcome, decision.status) == ("award", "released")


def test_invite_outcome_needs_a_next_stage(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    response = post(
        client, f"{s.base}/proposals/{s.proposals[0].id}/decision", {"outcome": "invite", "feedback": "Door."}
    )
    assert response.status_code == 422
    assert "Dit is de laatste fase" in response.text


def test_shortlist_release_and_invite_to_next_stage(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=2, evaluators=1, two_stages=True)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    assert _consensus(client, s, 0, 2, 2) == 303
    assert _consensus(client, s, 1, 1, 1) == 303
    assert (
        post(client, f"{s.base}/shortlist", {"top": "1", "feedback": "U bent door naar de volgende fase."}).status_code
        == 303
    )
    shortlisted = session.get(Decision, s.proposals[0].id)
    assert (shortlisted.outcome, shortlisted.status) == ("invite", "prepared")
    assert session.get(Decision, s.proposals[1].id) is None
    post(client, f"{s.base}/proposals/{s.proposals[1].id}/decision", {"outcome": "reject", "feedback": "Helaas."})
    assert approve_through_the_web(client, session, s, clock.now()).status_code == 303
    assert post(client, f"{s.base}/decisions/release").status_code == 303
    assert post(client, f"{s.base}/invite").status_code == 303
    session.expire_all()
    invited = session.scalars(select(Proposal).where(Proposal.invited_at.is_not(None))).all()
    assert [(p.organisation_id, p.status) for p in invited] == [(s.organisations[0].id, "draft")]
    assert session.get(Decision, s.proposals[0].id).invited_proposal_id == invited[0].id
    assert post(client, f"{s.base}/invite").status_code == 303  # again: nobody invited twice
    assert len(session.scalars(select(Proposal).where(Proposal.invited_at.is_not(None))).all()) == 1


def test_route_recommendation_confirm_and_override(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    url = f"/manage/challenges/{s.challenge.slug}/evaluation/route"
    # Without a threshold valid today the coordinator is asked to confirm the one that applies.
    client.app.state.settings.adv_thresholds = "443000:2024-01-01:2025-12-31"  # type: ignore[attr-defined]
    unknown = client.get(url)
    assert unknown.status_code == 200 and "geldt geen ADV-drempelwaarde" in unknown.text
    # The threshold comes from the settings (PORTAL_ADV_THRESHOLDS), with its validity period.
    client.app.state.settings.adv_thresholds = "432000:2026-01-01:2027-12-31"  # type: ignore[attr-defined]
    page = client.get(url)
    assert page.status_code == 200
    # The test challenge is military and sensitive, 2,000,000 euro; no assessments yet: ADV.
    assert "432000" in page.text or "432.000" in page.text or "432,000" in page.text
    refused = post(client, url, {"chosen": "aanbestedingswet_2012", "reason": ""})
    assert refused.status_code == 422
    assert "Geef de reden om een andere route te kiezen dan de aanbevolen route." in refused.text
    assert session.get(RouteDecision, s.challenge.id) is None
    assert post(client, url, {"chosen": "adv", "reason": ""}).status_code == 303
    decision = session.get(RouteDecision, s.challenge.id)
    assert (decision.recommended, decision.chosen) == ("adv", "adv")
    assert post(client, url, {"chosen": "article_346", "reason": "Nationale veiligheid."}).status_code == 303
    session.refresh(decision)
    assert (decision.recommended, decision.chosen, decision.reason) == ("adv", "article_346", "Nationale veiligheid.")


def test_route_recommends_article_346_when_factors_high(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(1, 1), (1, 1)]})
    for evaluator in s.evaluators:
        assignment = evaluation_service.assignments_for_stage(session, stage_id=s.stage.id)
        opened = evaluator_service.open_assignment(
            session,
            assignment_id=next(a.id for a in assignment if a.evaluator_id == evaluator.id),
            user=evaluator,
            now=clock.now(),
        )
        factors = {
            f: {"rating": "high", "justification": "Kritiek."}
            for f in ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")
        }
        security_service.save_assessment(
            session, opened=opened, factors=factors, submit=True, actor=actor(evaluator), now=clock.now()
        )
    session.commit()
    log_in(client, session, s.coordinator, now=clock.now())
    assert (
        post(client, f"/manage/challenges/{s.challenge.slug}/evaluation/route", {"chosen": "article_346"}).status_code
        == 303
    )
    assert session.get(RouteDecision, s.challenge.id).recommended == "article_346"


def test_exports_carry_scores_and_evaluator_names_for_coordinators(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=2, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 2), (1, 2)], 1: [(1, 1), (0, 1)]})
    log_in(client, session, s.coordinator, now=clock.now())
    csv_response = client.get(f"{s.base}/export.csv")
    assert csv_response.status_code == 200
    assert (
        csv_response.headers["content-disposition"]
        == f'attachment; filename="{s.challenge.slug}-{s.stage.key}-results.csv"'
    )
    text = csv_response.content.decode("utf-8-sig")
    assert s.proposals[0].reference in text and s.evaluators[0].name in text
    xlsx = client.get(f"{s.base}/export.xlsx")
    assert xlsx.status_code == 200
    workbook = load_workbook(io.BytesIO(xlsx.content), read_only=True)
    cells = [
        str(c)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]
    assert s.proposals[1].reference in cells and s.evaluators[1].name in cells
    assert client.get(f"{s.base}/export.pdf").status_code == 404
    # A copy to share outside the evaluation team: the same scores, evaluators numbered, never named.
    anonymous = client.get(f"{s.base}/export.csv", params={"names": "no"})
    assert anonymous.status_code == 200
    assert anonymous.headers["content-disposition"].endswith('-results-anonymous.csv"')
    shared = anonymous.content.decode("utf-8-sig")
    assert s.proposals[0].reference in shared
    assert all(evaluator.name not in shared for evaluator in s.evaluators)
    anonymous_xlsx = client.get(f"{s.base}/export.xlsx", params={"names": "no"})
    sheet_cells = [
        str(c)
        for sheet in load_workbook(io.BytesIO(anonymous_xlsx.content), read_only=True).worksheets
        for row in sheet.iter_rows(values_only=True)
        for c in row
        if c is not None
    ]
    assert s.proposals[1].reference in sheet_cells
    assert all(evaluator.name not in sheet_cells for evaluator in s.evaluators)


def test_disagreement_threshold_can_be_changed(client: TestClient, session: Session, clock: FrozenClock) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 1), (1, 1)]})
    log_in(client, session, s.coordinator, now=clock.now())
    assert "Verschil van oordeel</strong>" in client.get(f"{s.base}/results").text  # default 1 on a 0-2 scale
    assert "Verschil van oordeel</strong>" not in client.get(f"{s.base}/results?threshold=2").text


def test_others_scores_and_assessments_shown_after_submitting(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=1, evaluators=2)
    after_deadline(clock)
    _score(session, s, clock, {0: [(2, 1)]})
    first = evaluation_service.assignments_for_stage(session, stage_id=s.stage.id)[0]
    opened = evaluator_service.open_assignment(session, assignment_id=first.id, user=s.evaluators[0], now=clock.now())
    factors = {
        f: {"rating": "medium", "justification": "Matig."}
        for f in ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")
    }
    security_service.save_assessment(
        session, opened=opened, factors=factors, submit=True, actor=actor(s.evaluators[0]), now=clock.now()
    )
    second = assignment_service.assign(
        session,
        challenge=s.challenge,
        stage=s.stage,
        proposal_id=s.proposals[0].id,
        evaluator_id=s.evaluators[1].id,
        actor=actor(s.coordinator),
        now=clock.now(),
        links=LINKS,
    )
    session.commit()
    log_in(client, session, s.evaluators[1], now=clock.now())
    post(client, f"/evaluate/assignments/{second.id}/declaration", {"has_conflict": "none"})
    assert "Effect-tekst." not in client.get(f"/evaluate/assignments/{second.id}").text
    data = {
        "action": "submit",
        "score_effect": "0",
        "justification_effect": "Zwak.",
        "score_safety": "1",
        "justification_safety": "Ok.",
        "assessed_trl": "3",
    }
    assert post(client, f"/evaluate/assignments/{second.id}/scores", data).status_code == 303
    page = client.get(f"/evaluate/assignments/{second.id}").text
    assert "Effect-tekst." in page and "Dutch industrial capabilities" not in page
    assert translate("nl", "Medium") in page
    assert s.evaluators[0].name not in page
