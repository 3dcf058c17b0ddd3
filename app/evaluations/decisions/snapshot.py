"""What a company is told when its decision is released: the snapshot stored with the decision and the\nresult read back from it (no database, no web).\n"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.evaluations.models import (
    Decision,
)
from app.evaluations.results.service import ProposalResult, StageResults
from app.evaluations.route.service import plain_params
from app.evaluations.scoring import rules as scoring
from app.i18n import translate, translate_plural

# The knock-out rules a company is told about; a missing consensus score is not a rule it failed.
KNOCK_OUT_RULES = frozenset({scoring.MSG_BELOW_CRITERION_MINIMUM, scoring.MSG_BELOW_TOTAL_MINIMUM})


def release_snapshot(results: StageResults, item: ProposalResult) -> dict[str, Any]:
    """What the company is told at release, kept as ``Decision.released_result``: never an evaluator."""
    ranked = item.ranked
    criteria = []
    for criterion in results.definition.criteria:
        consensus = item.consensus.get(criterion.key)
        criteria.append(
            {
                "key": criterion.key,
                "title": criterion.title.model_dump(),
                "weight": criterion.weight,
                "score": consensus.score if consensus else None,
                "rationale": consensus.rationale if consensus else "",
            }
        )
    return {
        "criteria": criteria,
        "scale": {"min": results.definition.scale.min, "max": results.definition.scale.max},
        "total": ranked.total if ranked else None,
        "rank": ranked.rank if ranked else None,
        "ranked": sum(1 for entry in results.ranking if entry.ranked is not None and entry.ranked.rank is not None),
        "knock_outs": [
            {"message": reason.message, "params": plain_params(reason.params)}
            for reason in (ranked.knock_out.reasons if ranked else ())
            if reason.message in KNOCK_OUT_RULES
        ],
    }


@dataclass(frozen=True)
class ReleasedCriterion:
    title: str
    weight: int
    score: int | None
    rationale: str


@dataclass(frozen=True)
class ReleasedResult:
    """A released decision's scores and standing as the company reads them, in one language.

    ``standing`` says the rank ("Rank 2 of 5 ranked proposals.") or that the proposal was not ranked;
    ``knock_outs`` the rules it failed, in words.
    """

    criteria: tuple[ReleasedCriterion, ...]
    scale_max: int
    total: str | None
    standing: str
    knock_outs: tuple[str, ...]


def released_result(decision: Decision, language: str) -> ReleasedResult | None:
    """The snapshot kept at release in ``language``; None for a decision released before it was kept."""
    snapshot = decision.released_result
    if not snapshot:
        return None
    titles = {entry["key"]: entry["title"].get(language, entry["key"]) for entry in snapshot["criteria"]}
    criteria = tuple(
        ReleasedCriterion(titles[entry["key"]], entry["weight"], entry["score"], entry["rationale"])
        for entry in snapshot["criteria"]
    )
    knock_outs = []
    for entry in snapshot["knock_outs"]:
        params = dict(entry["params"])
        if isinstance(params.get("total"), float):
            params["total"] = f"{params['total']:.2f}"
        if "criterion" in params:
            params["criterion"] = titles.get(str(params["criterion"]), params["criterion"])
        knock_outs.append(translate(language, entry["message"], **params))
    rank = snapshot["rank"]
    if rank is not None:
        standing = translate_plural(
            language,
            "Rank %(rank)s of %(num)d ranked proposal.",
            "Rank %(rank)s of %(num)d ranked proposals.",
            snapshot["ranked"],
            rank=rank,
        )
    elif knock_outs:
        standing = translate(language, "Not ranked: the proposal did not pass a knock-out rule.")
    else:
        standing = translate(language, "Not ranked.")
    total = snapshot["total"]
    return ReleasedResult(
        criteria=criteria,
        scale_max=snapshot["scale"]["max"],
        total=None if total is None else f"{total:.2f}",
        standing=standing,
        knock_outs=tuple(knock_outs),
    )
