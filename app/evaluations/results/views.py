"""The coordinator's results, calibration and proposal pages, consensus and exports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from app.accounts.dependencies import StaffUser
from app.challenges import service as challenge_service
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.evaluations.decisions import service as decision_service
from app.evaluations.dependencies import (
    STAGE,
    EvaluationScope,
    Scope,
    base_context,
    scale_options,
)
from app.evaluations.enums import DECISION_STATUS_LABELS, OUTCOME_LABELS, DecisionStatus
from app.evaluations.results import exports
from app.evaluations.results import service as results_service
from app.evaluations.route import rules as route
from app.forms import errors_of, form_values, translate_errors
from app.i18n import N_, translate
from app.web import DbSession, Language, Now, PostedForm, actor_of, get_language, render, see_other

router = APIRouter()


def _threshold(request: Request) -> float | None:
    try:
        value = float(request.query_params.get("threshold", ""))
    except ValueError:
        return None
    return value if 0 < value <= 100 else None


@router.get(STAGE + "/results", name="eval_results")
def results(request: Request, scope: EvaluationScope, db: DbSession, now: Now) -> Response:
    outcome = results_service.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, policy=scope.policy, threshold=_threshold(request)
    )
    context = base_context(
        scope,
        results=outcome,
        cells=_criterion_cells(outcome, get_language(request)),
        outcome_labels=OUTCOME_LABELS,
        errors={},
        has_next=decision_service.next_stage(scope.challenge, scope.stage) is not None,
    )
    return render(request, "evaluations/results.html", context)


@dataclass(frozen=True)
class Cell:
    text: str
    flagged: bool
    consensus: int | None


def _criterion_cells(outcome: results_service.StageResults, language: str) -> dict[int, list[Cell]]:
    """Each proposal's statistics per criterion as display text, formatted here rather than in the template:
    the page may show thousands of proposals and a template formats an order of magnitude slower."""
    labels = (N_("mean"), N_("median"), N_("sd"), N_("range"))
    mean, median, sd, spread = (translate(language, label) for label in labels)
    keys = [criterion.key for criterion in outcome.definition.criteria]
    cells: dict[int, list[Cell]] = {}
    for item in outcome.ranking:
        row = []
        for key in keys:
            stat = item.stats.get(key)
            text = (
                f"{mean} {stat.mean:.2f}, {median} {stat.median:.2f}, {sd} {stat.sd:.2f}, {spread} {stat.range}"
                if stat
                else "–"
            )
            consensus = item.consensus.get(key)
            row.append(Cell(text, key in item.flagged, consensus.score if consensus else None))
        cells[item.proposal_id] = row
    return cells


@router.get(STAGE + "/calibration", name="eval_calibration")
def calibration(request: Request, scope: EvaluationScope, db: DbSession, now: Now) -> Response:
    outcome = results_service.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, policy=scope.policy
    )
    context = base_context(scope, results=outcome, calibration=results_service.calibration(outcome))
    return render(request, "evaluations/calibration.html", context)


def proposal_page(
    request: Request,
    db: Session,
    scope: Scope,
    proposal_id: int,
    now: Any,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    outcome = results_service.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, policy=scope.policy, proposal_ids=[proposal_id]
    )
    item = outcome.by_id(proposal_id)
    if values is None:
        values = {}
        for criterion in outcome.definition.criteria:
            if criterion.key in item.consensus:
                values[f"score_{criterion.key}"] = str(item.consensus[criterion.key].score)
                values[f"rationale_{criterion.key}"] = item.consensus[criterion.key].rationale
            elif criterion.key in item.stats:
                values[f"score_{criterion.key}"] = str(round(item.stats[criterion.key].median))
        if item.decision is not None:
            values["outcome"] = item.decision.outcome
            values["feedback"] = item.decision.feedback
    context = base_context(
        scope,
        results=outcome,
        item=item,
        errors=errors or {},
        values=values,
        outcome_labels=OUTCOME_LABELS,
        status_labels=DECISION_STATUS_LABELS,
        factor_labels=route.FACTOR_LABELS,
        rating_labels=route.RATING_LABELS,
        scale_options=scale_options(outcome.definition, get_language(request)),
        released=scope.released
        or (item.decision is not None and item.decision.status == DecisionStatus.RELEASED.value),
        # The confirmation after the redirect; only where a consensus exists, whatever the address says.
        consensus_recorded=not errors and request.query_params.get("done") == "consensus" and bool(item.consensus),
    )
    return render(request, "evaluations/proposal.html", context, status_code=status_code)


@router.get(STAGE + "/proposals/{proposal_id}", name="eval_proposal")
def proposal(request: Request, scope: EvaluationScope, proposal_id: int, db: DbSession, now: Now) -> Response:
    return proposal_page(request, db, scope, proposal_id, now)


@router.post(STAGE + "/proposals/{proposal_id}/consensus", name="eval_consensus")
def consensus(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    proposal_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    values = form_values(posted)
    keys = [c.key for c in challenge_service.current_definition(scope.challenge).criteria]
    entries = {
        k: (str(values.get(f"score_{k}", "")).strip(), str(values.get(f"rationale_{k}", "")).strip()) for k in keys
    }
    try:
        results_service.record_consensus(
            db,
            challenge=scope.challenge,
            stage=scope.stage,
            proposal_id=proposal_id,
            entries=entries,
            actor=actor_of(request, user),
            now=now,
        )
        db.commit()
        return see_other(
            request, "eval_proposal", "done=consensus", slug=slug, stage_key=stage_key, proposal_id=proposal_id
        )
    except (ValidationFailed, InvalidTransition) as failed:
        db.rollback()
        errors = errors_of(failed)
    return proposal_page(
        request, db, scope, proposal_id, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.get(STAGE + "/export.{fmt}", name="eval_export")
def export(
    request: Request,
    scope: EvaluationScope,
    slug: str,
    fmt: str,
    db: DbSession,
    now: Now,
    language: Language,
    names: str = "yes",
) -> Response:
    """The results per proposal and criterion. Coordinators' own export names the evaluators; with
    ``names=no`` they are "Evaluator 1, 2, 3" (a copy to share outside the evaluation team)."""
    with_names = names != "no"
    if fmt not in {"csv", "xlsx"}:
        raise NotFound()
    outcome = results_service.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, policy=scope.policy
    )
    table = results_service.results_table(outcome, language=language, with_names=with_names)
    suffix = "" if with_names else "-anonymous"
    name = f"{scope.challenge.slug}-{scope.stage.key}-results{suffix}.{fmt}"
    if fmt == "csv":
        data = exports.results_csv(table, language=language, include_evaluators=with_names)
        media = "text/csv; charset=utf-8"
    else:
        data = exports.results_xlsx(table, language=language, include_evaluators=with_names)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
