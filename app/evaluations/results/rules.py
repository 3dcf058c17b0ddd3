"""Calibration of the evaluators, ranking and shortlist: pure functions over frozen dataclasses (see
``app.evaluations.scoring.rules`` for the numbers and the reasons).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.evaluations.scoring.rules import (
    DEFAULT_DISAGREEMENT_THRESHOLD,
    WEIGHTS_TOTAL,
    CriterionRule,
    KnockOut,
    Reason,
    check_weights,
    complete_scores,
    knock_out,
    weighted_points,
    weighted_total,
)
from app.i18n import N_

# An evaluator's figures mean something only from this many submitted evaluations on. Over two totals the
# z-scores are always -1 and +1 (or 0 and 0), whatever the scores were: normalising then gives different
# proposals the same total and says only which of the two the evaluator liked better. Three is the least
# number at which an evaluator's spread says anything about how they score.
MIN_EVALUATIONS_PER_EVALUATOR = 3


@dataclass(frozen=True)
class EvaluationPolicy:
    """The evaluation's configured thresholds, built from the settings by whoever calls the services.

    ``disagreement_threshold`` is in points on a 0-5 scale (``PORTAL_DISAGREEMENT_THRESHOLD``); a challenge
    with another scale gets it proportionally (``route.service.default_threshold``).
    """

    disagreement_threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD


@dataclass(frozen=True)
class EvaluationScores:
    """One evaluator's submitted scores for one proposal."""

    evaluator_id: int
    proposal: str
    scores: Mapping[str, int]


@dataclass(frozen=True)
class EvaluatorCalibration:
    """How one evaluator scores, over all proposals they evaluated (weighted totals on the scale).

    ``offset`` is their mean minus the mean of every evaluation that counts: positive is lenient, negative
    strict. ``zero_spread`` is true when all their totals are equal: z-scores are then undefined and their
    evaluations count as average (z = 0).
    """

    evaluator_id: int
    n: int
    mean: float
    sd: float
    offset: float
    zero_spread: bool


@dataclass(frozen=True)
class TooLittleData:
    """An evaluator with fewer submitted evaluations (``n``) than calibration needs (``needed``)."""

    evaluator_id: int
    n: int
    needed: int


@dataclass(frozen=True)
class ProposalCalibration:
    """A proposal's total before and after normalising each evaluator's totals (advisory only).

    Only evaluations by evaluators with enough data count: ``n`` of them. ``raw_total`` is their plain
    mean, ``mean_z`` their mean z-score, and ``normalised_total`` puts it back on the scale as
    ``overall mean + mean_z * overall SD`` (over every evaluation that counts) so that the two can be read
    side by side.
    """

    proposal: str
    n: int
    raw_total: float
    mean_z: float
    normalised_total: float


@dataclass(frozen=True)
class Calibration:
    """Figures for the evaluators with enough data, and the proposals they evaluated.

    ``too_little_data`` lists the evaluators below ``minimum`` evaluations: they get no figures and their
    evaluations count nowhere. ``uncalibrated`` lists the proposals that no evaluator with enough data
    evaluated.
    """

    evaluators: tuple[EvaluatorCalibration, ...]
    proposals: tuple[ProposalCalibration, ...]
    too_little_data: tuple[TooLittleData, ...] = ()
    uncalibrated: tuple[str, ...] = ()
    minimum: int = MIN_EVALUATIONS_PER_EVALUATOR

    @property
    def enough_data(self) -> bool:
        """Whether at least one evaluator has enough evaluations for any figure to mean something."""
        return bool(self.evaluators)


def _evaluator_calibrations(
    counted: list[EvaluationScores], totals: list[float], overall_mean: float
) -> dict[int, EvaluatorCalibration]:
    """Per evaluator the mean and spread of their weighted totals, and their offset from the overall mean."""
    by_evaluator: dict[int, list[float]] = {}
    for row, total in zip(counted, totals, strict=True):
        by_evaluator.setdefault(row.evaluator_id, []).append(total)
    evaluators: dict[int, EvaluatorCalibration] = {}
    for evaluator_id, values in by_evaluator.items():
        mean = statistics.fmean(values)
        sd = statistics.pstdev(values)
        evaluators[evaluator_id] = EvaluatorCalibration(
            evaluator_id=evaluator_id,
            n=len(values),
            mean=mean,
            sd=sd,
            offset=mean - overall_mean,
            zero_spread=sd == 0,
        )
    return evaluators


