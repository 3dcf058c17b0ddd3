"""Scoring arithmetic: weighted totals, statistics, disagreement, calibration, knock-outs, ranking, shortlist."""

from __future__ import annotations

import math
import random
import statistics
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.evaluations.results import rules as results_rules
from app.evaluations.results.rules import (
    EvaluationScores,
    RankingEntry,
    calibration,
    ranking,
    shortlist,
    tie_break_order,
)
from app.evaluations.scoring import rules as scoring
from app.evaluations.scoring.rules import (
    CriterionRule,
    Reason,
    criterion_statistics,
    disagreement,
    knock_out,
    proposal_statistics,
    weighted_points,
    weighted_total,
)

WEIGHTS = {"effect": 40, "feasibility": 30, "cost": 20, "team": 10}
RULES = [
    CriterionRule("effect", 40),
    CriterionRule("feasibility", 30),
    CriterionRule("cost", 20),
    CriterionRule("team", 10),
]
T0 = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)

score = st.integers(min_value=0, max_value=5)
scores_st = st.fixed_dictionaries({key: score for key in WEIGHTS})


@st.composite
def weights_st(draw: st.DrawFn) -> dict[str, int]:
    """Between 1 and 8 criteria with positive integer weights summing to 100."""
    n = draw(st.integers(min_value=1, max_value=8))
    cuts = sorted(draw(st.lists(st.integers(min_value=1, max_value=99), min_size=n - 1, max_size=n - 1, unique=True)))
    bounds = [0, *cuts, 100]
    return {f"c{i}": bounds[i + 1] - bounds[i] for i in range(n)}


# --- weighted totals ---


def test_weighted_total_uses_the_weights() -> None:
    assert weighted_total({"effect": 5, "feasibility": 4, "cost": 3, "team": 0}, WEIGHTS) == 3.8
    assert weighted_points({"effect": 5, "feasibility": 4, "cost": 3, "team": 0}, WEIGHTS) == 380


def test_weighted_total_refuses_weights_not_summing_to_100() -> None:
    with pytest.raises(ValueError, match="sum to 100, not 90"):
        weighted_total({"a": 1, "b": 2}, {"a": 50, "b": 40})


def test_weighted_total_refuses_missing_and_unknown_criteria() -> None:
    with pytest.raises(ValueError, match=r"missing \['team'\], unknown \['x'\]"):
        weighted_total({"effect": 1, "feasibility": 1, "cost": 1, "x": 1}, WEIGHTS)


@given(weights=weights_st(), data=st.data())
def test_weighted_total_lies_between_lowest_and_highest_score(weights: dict[str, int], data: st.DataObject) -> None:
    scores = data.draw(st.fixed_dictionaries({key: score for key in weights}))
    total = weighted_total(scores, weights)
    assert min(scores.values()) <= total <= max(scores.values())
    assert total == weighted_points(scores, weights) / 100


@given(weights=weights_st(), value=score)
def test_weighted_total_of_equal_scores_is_that_score(weights: dict[str, int], value: int) -> None:
    assert weighted_total(dict.fromkeys(weights, value), weights) == value


@given(scores=scores_st, key=st.sampled_from(sorted(WEIGHTS)))
def test_weighted_total_grows_with_any_score(scores: dict[str, int], key: str) -> None:
    higher = {**scores, key: scores[key] + 1}
    assert weighted_total(higher, WEIGHTS) == pytest.approx(weighted_total(scores, WEIGHTS) + WEIGHTS[key] / 100)


# --- statistics and disagreement ---


def test_criterion_statistics_of_three_scores() -> None:
    stats = criterion_statistics([1, 3, 5])
    assert (stats.n, stats.mean, stats.median, stats.minimum, stats.maximum, stats.range) == (3, 3.0, 3.0, 1, 5, 4)
    assert stats.sd == pytest.approx(math.sqrt(8 / 3))  # population SD


def test_criterion_statistics_median_of_an_even_count_is_the_midpoint() -> None:
    assert criterion_statistics([1, 2, 4, 5]).median == 3.0
    assert criterion_statistics([2, 3]).median == 2.5


def test_criterion_statistics_of_one_score_has_zero_spread() -> None:
    stats = criterion_statistics([4])
    assert (stats.mean, stats.median, stats.sd, stats.range) == (4.0, 4.0, 0.0, 0)


