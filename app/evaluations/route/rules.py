"""The procurement route the portal recommends: Article 346 TFEU, ADV, or Aanbestedingswet 2012.

Pure: no database, no web. DESIGN.md, "Essential security interests and the procurement route":
evaluators rate four factors of essential security interest (not at stake, low, medium, high); the
assessment feeds a recommendation that a coordinator confirms or overrides with a reason. This module
implements the recommendation, always with its reasons ("never a silent decision").

The rule
--------
1. **Level of a factor.** Over the evaluators who rated it, a factor's level is the highest level that a
   strict majority rated it at or above (the lower median of the ratings). With three evaluators a
   factor is *high* when at least two rated it high. A factor nobody rated has no level.
2. **Article 346 TFEU** is recommended when the challenge concerns arms, munitions or war material
   (``military_equipment``) **and** at least one factor's level is *high*. The reasons name each high
   factor with how many evaluators rated it high, and remind the coordinator that the dossier must show
   that the interest is necessary and proportionate to protect and cannot be protected by less
   far-reaching means (the portal cannot judge that; the coordinator confirms it).
3. Otherwise **ADV** (Aanbestedingswet op defensie- en veiligheidsgebied, Directive 2009/81/EC) when the
   challenge concerns military equipment or sensitive equipment, works or services (``sensitive``) and
   the estimated value is at or above the ADV threshold valid on the decision date. When the value is
   unknown, or no threshold is valid on that date, ADV is still recommended (the subject matter decides
   the regime) with a warning that the comparison could not be made.
4. Otherwise the **Aanbestedingswet 2012**.

The advice is given **per proposal**, from that proposal's own assessments (and its consortium's ownership
and control, as its submitted version froze it): proposals of one challenge can differ. For the single route
the coordinator confirms for the challenge, ``summarise`` recommends the most far-reaching route any
proposal's advice gives (Article 346 TFEU, then ADV, then the Aanbestedingswet 2012), names each proposal's
route as a reason and warns when they differ.

Thresholds come with a validity period (``valid_from`` and ``valid_until`` inclusive, ``valid_until``
None for open-ended); the decision date picks one; where periods overlap, the one that started last
wins. Reasons are msgids with parameters (raw values: amounts in whole euros, dates); the page formats
and translates them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.evaluations.scoring.rules import Reason
from app.i18n import N_, translate


class SecurityFactor(StrEnum):
    """The four factors of the essential-security-interest framework, in the framework's order."""

    SECURITY_RISKS = "security_risks"
    POLICY_GOALS = "policy_goals"
    ARMED_FORCES = "armed_forces"
    INDUSTRIAL_CAPABILITIES = "industrial_capabilities"


class FactorRating(StrEnum):
    """An evaluator's rating of one factor, lowest first."""

    NOT_AT_STAKE = "not_at_stake"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class ProcurementRoute(StrEnum):
    ARTICLE_346 = "article_346"
    ADV = "adv"
    AANBESTEDINGSWET_2012 = "aanbestedingswet_2012"


FACTOR_LABELS = {
    SecurityFactor.SECURITY_RISKS: N_("Security risks and threats"),
    SecurityFactor.POLICY_GOALS: N_("Goals of Dutch foreign, security and defence policy"),
    SecurityFactor.ARMED_FORCES: N_("Fundamental characteristics of the armed forces"),
    SecurityFactor.INDUSTRIAL_CAPABILITIES: N_("Dutch industrial capabilities"),
}
RATING_LABELS = {
    FactorRating.NOT_AT_STAKE: N_("Not at stake"),
    FactorRating.LOW: N_("Low"),
    FactorRating.MEDIUM: N_("Medium"),
    FactorRating.HIGH: N_("High"),
}
ROUTE_LABELS = {
    ProcurementRoute.ARTICLE_346: N_("Article 346 TFEU"),
    ProcurementRoute.ADV: N_("ADV (Aanbestedingswet op defensie- en veiligheidsgebied)"),
    ProcurementRoute.AANBESTEDINGSWET_2012: N_("Aanbestedingswet 2012"),
}
_ORDER = list(FactorRating)

