"""The procurement route recommendation: Article 346 TFEU, ADV or Aanbestedingswet 2012, always with reasons."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.evaluations.route import rules as route
from app.evaluations.route.rules import (
    AdvThreshold,
    FactorRating,
    ProcurementRoute,
    SecurityFactor,
    factor_levels,
    reason_text,
    recommend_route,
    threshold_on,
)
from app.evaluations.scoring.rules import Reason

THRESHOLDS = (
    AdvThreshold(443_000, date(2024, 1, 1), date(2025, 12, 31)),
    AdvThreshold(432_000, date(2026, 1, 1), date(2027, 12, 31)),
)
DAY = date(2027, 4, 1)
HIGH, MEDIUM, LOW, NONE = "high", "medium", "low", "not_at_stake"


def _ratings(*rows: tuple[str, str, str, str]) -> dict[int, dict[str, str]]:
    return {number: dict(zip(SecurityFactor, row, strict=True)) for number, row in enumerate(rows, start=1)}


def _recommend(
    *, military: bool = True, sensitive: bool = False, value: int | None = 1_000_000, ratings: dict[int, dict[str, str]]
) -> route.RouteRecommendation:
    return recommend_route(
        military_equipment=military,
        sensitive=sensitive,
        estimated_value_eur=value,
        thresholds=THRESHOLDS,
        decision_date=DAY,
        ratings=ratings,
    )


def test_article_346_when_military_and_a_majority_rates_a_factor_high() -> None:
    advice = _recommend(ratings=_ratings((HIGH, LOW, LOW, LOW), (HIGH, LOW, LOW, HIGH), (MEDIUM, LOW, LOW, LOW)))
    assert advice.route is ProcurementRoute.ARTICLE_346
    assert advice.reasons == (
        Reason(route.MSG_MILITARY),
        Reason(route.MSG_FACTOR_HIGH, {"factor": "security_risks", "count": 2, "total": 3}),
    )
    assert advice.warnings == (Reason(route.MSG_346_DOSSIER),)


def test_no_article_346_when_only_a_minority_rates_high() -> None:
    advice = _recommend(ratings=_ratings((HIGH, LOW, LOW, LOW), (MEDIUM, LOW, LOW, LOW), (MEDIUM, LOW, LOW, LOW)))
    assert advice.route is ProcurementRoute.ADV
    assert advice.reasons == (
        Reason(route.MSG_MILITARY),
        Reason(route.MSG_NO_FACTOR_HIGH),
        Reason(route.MSG_AT_OR_ABOVE, {"value": 1_000_000, "threshold": 432_000}),
    )
    assert advice.threshold == THRESHOLDS[1]


def test_no_article_346_for_sensitive_equipment_that_is_not_military() -> None:
    advice = _recommend(military=False, sensitive=True, ratings=_ratings((HIGH, HIGH, HIGH, HIGH)))
    assert advice.route is ProcurementRoute.ADV
    assert Reason(route.MSG_NOT_MILITARY) in advice.reasons
    assert Reason(route.MSG_SENSITIVE) in advice.reasons


def test_adv_threshold_reached_exactly() -> None:
    advice = _recommend(military=False, sensitive=True, value=432_000, ratings={})
    assert advice.route is ProcurementRoute.ADV
    assert advice.reasons[-1] == Reason(route.MSG_AT_OR_ABOVE, {"value": 432_000, "threshold": 432_000})


def test_aanbestedingswet_below_the_threshold() -> None:
    advice = _recommend(military=False, sensitive=True, value=431_999, ratings={})
    assert advice.route is ProcurementRoute.AANBESTEDINGSWET_2012
    assert advice.reasons[-1] == Reason(route.MSG_BELOW, {"value": 431_999, "threshold": 432_000})


def test_aanbestedingswet_when_neither_military_nor_sensitive() -> None:
    advice = _recommend(military=False, value=50_000_000, ratings=_ratings((HIGH, HIGH, HIGH, HIGH)))
    assert advice.route is ProcurementRoute.AANBESTEDINGSWET_2012
    assert advice.reasons == (Reason(route.MSG_NOT_MILITARY), Reason(route.MSG_NEITHER))
    assert advice.warnings == ()


def test_military_without_assessments_warns_and_falls_back_to_adv() -> None:
    advice = _recommend(ratings={})
    assert advice.route is ProcurementRoute.ADV
    assert advice.warnings == (Reason(route.MSG_NO_ASSESSMENTS),)


def test_unknown_value_recommends_adv_with_a_warning() -> None:
    advice = _recommend(value=None, ratings=_ratings((LOW, LOW, LOW, LOW)))
    assert advice.route is ProcurementRoute.ADV
    assert advice.warnings == (Reason(route.MSG_VALUE_UNKNOWN, {"threshold": 432_000}),)


def test_no_threshold_valid_on_the_date_recommends_adv_with_a_warning() -> None:
    advice = recommend_route(
        military_equipment=False,
        sensitive=True,
        estimated_value_eur=10,
        thresholds=THRESHOLDS,
        decision_date=date(2028, 1, 1),
        ratings={},
    )
    assert advice.route is ProcurementRoute.ADV
    assert advice.threshold is None
    assert advice.warnings == (Reason(route.MSG_NO_THRESHOLD, {"date": date(2028, 1, 1)}),)


def test_neither_value_nor_threshold_known() -> None:
    advice = recommend_route(
        military_equipment=True,
        sensitive=False,
        estimated_value_eur=None,
        thresholds=(),
        decision_date=DAY,
        ratings=_ratings((LOW, LOW, LOW, LOW)),
    )
    assert advice.route is ProcurementRoute.ADV
    assert advice.warnings == (Reason(route.MSG_VALUE_AND_THRESHOLD_UNKNOWN, {"date": DAY}),)


def test_threshold_on_picks_by_date_with_inclusive_bounds() -> None:
    assert threshold_on(THRESHOLDS, date(2025, 12, 31)) == THRESHOLDS[0]
    assert threshold_on(THRESHOLDS, date(2026, 1, 1)) == THRESHOLDS[1]
    assert threshold_on(THRESHOLDS, date(2023, 12, 31)) is None


def test_threshold_on_overlap_takes_the_latest_start_and_open_end() -> None:
    thresholds = (AdvThreshold(400_000, date(2020, 1, 1)), AdvThreshold(450_000, date(2027, 1, 1), date(2027, 6, 30)))
    assert threshold_on(thresholds, date(2027, 3, 1)) == thresholds[1]
    assert threshold_on(thresholds, date(2030, 1, 1)) == thresholds[0]


def test_factor_levels_use_the_lower_median() -> None:
    levels = factor_levels(_ratings((HIGH, HIGH, NONE, LOW), (LOW, HIGH, NONE, MEDIUM)))
    assert [(item.level, item.high, item.total) for item in levels] == [
        (FactorRating.LOW, 1, 2),  # one of two is not a majority
        (FactorRating.HIGH, 2, 2),
        (FactorRating.NOT_AT_STAKE, 0, 2),
        (FactorRating.LOW, 0, 2),
    ]


def test_factor_levels_without_ratings_have_no_level() -> None:
    assert [item.level for item in factor_levels({})] == [None, None, None, None]


rating_st = st.sampled_from(list(FactorRating))


@given(st.lists(st.fixed_dictionaries({factor: rating_st for factor in SecurityFactor}), max_size=7))
def test_factor_level_is_high_exactly_when_a_strict_majority_rates_high(rows: list[dict[str, str]]) -> None:
    ratings = dict(enumerate(rows))
    for item in factor_levels(ratings):
        highs = sum(1 for row in rows if row[item.factor] == HIGH)
        assert item.high == highs
        assert (item.level is FactorRating.HIGH) == (highs * 2 > len(rows))


@given(
    military=st.booleans(),
    sensitive=st.booleans(),
    value=st.none() | st.integers(0, 10_000_000),
    day=st.dates(date(2023, 1, 1), date(2029, 1, 1)),
    rows=st.lists(st.fixed_dictionaries({factor: rating_st for factor in SecurityFactor}), max_size=5),
)
def test_recommendation_always_has_reasons_and_follows_the_rule(
    military: bool, sensitive: bool, value: int | None, day: date, rows: list[dict[str, str]]
) -> None:
    ratings = dict(enumerate(rows))
    advice = recommend_route(
        military_equipment=military,
        sensitive=sensitive,
        estimated_value_eur=value,
        thresholds=THRESHOLDS,
        decision_date=day,
        ratings=ratings,
    )
    assert len(advice.reasons) + len(advice.warnings) >= 2
    any_high = any(item.level is FactorRating.HIGH for item in advice.factors)
    if advice.route is ProcurementRoute.ARTICLE_346:
        assert military and any_high
    elif advice.route is ProcurementRoute.ADV:
        assert military or sensitive
        assert not (military and any_high)
    else:
        threshold = threshold_on(THRESHOLDS, day)
        assert not (military or sensitive) or (
            value is not None and threshold is not None and value < threshold.threshold_eur
        )


def test_reason_text_in_dutch_and_english() -> None:
    high = Reason(route.MSG_FACTOR_HIGH, {"factor": "industrial_capabilities", "count": 2, "total": 3})
    assert (
        reason_text(high, "nl")
        == "Nederlandse industriële capaciteiten: door 2 van de 3 beoordelaars als hoog beoordeeld."
    )
    above = Reason(route.MSG_AT_OR_ABOVE, {"value": 1_000_000, "threshold": 432_000})
    assert (
        reason_text(above, "en") == "The estimated value of 1,000,000 euro reaches the ADV threshold of 432,000 euro."
    )
    assert (
        reason_text(above, "nl")
        == "De geraamde waarde van 1.000.000 euro bereikt de ADV-drempelwaarde van 432.000 euro."
    )
    missing = Reason(route.MSG_NO_THRESHOLD, {"date": date(2028, 1, 2)})
    assert reason_text(missing, "en") == "No ADV threshold is valid on 02-01-2028: confirm the threshold that applies."


@pytest.mark.parametrize("value", list(FactorRating))
def test_every_rating_has_a_label(value: FactorRating) -> None:
    assert route.RATING_LABELS[value]