def test_criterion_statistics_refuses_no_scores() -> None:
    with pytest.raises(ValueError, match="at least one score"):
        criterion_statistics([])


@given(st.lists(score, min_size=1, max_size=12))
def test_criterion_statistics_agree_with_the_standard_library(values: list[int]) -> None:
    stats = criterion_statistics(values)
    assert stats.n == len(values)
    assert stats.mean == pytest.approx(statistics.mean(values))
    assert stats.median == statistics.median(values)
    assert stats.sd == pytest.approx(statistics.pstdev(values))
    assert stats.range == max(values) - min(values)
    assert min(values) <= stats.median <= max(values)
    assert min(values) <= stats.mean <= max(values)


@given(st.lists(score, min_size=1, max_size=12), st.randoms())
def test_criterion_statistics_ignore_order(values: list[int], rnd: random.Random) -> None:
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert criterion_statistics(shuffled) == criterion_statistics(values)


def test_proposal_statistics_skips_criteria_nobody_scored() -> None:
    stats = proposal_statistics([{"effect": 2, "cost": 4}, {"effect": 4}], ["effect", "feasibility", "cost"])
    assert list(stats) == ["effect", "cost"]
    assert stats["effect"].n == 2
    assert stats["cost"].n == 1


def test_disagreement_flags_a_range_reaching_the_threshold() -> None:
    stats = {
        "effect": criterion_statistics([1, 3]),
        "cost": criterion_statistics([2, 3]),
        "team": criterion_statistics([0, 5]),
    }
    assert disagreement(stats) == ("effect", "team")
    assert disagreement(stats, threshold=3) == ("team",)
    assert disagreement(stats, threshold=1) == ("effect", "cost", "team")


def test_disagreement_refuses_a_threshold_that_is_not_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        disagreement({}, threshold=0)


@given(
    st.dictionaries(st.sampled_from(sorted(WEIGHTS)), st.lists(score, min_size=1, max_size=5), min_size=1),
    st.integers(1, 5),
)
def test_disagreement_flags_exactly_the_criteria_at_or_over_the_threshold(
    values: dict[str, list[int]], threshold: int
) -> None:
    stats = {key: criterion_statistics(items) for key, items in values.items()}
    assert set(disagreement(stats, threshold)) == {
        key for key, items in values.items() if max(items) - min(items) >= threshold
    }


# --- calibration ---


def _evaluation(evaluator: int, proposal: str, value: int) -> EvaluationScores:
    return EvaluationScores(evaluator, proposal, dict.fromkeys(WEIGHTS, value))


def test_calibration_reports_each_evaluators_mean_spread_and_offset() -> None:
    rows = [
        _evaluation(1, "P-000001", 4),
        _evaluation(1, "P-000002", 2),
        _evaluation(2, "P-000001", 3),
        _evaluation(2, "P-000002", 1),
    ]
    result = calibration(rows, WEIGHTS, minimum=1)
    first, second = result.evaluators
    assert (first.evaluator_id, first.n, first.mean, first.sd, first.offset, first.zero_spread) == (
        1,
        2,
        3.0,
        1.0,
        0.5,
        False,
    )
    assert (second.evaluator_id, second.mean, second.offset) == (2, 2.0, -0.5)


def test_calibration_removes_a_lenient_evaluators_offset() -> None:
    # Evaluator 2 scores everything one point higher than evaluator 1; each proposal has one of them.
    rows = [
        _evaluation(1, "P-000001", 1),
        _evaluation(1, "P-000002", 3),
        _evaluation(2, "P-000003", 2),
        _evaluation(2, "P-000004", 4),
    ]
    result = calibration(rows, WEIGHTS, minimum=1)
    by_reference = {item.proposal: item for item in result.proposals}
    assert by_reference["P-000001"].mean_z == by_reference["P-000003"].mean_z == -1.0
    assert by_reference["P-000002"].mean_z == by_reference["P-000004"].mean_z == 1.0
    assert by_reference["P-000003"].raw_total == 2.0
    assert by_reference["P-000001"].normalised_total == by_reference["P-000003"].normalised_total