def _proposal_calibrations(
    counted: list[EvaluationScores],
    totals: list[float],
    evaluators: Mapping[int, EvaluatorCalibration],
    overall_mean: float,
    overall_sd: float,
) -> list[ProposalCalibration]:
    """Per proposal the mean z-score of its evaluations and the total it normalises to."""
    by_proposal: dict[str, list[tuple[float, float]]] = {}
    for row, total in zip(counted, totals, strict=True):
        stats = evaluators[row.evaluator_id]
        z = 0.0 if stats.zero_spread else (total - stats.mean) / stats.sd
        by_proposal.setdefault(row.proposal, []).append((total, z))
    proposals: list[ProposalCalibration] = []
    for reference in sorted(by_proposal):
        pairs = by_proposal[reference]
        mean_z = statistics.fmean(z for _, z in pairs)
        proposals.append(
            ProposalCalibration(
                proposal=reference,
                n=len(pairs),
                raw_total=statistics.fmean(total for total, _ in pairs),
                mean_z=mean_z,
                normalised_total=overall_mean + mean_z * overall_sd,
            )
        )
    return proposals


def calibration(
    evaluations: Iterable[EvaluationScores],
    weights: Mapping[str, int],
    *,
    minimum: int = MIN_EVALUATIONS_PER_EVALUATOR,
) -> Calibration:
    """Per evaluator the mean and spread of their weighted totals; per proposal the z-normalised total.

    Only evaluators with at least ``minimum`` evaluations count (:data:`MIN_EVALUATIONS_PER_EVALUATOR`);
    the others are listed in ``too_little_data`` without figures. Each counted evaluation's weighted total
    becomes ``z = (total - evaluator mean) / evaluator SD`` (population SD over that evaluator's totals);
    an evaluator with zero spread gets z = 0 for every evaluation. The result is advice for the moderator:
    it never changes a score or the ranking. Evaluators are listed by id, proposals by reference.
    """
    if minimum < 1:
        raise ValueError("calibration needs at least one evaluation per evaluator")
    rows = sorted(evaluations, key=lambda row: (row.evaluator_id, row.proposal))
    counts: dict[int, int] = {}
    for row in rows:
        counts[row.evaluator_id] = counts.get(row.evaluator_id, 0) + 1
    short = tuple(TooLittleData(key, n, minimum) for key, n in sorted(counts.items()) if n < minimum)
    excluded = {item.evaluator_id for item in short}
    counted = [row for row in rows if row.evaluator_id not in excluded]
    uncalibrated = tuple(sorted({row.proposal for row in rows} - {row.proposal for row in counted}))
    if not counted:
        return Calibration((), (), too_little_data=short, uncalibrated=uncalibrated, minimum=minimum)
    totals = [weighted_total(row.scores, weights) for row in counted]
    overall_mean = statistics.fmean(totals)
    overall_sd = statistics.pstdev(totals)

    evaluators = _evaluator_calibrations(counted, totals, overall_mean)
    proposals = _proposal_calibrations(counted, totals, evaluators, overall_mean, overall_sd)
    return Calibration(
        evaluators=tuple(evaluators[key] for key in sorted(evaluators)),
        proposals=tuple(proposals),
        too_little_data=short,
        uncalibrated=uncalibrated,
        minimum=minimum,
    )


@dataclass(frozen=True)
class RankingEntry:
    """One proposal to rank: its reference, the time of receipt of its standing version, consensus scores."""

    reference: str
    received_at: datetime
    consensus: Mapping[str, int | None]


@dataclass(frozen=True)
class RankedProposal:
    """A proposal's place. ``rank`` is None for a proposal that did not pass the knock-outs.

    ``total`` is None while consensus is incomplete. ``tie_break`` says which rule put it below the
    proposal ranked just above it when both have the same total (None otherwise).
    """

    reference: str
    rank: int | None
    total: float | None
    knock_out: KnockOut
    tie_break: Reason | None = None


MSG_TIE_CRITERION = N_("Same total as the proposal above; lower consensus score on criterion %(criterion)s.")


MSG_TIE_RECEIVED = N_("Same total and criterion scores as the proposal above; received later.")


