"""Scoring arithmetic: weighted totals, statistics, disagreement, calibration, knock-outs, ranking, shortlist.

Pure functions over frozen dataclasses: no database, no web. The service feeds them what it loaded.

Numbers. Scores are integers on the challenge's scale and weights integers that sum to 100 (the schema of
a challenge definition guarantees both). A weighted total is computed exactly as the integer
``sum(score * weight)`` (hundredths of a scale point, :func:`weighted_points`) and only then divided by
100, so two proposals with the same scores always get the same total and comparisons are exact. Every
other figure (mean, median, standard deviation, z-scores) is a ``float``; nothing here rounds: rounding is
for display only (templates and exports round to two decimals).

Standard deviation is the **population** standard deviation (``statistics.pstdev``): the evaluators of a
proposal are all the evaluators there are for it, not a sample of a larger group, and it stays defined
(0.0) for a single score.

Reasons (knock-outs, tie-breaks) are :class:`Reason` values: an English msgid with its parameters,
translated where they are shown. A ``criterion`` parameter holds the criterion's key; the page shows its
title instead.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.i18n import N_, translate

DEFAULT_DISAGREEMENT_THRESHOLD = 2
WEIGHTS_TOTAL = 100


@dataclass(frozen=True)
class Reason:
    """Why something came out as it did: an English msgid and its parameters, translated where shown."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict)


def reason_text(reason: Reason, language: str, *, criterion_titles: Mapping[str, str] | None = None) -> str:
    """The reason translated, with a ``criterion`` key replaced by its title when ``criterion_titles`` has it
    and a weighted ``total`` with two decimals (as the pages show it)."""
    params = dict(reason.params)
    if criterion_titles is not None and "criterion" in params:
        params["criterion"] = criterion_titles.get(str(params["criterion"]), params["criterion"])
    if isinstance(params.get("total"), float):
        params["total"] = f"{params['total']:.2f}"
    return translate(language, reason.message, **params)


# --- weighted totals ---------------------------------------------------------------------------------


def _check_weights(weights: Mapping[str, int]) -> None:
    total = sum(weights.values())
    if total != WEIGHTS_TOTAL:
        raise ValueError(f"criteria weights must sum to {WEIGHTS_TOTAL}, not {total}")
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("criteria weights must not be negative")


def weighted_points(scores: Mapping[str, int], weights: Mapping[str, int]) -> int:
    """The weighted total in hundredths of a scale point, exactly: ``sum(score * weight)``.

    Every criterion with a weight needs a score; scores for unknown criteria are refused.
    """
    _check_weights(weights)
    missing = sorted(set(weights) - set(scores))
    extra = sorted(set(scores) - set(weights))
    if missing or extra:
        raise ValueError(f"scores do not match the criteria: missing {missing}, unknown {extra}")
    return sum(int(scores[key]) * weight for key, weight in weights.items())


def weighted_total(scores: Mapping[str, int], weights: Mapping[str, int]) -> float:
    """The weighted total on the scale (0-5 for a 0-5 scale): the weights sum to 100."""
    return weighted_points(scores, weights) / WEIGHTS_TOTAL


# --- statistics per criterion ------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionStatistics:
    """The individual scores of one criterion of one proposal, summarised. ``sd`` is the population SD."""

    n: int
    mean: float
    median: float
    sd: float
    minimum: int
    maximum: int

    @property
    def range(self) -> int:
        """Highest minus lowest score."""
        return self.maximum - self.minimum


def criterion_statistics(values: Iterable[int]) -> CriterionStatistics:
    """Mean, median, population standard deviation and range of one criterion's scores (at least one).

    Integer arithmetic up to the last step (``statistics.pstdev`` gives the same figures, 20 times slower):
    the variance is ``(n * sum of squares - sum**2) / n**2``, exact until the square root.
    """
    scores = sorted(int(value) for value in values)
    n = len(scores)
    if not n:
        raise ValueError("statistics need at least one score")
    total = sum(scores)
    middle = n // 2
    median = float(scores[middle]) if n % 2 else (scores[middle - 1] + scores[middle]) / 2
    spread = n * sum(score * score for score in scores) - total * total
    return CriterionStatistics(
        n=n,
        mean=total / n,
        median=median,
        sd=math.sqrt(spread) / n,
        minimum=scores[0],
        maximum=scores[-1],
    )


def proposal_statistics(
    evaluations: Iterable[Mapping[str, int]], criteria: Sequence[str]
) -> dict[str, CriterionStatistics]:
    """Statistics per criterion over the submitted evaluations of one proposal, in the criteria's order.

    A criterion that no evaluation scored is left out (for example before any evaluation is submitted).
    """
    rows = list(evaluations)
    result: dict[str, CriterionStatistics] = {}
    for key in criteria:
        values = [row[key] for row in rows if key in row]
        if values:
            result[key] = criterion_statistics(values)
    return result