def test_calibration_counts_an_evaluator_with_zero_spread_as_average() -> None:
    rows = [
        _evaluation(1, "P-000001", 3),
        _evaluation(1, "P-000002", 3),
        _evaluation(2, "P-000001", 1),
        _evaluation(2, "P-000002", 5),
    ]
    result = calibration(rows, WEIGHTS, minimum=1)
    flat = result.evaluators[0]
    assert (flat.evaluator_id, flat.sd, flat.zero_spread) == (1, 0.0, True)
    by_reference = {item.proposal: item for item in result.proposals}
    # Evaluator 1 contributes z = 0 to both; evaluator 2 contributes -1 and +1.
    assert by_reference["P-000001"].mean_z == -0.5
    assert by_reference["P-000002"].mean_z == 0.5


def test_calibration_of_a_single_evaluation_is_zero_spread() -> None:
    result = calibration([_evaluation(7, "P-000001", 2)], WEIGHTS, minimum=1)
    assert result.evaluators[0].zero_spread is True
    assert result.proposals[0].mean_z == 0.0
    assert result.proposals[0].normalised_total == 2.0


def test_calibration_of_nothing_is_empty() -> None:
    assert calibration([], WEIGHTS) == results_rules.Calibration(evaluators=(), proposals=())
    assert calibration([], WEIGHTS).enough_data is False


# The rule: an evaluator's figures count only from MIN_EVALUATIONS_PER_EVALUATOR evaluations on.


def test_calibration_minimum_is_three_evaluations() -> None:
    assert results_rules.MIN_EVALUATIONS_PER_EVALUATOR == 3


def test_calibration_with_two_evaluations_per_evaluator_has_too_little_data() -> None:
    # Without the minimum, P-000001 and P-000003 (totals 1 and 4) would get the same normalised total.
    rows = [
        _evaluation(1, "P-000001", 1),
        _evaluation(1, "P-000002", 3),
        _evaluation(2, "P-000003", 4),
        _evaluation(2, "P-000004", 5),
    ]
    result = calibration(rows, WEIGHTS)
    assert result == results_rules.Calibration(
        evaluators=(),
        proposals=(),
        too_little_data=(results_rules.TooLittleData(1, 2, 3), results_rules.TooLittleData(2, 2, 3)),
        uncalibrated=("P-000001", "P-000002", "P-000003", "P-000004"),
        minimum=3,
    )
    assert result.enough_data is False


def test_calibration_counts_only_evaluators_with_enough_data() -> None:
    rows = [
        _evaluation(1, "P-000001", 1),
        _evaluation(1, "P-000002", 2),
        _evaluation(1, "P-000003", 4),
        _evaluation(2, "P-000001", 5),
        _evaluation(2, "P-000004", 5),
    ]
    result = calibration(rows, WEIGHTS)
    assert result.enough_data is True
    assert [item.evaluator_id for item in result.evaluators] == [1]
    assert result.too_little_data == (results_rules.TooLittleData(2, 2, 3),)
    assert result.uncalibrated == ("P-000004",)
    # Only evaluator 1's totals count: mean 7/3; evaluator 2's 5 on P-000001 changes nothing.
    first = result.evaluators[0]
    assert (first.n, first.mean, first.offset) == (3, 7 / 3, 0.0)
    by_reference = {item.proposal: item for item in result.proposals}
    assert sorted(by_reference) == ["P-000001", "P-000002", "P-000003"]
    assert (by_reference["P-000001"].n, by_reference["P-000001"].raw_total) == (1, 1.0)
    normalised = [by_reference[key].normalised_total for key in sorted(by_reference)]
    assert normalised == pytest.approx([1.0, 2.0, 4.0])  # one evaluator: normalising gives their own totals
    assert len(set(normalised)) == 3


def test_calibration_at_the_minimum_gives_distinct_totals_to_distinct_scores() -> None:
    rows = [_evaluation(1, f"P-00000{i}", value) for i, value in enumerate((1, 2, 4), start=1)]
    rows += [_evaluation(2, f"P-00000{i}", value) for i, value in enumerate((2, 2, 5), start=1)]
    result = calibration(rows, WEIGHTS)
    assert [item.n for item in result.evaluators] == [3, 3]
    assert result.too_little_data == ()
    assert len({item.normalised_total for item in result.proposals}) == 3


