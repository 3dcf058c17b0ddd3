"""The procurement route is advised per proposal, from that proposal's own security assessments and its
consortium's frozen ownership, not pooled over the challenge; the challenge's route is the most far-reaching
of them, with each proposal's route as a reason."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.evaluations.assignments import service as assignment_service
from app.evaluations.models import RouteDecision
from app.evaluations.pool import service as pool_service
from app.evaluations.route import rules as route
from app.evaluations.route import service as route_service
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.scoring.rules import Reason
from app.evaluations.security import service as security_service
from app.settings import Settings
from tests.evaluations.helpers import Scenario, actor, after_deadline, build_scenario, post
from tests.factories import LINKS, log_in

FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")
THRESHOLDS = route_service.adv_thresholds(Settings().adv_threshold_periods())


def _assess(session: Session, s: Scenario, clock: FrozenClock, ratings: dict[int, str]) -> None:
    """ratings: proposal index -> the rating every evaluator gives every factor of that proposal."""
    for evaluator in s.evaluators:
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=clock.now()
        )
    for index, rating in ratings.items():
        for evaluator in s.evaluators:
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
            factors = {factor: {"rating": rating, "justification": "Onderbouwd."} for factor in FACTORS}
            security_service.save_assessment(
                session, opened=opened, factors=factors, submit=True, actor=actor(evaluator), now=clock.now()
            )
    session.commit()


def _two_proposals_rated_apart(session: Session, clock: FrozenClock) -> Scenario:
    s = build_scenario(session, proposals=2, evaluators=2)
    after_deadline(clock)
    _assess(session, s, clock, {0: "high", 1: "low"})
    return s


def test_each_proposal_gets_the_advice_of_its_own_assessments(session: Session, clock: FrozenClock) -> None:
    s = _two_proposals_rated_apart(session, clock)
    advice = route_service.proposal_recommendations(
        session, challenge=s.challenge, now=clock.now(), thresholds=THRESHOLDS
    )
    assert [(a.reference, a.advice.route) for a in advice] == [
        (s.proposals[0].reference, route.ProcurementRoute.ARTICLE_346),
        (s.proposals[1].reference, route.ProcurementRoute.ADV),
    ]
    first, second = advice
    assert Reason(route.MSG_FACTOR_HIGH, {"factor": "security_risks", "count": 2, "total": 2}) in first.advice.reasons
    assert [(level.level, level.high, level.total) for level in second.advice.factors] == [
        (route.FactorRating.LOW, 0, 2)
    ] * 4
    assert Reason(route.MSG_AT_OR_ABOVE, {"value": 2_000_000, "threshold": 432_000}) in second.advice.reasons
    # These versions were stored without ownership data: the one member counts as unknown.
    assert Reason(route.MSG_CONTROL_FLAGGED, {"count": 1, "total": 1}) in second.advice.warnings


def test_the_challenge_route_is_the_most_far_reaching_with_every_proposal_named(
    session: Session, clock: FrozenClock
) -> None:
    s = _two_proposals_rated_apart(session, clock)
    summary = route_service.route_recommendation(session, challenge=s.challenge, now=clock.now(), thresholds=THRESHOLDS)
    assert summary.route is route.ProcurementRoute.ARTICLE_346
    assert summary.reasons == (
        Reason(route.MSG_PROPOSAL_ROUTE, {"proposal": s.proposals[0].reference, "route": "article_346"}),
        Reason(route.MSG_PROPOSAL_ROUTE, {"proposal": s.proposals[1].reference, "route": "adv"}),
    )
    assert summary.warnings[0] == Reason(route.MSG_ROUTES_DIFFER)
    assert Reason(route.MSG_346_DOSSIER) in summary.warnings


def test_route_page_shows_the_advice_per_proposal_with_its_reasons(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _two_proposals_rated_apart(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"/manage/challenges/{s.challenge.slug}/evaluation/route")
    assert page.status_code == 200
    text = page.text
    first = text[text.index(f'id="advice-{s.proposals[0].id}"') : text.index(f'id="advice-{s.proposals[1].id}"')]
    second = text[text.index(f'id="advice-{s.proposals[1].id}"') : text.index('id="challenge-route"')]
    assert f"{s.proposals[0].reference}: Firma0 Drone Systems B.V." in first
    assert "Aanbeveling: <strong>Artikel 346 VWEU</strong>" in first
    assert "Veiligheidsrisico&#39;s en dreigingen: door 2 van de 2 beoordelaars als hoog beoordeeld." in first
    assert f"{s.proposals[1].reference}: Firma1 Drone Systems B.V." in second
    assert "Aanbeveling: <strong>ADV (Aanbestedingswet op defensie- en veiligheidsgebied)</strong>" in second
    assert "De geraamde waarde van 2.000.000 euro bereikt de ADV-drempelwaarde van 432.000 euro." in second
    assert "Artikel 346" not in second
    summary = text[text.index('id="challenge-route"') :]
    assert f"{s.proposals[0].reference}: Artikel 346 VWEU." in summary
    assert f"{s.proposals[1].reference}: ADV (Aanbestedingswet op defensie- en veiligheidsgebied)." in summary
    client.cookies.set("portal_lang", "en")
    english = client.get(f"/manage/challenges/{s.challenge.slug}/evaluation/route").text
    assert f"{s.proposals[1].reference}: ADV (Aanbestedingswet op defensie- en veiligheidsgebied)." in english
    assert "The advice differs between the proposals" in english


def test_confirming_keeps_the_recommended_route_and_each_proposals_route(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = _two_proposals_rated_apart(session, clock)
    log_in(client, session, s.coordinator, now=clock.now())
    url = f"/manage/challenges/{s.challenge.slug}/evaluation/route"
    assert post(client, url, {"chosen": "article_346"}).status_code == 303
    decision = session.get(RouteDecision, s.challenge.id)
    assert decision is not None and (decision.recommended, decision.chosen) == ("article_346", "article_346")
    assert decision.reasons[:2] == [
        {"message": route.MSG_PROPOSAL_ROUTE, "params": {"proposal": s.proposals[0].reference, "route": "article_346"}},
        {"message": route.MSG_PROPOSAL_ROUTE, "params": {"proposal": s.proposals[1].reference, "route": "adv"}},
    ]


def test_route_page_without_submitted_proposals_advises_from_the_challenge_alone(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    s = build_scenario(session, proposals=0, evaluators=1)
    after_deadline(clock)
    log_in(client, session, s.coordinator, now=clock.now())
    page = client.get(f"/manage/challenges/{s.challenge.slug}/evaluation/route")
    assert page.status_code == 200
    assert "Er staat nog geen voorstel in een fase waarvan de deadline voorbij is." in page.text
    assert "ADV (Aanbestedingswet op defensie- en veiligheidsgebied)" in page.text