MSG_MILITARY = N_("The challenge concerns arms, munitions or war material.")
MSG_NOT_MILITARY = N_("The challenge does not concern arms, munitions or war material.")
MSG_SENSITIVE = N_("The challenge concerns sensitive equipment, works or services.")
MSG_NEITHER = N_("The challenge concerns neither military nor sensitive equipment, works or services.")
MSG_FACTOR_HIGH = N_("%(factor)s: rated high by %(count)s of %(total)s evaluators.")
MSG_NO_FACTOR_HIGH = N_("No factor of essential security interest is rated high by a majority of the evaluators.")
MSG_NO_ASSESSMENTS = N_("No assessment of the essential security interests has been submitted yet.")
MSG_346_DOSSIER = N_(
    "Record in the dossier that protecting this interest is necessary and proportionate and cannot be "
    "achieved by less far-reaching means."
)
MSG_AT_OR_ABOVE = N_("The estimated value of %(value)s euro reaches the ADV threshold of %(threshold)s euro.")
MSG_BELOW = N_("The estimated value of %(value)s euro is below the ADV threshold of %(threshold)s euro.")
MSG_VALUE_UNKNOWN = N_(
    "The estimated value is not known: confirm that it reaches the ADV threshold of %(threshold)s euro."
)
MSG_NO_THRESHOLD = N_("No ADV threshold is valid on %(date)s: confirm the threshold that applies.")
MSG_VALUE_AND_THRESHOLD_UNKNOWN = N_("Neither the estimated value nor an ADV threshold valid on %(date)s is known.")
MSG_CONTROL_FLAGGED = N_(
    "%(count)s of the %(total)s consortium members are controlled from outside the EU/EEA or their ownership "
    "is unknown: weigh this in the essential security interests."
)
MSG_PROPOSAL_ROUTE = N_("%(proposal)s: %(route)s.")
MSG_ROUTES_DIFFER = N_(
    "The advice differs between the proposals: the most far-reaching route is recommended. Confirm the route "
    "that applies to the proposals that are awarded."
)
MSG_NO_PROPOSALS = N_("No proposal can be evaluated yet: the advice rests on the challenge's data alone.")
# Most far-reaching first: the route the challenge needs when its proposals' advice differs.
_REACH = [ProcurementRoute.ARTICLE_346, ProcurementRoute.ADV, ProcurementRoute.AANBESTEDINGSWET_2012]


@dataclass(frozen=True)
class AdvThreshold:
    """An ADV threshold in whole euros, valid from ``valid_from`` through ``valid_until`` (None: open-ended)."""

    threshold_eur: int
    valid_from: date
    valid_until: date | None = None

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class FactorLevel:
    """The level of one factor over the evaluators, and how many rated it high, out of how many."""

    factor: SecurityFactor
    level: FactorRating | None
    high: int
    total: int


@dataclass(frozen=True)
class RouteRecommendation:
    """The recommended route with every reason; ``warnings`` are the reasons the coordinator must check."""

    route: ProcurementRoute
    reasons: tuple[Reason, ...]
    warnings: tuple[Reason, ...]
    factors: tuple[FactorLevel, ...]
    threshold: AdvThreshold | None


def threshold_on(thresholds: Sequence[AdvThreshold], day: date) -> AdvThreshold | None:
    """The threshold valid on ``day``; where periods overlap, the one that started last."""
    valid = [item for item in thresholds if item.valid_on(day)]
    return max(valid, key=lambda item: (item.valid_from, item.threshold_eur)) if valid else None