def test_calibration_refuses_a_minimum_below_one() -> None:
    with pytest.raises(ValueError, match="at least one evaluation"):
        calibration([_evaluation(1, "P-000001", 1)], WEIGHTS, minimum=0)


@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 6), scores_st),
        min_size=1,
        max_size=20,
        unique_by=lambda row: row[:2],
    ),
    st.randoms(),
)
def test_calibration_z_scores_centre_each_evaluator(
    rows: list[tuple[int, int, dict[str, int]]], rnd: random.Random
) -> None:
    evaluations = [EvaluationScores(evaluator, f"P-{proposal:06d}", scores) for evaluator, proposal, scores in rows]
    result = calibration(evaluations, WEIGHTS, minimum=1)
    shuffled = list(evaluations)
    rnd.shuffle(shuffled)
    assert calibration(shuffled, WEIGHTS, minimum=1) == result
    for item in result.evaluators:
        assert item.sd >= 0
        assert item.zero_spread == (item.sd == 0)
    assert [item.evaluator_id for item in result.evaluators] == sorted({row[0] for row in rows})
    assert [item.proposal for item in result.proposals] == sorted({f"P-{row[1]:06d}" for row in rows})
    for proposal in result.proposals:
        assert math.isfinite(proposal.mean_z)
        assert math.isfinite(proposal.normalised_total)


@given(
    st.lists(
        st.tuples(st.integers(1, 4), st.integers(1, 6), scores_st),
        max_size=20,
        unique_by=lambda row: row[:2],
    ),
    st.integers(1, 5),
)
def test_calibration_figures_come_only_from_evaluators_with_enough_data(
    rows: list[tuple[int, int, dict[str, int]]], minimum: int
) -> None:
    evaluations = [EvaluationScores(evaluator, f"P-{proposal:06d}", scores) for evaluator, proposal, scores in rows]
    result = calibration(evaluations, WEIGHTS, minimum=minimum)
    counts = {evaluator: sum(1 for row in rows if row[0] == evaluator) for evaluator in {row[0] for row in rows}}
    enough = {evaluator for evaluator, n in counts.items() if n >= minimum}
    assert [item.evaluator_id for item in result.evaluators] == sorted(enough)
    assert result.too_little_data == tuple(
        results_rules.TooLittleData(evaluator, n, minimum) for evaluator, n in sorted(counts.items()) if n < minimum
    )
    counted = {f"P-{row[1]:06d}" for row in rows if row[0] in enough}
    assert [item.proposal for item in result.proposals] == sorted(counted)
    assert set(result.uncalibrated) == {f"P-{row[1]:06d}" for row in rows} - counted
    assert result.enough_data == bool(enough)
    for proposal in result.proposals:
        assert proposal.n == sum(1 for row in rows if f"P-{row[1]:06d}" == proposal.proposal and row[0] in enough)


# --- knock-outs ---


def test_knock_out_passes_scores_at_the_minimums() -> None:
    rules = [CriterionRule("effect", 60, minimum=3), CriterionRule("cost", 40, minimum=2)]
    result = knock_out({"effect": 3, "cost": 2}, rules, total_minimum=2.6)
    assert result == scoring.KnockOut(passes=True, complete=True, reasons=())


def test_knock_out_reports_every_failing_rule() -> None:
    rules = [CriterionRule("effect", 60, minimum=3), CriterionRule("cost", 40, minimum=2)]
    result = knock_out({"effect": 2, "cost": 1}, rules, total_minimum=2.0)
    assert result.passes is False
    assert result.complete is True
    assert result.reasons == (
        Reason(scoring.MSG_BELOW_CRITERION_MINIMUM, {"criterion": "effect", "score": 2, "minimum": 3}),
        Reason(scoring.MSG_BELOW_CRITERION_MINIMUM, {"criterion": "cost", "score": 1, "minimum": 2}),
        Reason(scoring.MSG_BELOW_TOTAL_MINIMUM, {"total": 1.6, "minimum": 2.0}),
    )


def test_knock_out_on_the_total_alone() -> None:
    result = knock_out({"effect": 3, "cost": 2}, [CriterionRule("effect", 60), CriterionRule("cost", 40)], 2.61)
    assert result.reasons == (Reason(scoring.MSG_BELOW_TOTAL_MINIMUM, {"total": 2.6, "minimum": 2.61}),)


