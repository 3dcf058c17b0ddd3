"""Scoring arithmetic: weighted totals, statistics, disagreement, knock-outs (calibration, ranking and shortlist:
``app.evaluations.results.rules``).

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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

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


def check_weights(weights: Mapping[str, int]) -> None:
    total = sum(weights.values())
    if total != WEIGHTS_TOTAL:
        raise ValueError(f"criteria weights must sum to {WEIGHTS_TOTAL}, not {total}")
    if any(weight < 0 for weight in weights.values()):
        raise ValueError("criteria weights must not be negative")


def weighted_points(scores: Mapping[str, int], weights: Mapping[str, int]) -> int:
    """The weighted total in hundredths of a scale point, exactly: ``sum(score * weight)``.

    Every criterion with a weight needs a score; scores for unknown criteria are refused.
    """
    check_weights(weights)
    missing = sorted(set(weights) - set(scores))
    extra = sorted(set(scores) - set(weights))
    if missing or extra:
        raise ValueError(f"scores do not match the criteria: missing {missing}, unknown {extra}")
    return sum(int(scores[key]) * weight for key, weight in weights.items())


def weighted_total(scores: Mapping[str, int], weights: Mapping[str, int]) -> float:
    """The weighted total on the scale (0-5 for a 0-5 scale): the weights sum to 100."""
    return weighted_points(scores, weights) / WEIGHTS_TOTAL


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
        total = weighted_total(complete_scores(consensus), {rule.key: rule.weight for rule in criteria})
        if total < total_minimum:
            reasons.append(Reason(MSG_BELOW_TOTAL_MINIMUM, {"total": total, "minimum": total_minimum}))
    return KnockOut(passes=not reasons, complete=not missing, reasons=tuple(reasons))


def complete_scores(consensus: Mapping[str, int | None]) -> dict[str, int]:
    return {key: value for key, value in consensus.items() if value is not None}
