"""Coordinator pages after scoring: results, calibration, one proposal with its consensus and decision,
shortlist, release, invitation to the next stage, exports and the procurement route. Same rules as
``manage_views``: only the challenge's coordinators, only after the stage's deadline, 404 otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.dependencies import StaffUser
from app.challenges import service as challenge_service
from app.challenges.models import Challenge
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import exports, permissions, route
from app.evaluations import service_decisions as decisions
from app.evaluations.enums import DECISION_STATUS_LABELS, OUTCOME_LABELS, DecisionStatus
from app.evaluations.manage_views import (
    BASE,
    STAGE,
    Scope,
    base_context,
    challenge_of,
    int_field,
    scale_options,
    scope_of,
    stage_page,
)
from app.evaluations.schemas import DecisionForm, RouteForm
from app.forms import form_values, parse_form, translate_errors
from app.i18n import N_, translate
from app.web import DbSession, Language, Now, PostedForm, actor_of, get_language, render, see_other

router = APIRouter()


# --- results, calibration, one proposal with consensus and decision -------------------------------


def _threshold(request: Request) -> float | None:
    try:
        value = float(request.query_params.get("threshold", ""))
    except ValueError:
        return None
    return value if 0 < value <= 100 else None


@router.get(STAGE + "/results", name="eval_results")
def results(request: Request, slug: str, stage_key: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    outcome = decisions.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, threshold=_threshold(request)
    )
    context = base_context(
        scope,
        results=outcome,
        cells=_criterion_cells(outcome, get_language(request)),
        outcome_labels=OUTCOME_LABELS,
        errors={},
        has_next=decisions.next_stage(scope.challenge, scope.stage) is not None,
    )
    return render(request, "evaluations/results.html", context)


@dataclass(frozen=True)
class Cell:
    text: str
    flagged: bool
    consensus: int | None


def _criterion_cells(outcome: decisions.StageResults, language: str) -> dict[int, list[Cell]]:
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
def calibration(request: Request, slug: str, stage_key: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    outcome = decisions.stage_results(db, challenge=scope.challenge, stage=scope.stage, now=now)
    context = base_context(scope, results=outcome, calibration=decisions.calibration(outcome))
    return render(request, "evaluations/calibration.html", context)


def _proposal_page(
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
    outcome = decisions.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, proposal_ids=[proposal_id]
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
def proposal(
    request: Request, slug: str, stage_key: str, proposal_id: int, db: DbSession, now: Now, user: StaffUser
) -> Response:
    return _proposal_page(request, db, scope_of(db, slug, stage_key, user, now), proposal_id, now)


@router.post(STAGE + "/proposals/{proposal_id}/consensus", name="eval_consensus")
def consensus(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    proposal_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    values = form_values(posted)
    keys = [c.key for c in challenge_service.current_definition(scope.challenge).criteria]
    entries = {
        k: (str(values.get(f"score_{k}", "")).strip(), str(values.get(f"rationale_{k}", "")).strip()) for k in keys
    }
    try:
        decisions.record_consensus(
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
        errors = failed.errors if isinstance(failed, ValidationFailed) else [FieldError("__all__", failed.message)]
    return _proposal_page(
        request, db, scope, proposal_id, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.post(STAGE + "/proposals/{proposal_id}/decision", name="eval_decision_prepare")
def decision_prepare(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    proposal_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    values = form_values(posted)
    form, errors = parse_form(DecisionForm, values)
    if form is not None:
        try:
            decisions.prepare_decision(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                proposal_id=proposal_id,
                form=form,
                actor=actor_of(request, user),
                now=now,
            )
            db.commit()
            return see_other(request, "eval_proposal", slug=slug, stage_key=stage_key, proposal_id=proposal_id)
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = failed.errors if isinstance(failed, ValidationFailed) else [FieldError("__all__", failed.message)]
    return _proposal_page(
        request, db, scope, proposal_id, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


# --- shortlist, decisions, invitations, exports ---------------------------------------------------


def _decisions_page(
    request: Request,
    db: Session,
    scope: Scope,
    now: Any,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    outcome = decisions.stage_results(db, challenge=scope.challenge, stage=scope.stage, now=now)
    context = base_context(
        scope,
        results=outcome,
        outcome_labels=OUTCOME_LABELS,
        errors=errors or {},
        has_next=decisions.next_stage(scope.challenge, scope.stage) is not None,
        release=decisions.release_record(db, stage=scope.stage) if scope.released else None,
    )
    return render(request, "evaluations/decisions.html", context, status_code=status_code)


@router.get(STAGE + "/decisions", name="eval_decisions")
def decisions_page(request: Request, slug: str, stage_key: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    return _decisions_page(request, db, scope_of(db, slug, stage_key, user, now), now)


def _decisions_action(
    request: Request, db: Session, scope: Scope, now: Any, language: str, action: Any, *, posted: FormData
) -> Response:
    values = form_values(posted)
    try:
        action(values)
        db.commit()
        return stage_page(request, "eval_decisions", scope)
    except (ValidationFailed, InvalidTransition) as failed:
        db.rollback()
        errors = failed.errors if isinstance(failed, ValidationFailed) else [FieldError("__all__", failed.message)]
    messages = [translate(language, e.message, **e.params) for e in errors]
    return _decisions_page(request, db, scope, now, errors={"__all__": " ".join(messages)}, status_code=422)


@router.post(STAGE + "/shortlist", name="eval_shortlist")
def shortlist(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    actor = actor_of(request, user)

    def action(values: dict[str, Any]) -> None:
        top = int_field(values, "top")
        if top < 1:
            raise ValidationFailed(errors=[FieldError("top", N_("Enter %(ge)s or more."), {"ge": 1})])
        feedback = str(values.get("feedback", "")).strip()
        if not feedback:
            raise ValidationFailed(errors=[FieldError("feedback", N_("This field is required."))])
        decisions.shortlist(
            db, challenge=scope.challenge, stage=scope.stage, top=top, actor=actor, now=now, feedback=feedback
        )

    return _decisions_action(request, db, scope, now, language, action, posted=posted)


@router.post(STAGE + "/decisions/review", name="eval_decisions_review")
def decisions_review(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    actor = actor_of(request, user)
    return _decisions_action(
        request,
        db,
        scope,
        now,
        language,
        lambda v: decisions.review_decisions(db, stage=scope.stage, actor=actor, now=now),
        posted=posted,
    )


@router.get(STAGE + "/decisions/release", name="eval_decisions_release_confirm")
def decisions_release_confirm(
    request: Request, slug: str, stage_key: str, db: DbSession, now: Now, user: StaffUser
) -> Response:
    """What releasing will do (decisions by outcome, e-mails, the stage closing for good), and the button."""
    scope = scope_of(db, slug, stage_key, user, now)
    if scope.released:
        context = base_context(scope, preview=None, release=decisions.release_record(db, stage=scope.stage))
    else:
        preview = decisions.release_preview(db, challenge=scope.challenge, stage=scope.stage, now=now)
        context = base_context(scope, preview=preview, release=None)
    context["outcome_labels"] = OUTCOME_LABELS
    return render(request, "evaluations/release.html", context)


@router.post(STAGE + "/decisions/release", name="eval_decisions_release")
def decisions_release(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    actor = actor_of(request, user)
    base = str(request.app.state.settings.base_url).rstrip("/")

    def link(proposal_id: int) -> str:
        return base + str(request.app.url_path_for("proposal_decision", proposal_id=proposal_id))

    return _decisions_action(
        request,
        db,
        scope,
        now,
        language,
        lambda v: decisions.release_decisions(
            db, challenge=scope.challenge, stage=scope.stage, actor=actor, now=now, link=link
        ),
        posted=posted,
    )


@router.post(STAGE + "/invite", name="eval_invite_next")
def invite_next(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    actor = actor_of(request, user)
    return _decisions_action(
        request,
        db,
        scope,
        now,
        language,
        lambda v: decisions.invite_shortlisted(
            db, challenge=scope.challenge, stage=scope.stage, actor=actor, now=now, links=request.app.state.links
        ),
        posted=posted,
    )


@router.get(STAGE + "/export.{fmt}", name="eval_export")
def export(
    request: Request,
    slug: str,
    stage_key: str,
    fmt: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
    names: str = "yes",
) -> Response:
    """The results per proposal and criterion. Coordinators' own export names the evaluators; with
    ``names=no`` they are "Evaluator 1, 2, 3" (a copy to share outside the evaluation team)."""
    with_names = names != "no"
    if fmt not in {"csv", "xlsx"}:
        raise NotFound()
    scope = scope_of(db, slug, stage_key, user, now)
    outcome = decisions.stage_results(db, challenge=scope.challenge, stage=scope.stage, now=now)
    table = decisions.results_table(outcome, language=language, with_names=with_names)
    suffix = "" if with_names else "-anonymous"
    name = f"{scope.challenge.slug}-{scope.stage.key}-results{suffix}.{fmt}"
    if fmt == "csv":
        data = exports.results_csv(table, language=language, include_evaluators=with_names)
        media = "text/csv; charset=utf-8"
    else:
        data = exports.results_xlsx(table, language=language, include_evaluators=with_names)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})


# --- procurement route ----------------------------------------------------------------------------


def _route_page(
    request: Request,
    db: Session,
    challenge: Challenge,
    now: Any,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    advice = decisions.route_recommendation(db, challenge=challenge, now=now, thresholds=_thresholds(request))
    current = decisions.get_route_decision(db, challenge_id=challenge.id)
    context = {
        "challenge": challenge,
        "definition": challenge_service.current_definition(challenge),
        "stage": None,
        "advice": advice,
        "current": current,
        "route_labels": route.ROUTE_LABELS,
        "factor_labels": route.FACTOR_LABELS,
        "rating_labels": route.RATING_LABELS,
        "errors": errors or {},
        "values": values
        or {"chosen": current.chosen if current else advice.route.value, "reason": current.reason if current else ""},
    }
    return render(request, "evaluations/route.html", context, status_code=status_code)


def _thresholds(request: Request) -> tuple[route.AdvThreshold, ...]:
    return decisions.adv_thresholds(request.app.state.settings.adv_threshold_periods())


@router.get(BASE + "/route", name="eval_route")
def route_page(request: Request, slug: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    challenge = challenge_of(db, slug, user)
    if all(permissions.is_sealed(stage, now) for stage in challenge.stages):
        raise NotFound()
    return _route_page(request, db, challenge, now)


@router.post(BASE + "/route")
def route_decide(
    request: Request, posted: PostedForm, slug: str, db: DbSession, now: Now, user: StaffUser, language: Language
) -> Response:
    challenge = challenge_of(db, slug, user)
    if all(permissions.is_sealed(stage, now) for stage in challenge.stages):
        raise NotFound()
    values = form_values(posted)
    form, errors = parse_form(RouteForm, values)
    if form is not None:
        try:
            decisions.decide_route(
                db,
                challenge=challenge,
                form=form,
                actor=actor_of(request, user),
                now=now,
                thresholds=_thresholds(request),
            )
            db.commit()
            return see_other(request, "eval_route", slug=slug)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    return _route_page(
        request, db, challenge, now, errors=translate_errors(language, errors), values=values, status_code=422
    )