def test_knock_out_with_missing_consensus_is_incomplete() -> None:
    rules = [CriterionRule("effect", 60, minimum=3), CriterionRule("cost", 40)]
    result = knock_out({"effect": 4, "cost": None}, rules, total_minimum=1.0)
    assert (result.passes, result.complete) == (False, False)
    assert result.reasons == (Reason(scoring.MSG_MISSING_CONSENSUS, {"criterion": "cost"}),)


def test_knock_out_refuses_unknown_criteria() -> None:
    with pytest.raises(ValueError, match="unknown criteria"):
        knock_out({"effect": 4, "colour": 1}, [CriterionRule("effect", 100)])


@given(scores_st, st.fixed_dictionaries({key: st.none() | score for key in WEIGHTS}))
def test_knock_out_passes_exactly_when_every_minimum_is_met(
    scores: dict[str, int], minimums: dict[str, int | None]
) -> None:
    rules = [CriterionRule(key, weight, minimums[key]) for key, weight in WEIGHTS.items()]
    expected = all(minimums[key] is None or scores[key] >= minimums[key] for key in WEIGHTS)  # type: ignore[operator]
    assert knock_out(scores, rules).passes is expected


# --- ranking ---


def _entry(reference: str, received: int = 0, **scores: int | None) -> RankingEntry:
    return RankingEntry(reference, T0 + timedelta(minutes=received), {key: scores.get(key, 3) for key in WEIGHTS})


def test_tie_break_order_is_weight_then_definition_order() -> None:
    rules = [CriterionRule("a", 20), CriterionRule("b", 40), CriterionRule("c", 20), CriterionRule("d", 20)]
    assert tie_break_order(rules) == ("b", "a", "c", "d")


def test_ranking_orders_by_total() -> None:
    ranked = ranking([_entry("P-000001", effect=2), _entry("P-000002", effect=5), _entry("P-000003")], RULES)
    assert [(item.reference, item.rank, item.total) for item in ranked] == [
        ("P-000002", 1, 3.8),
        ("P-000003", 2, 3.0),
        ("P-000001", 3, 2.6),
    ]
    assert all(item.tie_break is None for item in ranked)


def test_ranking_breaks_a_tie_on_the_highest_weighted_criterion() -> None:
    # Same total 3.0: one point moved between effect (40) and cost (20) twice over.
    higher_effect = _entry("P-000009", effect=4, cost=1)
    lower_effect = _entry("P-000001", effect=3, cost=3)
    ranked = ranking([lower_effect, higher_effect], RULES)
    assert [item.reference for item in ranked] == ["P-000009", "P-000001"]
    assert ranked[1].tie_break == Reason(results_rules.MSG_TIE_CRITERION, {"criterion": "effect"})


def test_ranking_breaks_a_full_tie_on_time_of_receipt_then_reference() -> None:
    ranked = ranking(
        [_entry("P-000003", received=5), _entry("P-000002", received=9), _entry("P-000001", received=9)], RULES
    )
    assert [item.reference for item in ranked] == ["P-000003", "P-000001", "P-000002"]
    assert ranked[1].tie_break == Reason(results_rules.MSG_TIE_RECEIVED)
    assert ranked[2].tie_break == Reason(results_rules.MSG_TIE_REFERENCE)


def test_ranking_lists_knocked_out_proposals_unranked_after_the_ranked() -> None:
    rules = [CriterionRule("effect", 40, minimum=2), *RULES[1:]]
    entries = [
        _entry("P-000001", effect=1, feasibility=5, cost=5, team=5),  # total 3.4 but knocked out
        _entry("P-000002"),
        _entry("P-000003", cost=None),  # incomplete
        _entry("P-000004", effect=0),  # knocked out, total 1.8
    ]
    ranked = ranking(entries, rules)
    assert [(item.reference, item.rank, item.total) for item in ranked] == [
        ("P-000002", 1, 3.0),
        ("P-000001", None, 3.4),
        ("P-000004", None, 1.8),
        ("P-000003", None, None),
    ]
    assert ranked[1].knock_out.reasons == (
        Reason(scoring.MSG_BELOW_CRITERION_MINIMUM, {"criterion": "effect", "score": 1, "minimum": 2}),
    )
    assert ranked[3].knock_out.complete is False