MSG_TIE_REFERENCE = N_("Same total, criterion scores and time of receipt as the proposal above; later reference.")


def tie_break_order(criteria: Sequence[CriterionRule]) -> tuple[str, ...]:
    """The criteria in the order that breaks ties: highest weight first, then the order of the definition."""
    return tuple(rule.key for _, rule in sorted(enumerate(criteria), key=lambda item: (-item[1].weight, item[0])))


def ranking(
    entries: Iterable[RankingEntry], criteria: Sequence[CriterionRule], total_minimum: float | None = None
) -> tuple[RankedProposal, ...]:
    """Rank proposals by their consensus scores; deterministic whatever the order of ``entries``.

    Proposals that pass the knock-outs get ranks 1, 2, 3, ... (never shared) in this order:

    1. the higher weighted consensus total (compared exactly, in hundredths);
    2. the higher consensus score on each criterion in turn, highest weight first, equal weights in
       the order of the challenge definition (:func:`tie_break_order`);
    3. the earlier time of receipt of the standing version;
    4. the lower proposal reference (references are unique, so this always decides).

    After them come, unranked, the proposals that did not pass (knocked out or incomplete consensus),
    by total (highest first, incomplete last) and then reference.
    """
    weights = {rule.key: rule.weight for rule in criteria}
    check_weights(weights)
    order = tie_break_order(criteria)
    passed: list[tuple[tuple[object, ...], RankingEntry, int]] = []
    failed: list[tuple[tuple[object, ...], RankedProposal]] = []
    references: set[str] = set()
    for entry in entries:
        if entry.reference in references:
            raise ValueError(f"proposal {entry.reference} appears twice")
        references.add(entry.reference)
        result = knock_out(entry.consensus, criteria, total_minimum)
        points = weighted_points(complete_scores(entry.consensus), weights) if result.complete else None
        if result.passes and points is not None:
            scores = tuple(-int(entry.consensus[key] or 0) for key in order)
            passed.append(((-points, scores, entry.received_at, entry.reference), entry, points))
        else:
            total = None if points is None else points / WEIGHTS_TOTAL
            key = (points is None, -(points or 0), entry.reference)
            failed.append((key, RankedProposal(reference=entry.reference, rank=None, total=total, knock_out=result)))
    passed.sort(key=lambda item: item[0])
    ranked: list[RankedProposal] = []
    previous: tuple[object, ...] | None = None
    for position, (sort_key, entry, points) in enumerate(passed, start=1):
        ranked.append(
            RankedProposal(
                reference=entry.reference,
                rank=position,
                total=points / WEIGHTS_TOTAL,
                knock_out=KnockOut(passes=True, complete=True, reasons=()),
                tie_break=_tie_break(previous, sort_key, order),
            )
        )
        previous = sort_key
    failed.sort(key=lambda item: item[0])
    return tuple(ranked) + tuple(item for _, item in failed)


def _tie_break(previous: tuple[object, ...] | None, current: tuple[object, ...], order: Sequence[str]) -> Reason | None:
    if previous is None or previous[0] != current[0]:
        return None
    previous_scores, current_scores = previous[1], current[1]
    assert isinstance(previous_scores, tuple) and isinstance(current_scores, tuple)
    for key, above, below in zip(order, previous_scores, current_scores, strict=True):
        if above != below:
            return Reason(MSG_TIE_CRITERION, {"criterion": key})
    if previous[2] != current[2]:
        return Reason(MSG_TIE_RECEIVED)
    return Reason(MSG_TIE_REFERENCE)


def shortlist(
    ranked: Iterable[RankedProposal], *, top: int | None = None, threshold: float | None = None
) -> tuple[str, ...]:
    """References of the ranked proposals to shortlist, best first.

    ``top``: at most the best N; ``threshold``: only a total at or above it; both: both conditions.
    Proposals without a rank (knocked out) are never shortlisted.
    """
    if top is None and threshold is None:
        raise ValueError("give a number of proposals, a threshold, or both")
    if top is not None and top < 0:
        raise ValueError("the number of proposals must not be negative")
    chosen = sorted((item for item in ranked if item.rank is not None), key=lambda item: item.rank or 0)
    if threshold is not None:
        chosen = [item for item in chosen if item.total is not None and item.total >= threshold]
    if top is not None:
        chosen = chosen[:top]
    return tuple(item.reference for item in chosen)