def factor_levels(ratings: Mapping[int, Mapping[str, str]]) -> tuple[FactorLevel, ...]:
    """Per factor, the highest level that a strict majority of its raters rated it at or above.

    ``ratings`` maps an evaluator to their rating per factor (values of :class:`FactorRating`).
    """
    result = []
    for factor in SecurityFactor:
        values = sorted(
            _ORDER.index(FactorRating(per_factor[factor])) for per_factor in ratings.values() if factor in per_factor
        )
        # The lower median: the highest level at or above which strictly more than half of the raters are.
        level = _ORDER[values[(len(values) - 1) // 2]] if values else None
        high = sum(1 for value in values if _ORDER[value] is FactorRating.HIGH)
        result.append(FactorLevel(factor=factor, level=level, high=high, total=len(values)))
    return tuple(result)


def recommend_route(
    *,
    military_equipment: bool,
    sensitive: bool,
    estimated_value_eur: int | None,
    thresholds: Sequence[AdvThreshold],
    decision_date: date,
    ratings: Mapping[int, Mapping[str, str]],
    members: int = 0,
    flagged_members: int = 0,
) -> RouteRecommendation:
    """Recommend a procurement route with its reasons (the rule is in this module's docstring).

    ``members`` and ``flagged_members``: the proposal's consortium and how many of its members are controlled
    from outside the EU/EEA or have unknown ownership (a warning; the evaluators' ratings decide the route)."""
    factors = factor_levels(ratings)
    threshold = threshold_on(thresholds, decision_date)
    reasons: list[Reason] = [Reason(MSG_MILITARY if military_equipment else MSG_NOT_MILITARY)]
    warnings: list[Reason] = []
    if flagged_members:
        warnings.append(Reason(MSG_CONTROL_FLAGGED, {"count": flagged_members, "total": members}))

    if military_equipment:
        high = [item for item in factors if item.level is FactorRating.HIGH]
        if not ratings:
            warnings.append(Reason(MSG_NO_ASSESSMENTS))
        elif not high:
            reasons.append(Reason(MSG_NO_FACTOR_HIGH))
        if high:
            reasons.extend(
                Reason(MSG_FACTOR_HIGH, {"factor": item.factor.value, "count": item.high, "total": item.total})
                for item in high
            )
            warnings.append(Reason(MSG_346_DOSSIER))
            return _result(ProcurementRoute.ARTICLE_346, reasons, warnings, factors, threshold)

    if not (military_equipment or sensitive):
        reasons.append(Reason(MSG_NEITHER))
        return _result(ProcurementRoute.AANBESTEDINGSWET_2012, reasons, warnings, factors, threshold)
    if sensitive:
        reasons.append(Reason(MSG_SENSITIVE))

    if threshold is None and estimated_value_eur is None:
        warnings.append(Reason(MSG_VALUE_AND_THRESHOLD_UNKNOWN, {"date": decision_date}))
        return _result(ProcurementRoute.ADV, reasons, warnings, factors, threshold)
    if threshold is None:
        warnings.append(Reason(MSG_NO_THRESHOLD, {"date": decision_date}))
        return _result(ProcurementRoute.ADV, reasons, warnings, factors, threshold)
    if estimated_value_eur is None:
        warnings.append(Reason(MSG_VALUE_UNKNOWN, {"threshold": threshold.threshold_eur}))
        return _result(ProcurementRoute.ADV, reasons, warnings, factors, threshold)
    params = {"value": estimated_value_eur, "threshold": threshold.threshold_eur}
    if estimated_value_eur >= threshold.threshold_eur:
        reasons.append(Reason(MSG_AT_OR_ABOVE, params))
        return _result(ProcurementRoute.ADV, reasons, warnings, factors, threshold)
    reasons.append(Reason(MSG_BELOW, params))
    return _result(ProcurementRoute.AANBESTEDINGSWET_2012, reasons, warnings, factors, threshold)


def _result(
    route: ProcurementRoute,
    reasons: list[Reason],
    warnings: list[Reason],
    factors: tuple[FactorLevel, ...],
    threshold: AdvThreshold | None,
) -> RouteRecommendation:
    return RouteRecommendation(
        route=route, reasons=tuple(reasons), warnings=tuple(warnings), factors=factors, threshold=threshold
    )


def summarise(
    advice: Sequence[tuple[str, RouteRecommendation]], *, without_proposals: RouteRecommendation
) -> RouteRecommendation:
    """The route for the challenge from each proposal's advice (by reference): the most far-reaching one, each
    proposal's route as a reason, every warning once. ``without_proposals``: the advice when there is none."""
    if not advice:
        return _result(
            without_proposals.route,
            [*without_proposals.reasons, Reason(MSG_NO_PROPOSALS)],
            list(without_proposals.warnings),
            without_proposals.factors,
            without_proposals.threshold,
        )
    routes = {item.route for _, item in advice}
    route = next(candidate for candidate in _REACH if candidate in routes)
    reasons = [Reason(MSG_PROPOSAL_ROUTE, {"proposal": ref, "route": item.route.value}) for ref, item in advice]
    warnings: list[Reason] = [Reason(MSG_ROUTES_DIFFER)] if len(routes) > 1 else []
    for _, item in advice:
        warnings.extend(warning for warning in item.warnings if warning not in warnings)
    return _result(route, reasons, warnings, (), advice[0][1].threshold)


def reason_text(reason: Reason, language: str) -> str:
    """A route reason translated: the factor by its label, amounts with thousands separators, dates d-m-Y."""
    from babel.numbers import format_decimal  # its locale data only where a route is explained

    params = dict(reason.params)
    for key, value in params.items():
        if key == "factor":
            params[key] = translate(language, FACTOR_LABELS[SecurityFactor(str(value))])
        elif key == "route":
            params[key] = translate(language, ROUTE_LABELS[ProcurementRoute(str(value))])
        elif key in {"value", "threshold"} and isinstance(value, int):
            params[key] = format_decimal(value, locale=language)
        elif isinstance(value, date):
            params[key] = value.strftime("%d-%m-%Y")
    return translate(language, reason.message, **params)