def test_ranking_applies_the_total_minimum() -> None:
    ranked = ranking([_entry("P-000001", effect=5), _entry("P-000002")], RULES, total_minimum=3.5)
    assert [(item.reference, item.rank) for item in ranked] == [("P-000001", 1), ("P-000002", None)]


def test_ranking_refuses_a_proposal_twice() -> None:
    with pytest.raises(ValueError, match="P-000001 appears twice"):
        ranking([_entry("P-000001"), _entry("P-000001", effect=1)], RULES)


entries_st = st.lists(
    st.builds(
        RankingEntry,
        reference=st.integers(1, 60).map(lambda n: f"P-{n:06d}"),
        received_at=st.integers(0, 5).map(lambda n: T0 + timedelta(minutes=n)),
        consensus=st.fixed_dictionaries({key: st.none() | score if key == "team" else score for key in WEIGHTS}),
    ),
    max_size=25,
    unique_by=lambda entry: entry.reference,
)


@given(entries_st, st.randoms(), st.none() | st.floats(0, 5, allow_nan=False))
def test_ranking_is_deterministic_and_consistent(
    entries: list[RankingEntry], rnd: random.Random, total_minimum: float | None
) -> None:
    rules = [CriterionRule("effect", 40, minimum=1), *RULES[1:]]
    ranked = ranking(entries, rules, total_minimum)
    shuffled = list(entries)
    rnd.shuffle(shuffled)
    assert ranking(shuffled, rules, total_minimum) == ranked
    assert sorted(item.reference for item in ranked) == sorted(entry.reference for entry in entries)
    ranks = [item.rank for item in ranked if item.rank is not None]
    assert ranks == list(range(1, len(ranks) + 1))
    # Ranked first, unranked after; totals never increase down the ranked part.
    assert all(item.rank is None for item in ranked[len(ranks) :])
    totals = [item.total for item in ranked[: len(ranks)]]
    assert totals == sorted(totals, reverse=True)  # type: ignore[type-var]
    for item in ranked:
        assert (item.rank is not None) == item.knock_out.passes


# --- shortlist ---


def test_shortlist_takes_the_best_n() -> None:
    ranked = ranking([_entry("P-000001", effect=2), _entry("P-000002", effect=5), _entry("P-000003")], RULES)
    assert shortlist(ranked, top=2) == ("P-000002", "P-000003")


def test_shortlist_by_threshold_and_both() -> None:
    ranked = ranking([_entry("P-000001", effect=2), _entry("P-000002", effect=5), _entry("P-000003")], RULES)
    assert shortlist(ranked, threshold=3.0) == ("P-000002", "P-000003")
    assert shortlist(ranked, threshold=3.0, top=1) == ("P-000002",)
    assert shortlist(ranked, threshold=4.0) == ()


def test_shortlist_never_takes_a_knocked_out_proposal() -> None:
    ranked = ranking([_entry("P-000001", effect=5), _entry("P-000002", effect=5, team=None)], RULES)
    assert shortlist(ranked, top=5) == ("P-000001",)


def test_shortlist_needs_a_rule() -> None:
    with pytest.raises(ValueError, match="number of proposals, a threshold"):
        shortlist([])
    with pytest.raises(ValueError, match="must not be negative"):
        shortlist([], top=-1)


@given(entries_st, st.integers(0, 30))
def test_shortlist_is_a_prefix_of_the_ranking(entries: list[RankingEntry], top: int) -> None:
    ranked = ranking(entries, RULES)
    chosen = shortlist(ranked, top=top)
    ranked_references = [item.reference for item in ranked if item.rank is not None]
    assert list(chosen) == ranked_references[:top]


def test_reason_text_translates_and_names_the_criterion() -> None:
    reason = Reason(scoring.MSG_MISSING_CONSENSUS, {"criterion": "cost"})
    assert (
        scoring.reason_text(reason, "nl", criterion_titles={"cost": "Kosten"})
        == "Nog geen consensusscore voor criterium Kosten."
    )
    assert scoring.reason_text(reason, "en") == "No consensus score yet for criterion cost."