def disagreement(
    stats: Mapping[str, CriterionStatistics], threshold: float = DEFAULT_DISAGREEMENT_THRESHOLD
) -> tuple[str, ...]:
    """The criteria whose range of scores reaches the threshold (``range >= threshold``), in the given order."""
    if threshold <= 0:
        raise ValueError("the disagreement threshold must be positive")
    return tuple(key for key, value in stats.items() if value.range >= threshold)


# --- calibration (advisory) --------------------------------------------------------------------------

# An evaluator's figures mean something only from this many submitted evaluations on. Over two totals the
# z-scores are always -1 and +1 (or 0 and 0), whatever the scores were: normalising then gives different
# proposals the same total and says only which of the two the evaluator liked better. Three is the least
# number at which an evaluator's spread says anything about how they score.
MIN_EVALUATIONS_PER_EVALUATOR = 3


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

    by_proposal: dict[str, list[tuple[float, float]]] = {}
    for row, total in zip(counted, totals, strict=True):
        stats = evaluators[row.evaluator_id]
        z = 0.0 if stats.zero_spread else (total - stats.mean) / stats.sd
        by_proposal.setdefault(row.proposal, []).append((total, z))
    proposals = []
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
    return Calibration(
        evaluators=tuple(evaluators[key] for key in sorted(evaluators)),
        proposals=tuple(proposals),
        too_little_data=short,
        uncalibrated=uncalibrated,
        minimum=minimum,
    )


# --- knock-outs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CriterionRule:
    """A criterion as ranking needs it: key, weight, and the knock-out minimum (a score below it rejects)."""

    key: str
    weight: int
    minimum: int | None = None


@dataclass(frozen=True)
class KnockOut:
    """Whether consensus scores pass the knock-outs, and every reason when they do not.

    ``complete`` is false when a criterion has no consensus score yet: such a proposal does not pass
    (it cannot be ranked) and the reasons say which criteria are missing.
    """

    passes: bool
    complete: bool
    reasons: tuple[Reason, ...]


MSG_MISSING_CONSENSUS = N_("No consensus score yet for criterion %(criterion)s.")
MSG_BELOW_CRITERION_MINIMUM = N_("Criterion %(criterion)s scored %(score)s, below its minimum of %(minimum)s.")
MSG_BELOW_TOTAL_MINIMUM = N_("The weighted total %(total)s is below the minimum of %(minimum)s.")


def knock_out(
    consensus: Mapping[str, int | None], criteria: Sequence[CriterionRule], total_minimum: float | None = None
) -> KnockOut:
    """Apply the knock-out minimums per criterion and overall to a proposal's consensus scores.

    A score below a criterion's minimum rejects (equal passes); a weighted total below ``total_minimum``
    rejects. All failing rules are reported, not only the first. Scores for unknown criteria are refused
    (``ValueError``).
    """
    unknown = sorted(set(consensus) - {rule.key for rule in criteria})
    if unknown:
        raise ValueError(f"consensus scores for unknown criteria: {unknown}")
    reasons: list[Reason] = []
    missing = [rule.key for rule in criteria if consensus.get(rule.key) is None]
    for key in missing:
        reasons.append(Reason(MSG_MISSING_CONSENSUS, {"criterion": key}))
    for rule in criteria:
        score = consensus.get(rule.key)
        if score is not None and rule.minimum is not None and score < rule.minimum:
            reasons.append(
                Reason(MSG_BELOW_CRITERION_MINIMUM, {"criterion": rule.key, "score": score, "minimum": rule.minimum})
            )
    if not missing and total_minimum is not None:
        total = weighted_total(_complete(consensus), {rule.key: rule.weight for rule in criteria})
        if total < total_minimum:
            reasons.append(Reason(MSG_BELOW_TOTAL_MINIMUM, {"total": total, "minimum": total_minimum}))
    return KnockOut(passes=not reasons, complete=not missing, reasons=tuple(reasons))


def _complete(consensus: Mapping[str, int | None]) -> dict[str, int]:
    return {key: value for key, value in consensus.items() if value is not None}


# --- ranking and shortlist ---------------------------------------------------------------------------


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
    _check_weights(weights)
    order = tie_break_order(criteria)
    passed: list[tuple[tuple[object, ...], RankingEntry, int]] = []
    failed: list[tuple[tuple[object, ...], RankedProposal]] = []
    references: set[str] = set()
    for entry in entries:
        if entry.reference in references:
            raise ValueError(f"proposal {entry.reference} appears twice")
        references.add(entry.reference)
        result = knock_out(entry.consensus, criteria, total_minimum)
        points = weighted_points(_complete(entry.consensus), weights) if result.complete else None
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
