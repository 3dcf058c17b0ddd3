"""The route for a challenge from its proposals' advice (pure): the most far-reaching one, each proposal named."""

from __future__ import annotations

from datetime import date

from app.evaluations.route import rules as route
from app.evaluations.route.rules import ProcurementRoute, SecurityFactor
from app.evaluations.scoring.rules import Reason

THRESHOLDS = (route.AdvThreshold(432_000, date(2026, 1, 1), date(2027, 12, 31)),)
DAY = date(2027, 4, 1)


def _advice(
    rating: str | None, *, military: bool = True, value: int = 1_000_000, members: int = 1, flagged: int = 0
) -> route.RouteRecommendation:
    per_factor: dict[str, str] = {factor.value: rating for factor in SecurityFactor} if rating else {}
    ratings = {1: per_factor, 2: per_factor} if rating else {}
    return route.recommend_route(
        military_equipment=military,
        sensitive=True,
        estimated_value_eur=value,
        thresholds=THRESHOLDS,
        decision_date=DAY,
        ratings=ratings,
        members=members,
        flagged_members=flagged,
    )


def test_each_proposal_is_named_with_its_route_and_the_furthest_reaching_wins() -> None:
    high, low, small = _advice("high"), _advice("low"), _advice("low", value=100_000)
    assert (high.route, low.route, small.route) == (
        ProcurementRoute.ARTICLE_346,
        ProcurementRoute.ADV,
        ProcurementRoute.AANBESTEDINGSWET_2012,
    )
    summary = route.summarise([("P-1", small), ("P-2", low), ("P-3", high)], without_proposals=_advice(None))
    assert summary.route is ProcurementRoute.ARTICLE_346
    assert summary.reasons == (
        Reason(route.MSG_PROPOSAL_ROUTE, {"proposal": "P-1", "route": "aanbestedingswet_2012"}),
        Reason(route.MSG_PROPOSAL_ROUTE, {"proposal": "P-2", "route": "adv"}),
        Reason(route.MSG_PROPOSAL_ROUTE, {"proposal": "P-3", "route": "article_346"}),
    )
    assert summary.warnings == (Reason(route.MSG_ROUTES_DIFFER), Reason(route.MSG_346_DOSSIER))
    assert (
        route.summarise([("P-1", small), ("P-2", low)], without_proposals=_advice(None)).route is ProcurementRoute.ADV
    )


def test_proposals_that_agree_give_no_warning_that_they_differ() -> None:
    summary = route.summarise([("P-1", _advice("low")), ("P-2", _advice("medium"))], without_proposals=_advice(None))
    assert summary.route is ProcurementRoute.ADV
    assert Reason(route.MSG_ROUTES_DIFFER) not in summary.warnings


def test_a_warning_shared_by_proposals_is_given_once() -> None:
    flagged = _advice("low", members=2, flagged=1)
    summary = route.summarise([("P-1", flagged), ("P-2", flagged)], without_proposals=_advice(None))
    assert summary.warnings == (Reason(route.MSG_CONTROL_FLAGGED, {"count": 1, "total": 2}),)


def test_without_proposals_the_challenge_data_alone_advises() -> None:
    alone = _advice(None)
    summary = route.summarise([], without_proposals=alone)
    assert summary.route is alone.route is ProcurementRoute.ADV
    assert summary.reasons == (*alone.reasons, Reason(route.MSG_NO_PROPOSALS))
    assert summary.warnings == alone.warnings == (Reason(route.MSG_NO_ASSESSMENTS),)


def test_flagged_members_are_a_warning_not_a_route_change() -> None:
    plain, flagged = _advice("low"), _advice("low", members=3, flagged=2)
    assert flagged.route is plain.route
    assert flagged.reasons == plain.reasons
    assert flagged.warnings == (Reason(route.MSG_CONTROL_FLAGGED, {"count": 2, "total": 3}), *plain.warnings)
    assert (
        route.reason_text(flagged.warnings[0], "en")
        == "2 of the 3 consortium members are controlled from outside the EU/EEA or their ownership is unknown: "
        "weigh this in the essential security interests."
    )
    assert route.reason_text(Reason(route.MSG_PROPOSAL_ROUTE, {"proposal": "P-1", "route": "article_346"}), "nl") == (
        "P-1: Artikel 346 VWEU."
    )
