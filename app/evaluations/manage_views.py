"""Coordinator pages of the evaluation up to scoring: the overview, eligibility, the pool, assignments and
progress, reopening. Under ``/manage/challenges/{slug}/evaluation``; results and decisions are in
``decision_views``.

Only coordinators of the challenge (and administrators) reach them; anyone else gets 404. Before a stage's
deadline only counts are shown: every page with proposal content answers 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.dependencies import StaffUser
from app.accounts.models import User
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import permissions, route, service, service_assignment
from app.evaluations import service_decisions as decisions
from app.evaluations import service_evaluator as evaluator_service
from app.evaluations.schemas import AutoAssignForm, EligibilityForm, ReasonForm
from app.forms import form_values, parse_form, translate_errors
from app.i18n import N_, translate
from app.organisations.schemas import country_names
from app.web import DbSession, Language, Now, PostedForm, SmallUpload, actor_of, render, see_other

router = APIRouter()
BASE = "/manage/challenges/{slug}/evaluation"
STAGE = BASE + "/{stage_key}"
CSV_MAX_BYTES = 1_000_000


@dataclass
class Scope:
    challenge: Challenge
    stage: ChallengeStage
    released: bool = False  # the stage's decisions are released: its evaluation can no longer change


def challenge_of(db: Session, slug: str, user: User) -> Challenge:
    return service.get_managed_challenge(db, slug=slug, user=user)


def scope_of(db: Session, slug: str, stage_key: str, user: User, now: Any) -> Scope:
    """The challenge and stage, only for its coordinators and only after the stage's deadline."""
    challenge = challenge_of(db, slug, user)
    stage = service.get_stage(db, challenge=challenge, stage_key=stage_key)
    if permissions.is_sealed(stage, now):
        raise NotFound()
    return Scope(challenge, stage, service.is_stage_released(db, stage_id=stage.id))


def stage_page(request: Request, name: str, scope: Scope) -> Response:
    return see_other(request, name, slug=scope.challenge.slug, stage_key=scope.stage.key)


def scale_options(definition: Any, language: str) -> list[tuple[str, str]]:
    return [(str(level.value), f"{level.value}: {level.label.get(language)}") for level in definition.scale.levels]


def queue_link(request: Request) -> str:
    """The absolute address of the evaluators' queue, for the e-mail that tells them of new assignments."""
    return str(request.app.state.settings.base_url).rstrip("/") + str(request.app.url_path_for("evaluate_queue"))


def base_context(scope: Scope, **extra: Any) -> dict[str, Any]:
    return {"challenge": scope.challenge, "stage": scope.stage, "stage_released": scope.released, **extra}


# --- overview -------------------------------------------------------------------------------------


@router.get(BASE, name="eval_overview")
def overview(request: Request, slug: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    challenge = challenge_of(db, slug, user)
    stages = [
        {
            "stage": stage,
            "sealed": permissions.is_sealed(stage, now),
            "count": service.count_submitted(db, stage_id=stage.id),
        }
        for stage in challenge.stages
    ]
    route_decision = decisions.get_route_decision(db, challenge_id=challenge.id)
    return render(
        request,
        "evaluations/overview.html",
        {
            "challenge": challenge,
            "stages": stages,
            "route_decision": route_decision,
            "route_labels": route.ROUTE_LABELS,
        },
    )


# --- eligibility ----------------------------------------------------------------------------------


def _eligibility_page(
    request: Request,
    db: Session,
    scope: Scope,
    language: str,
    *,
    errors: dict[str, str] | None = None,
    failed_id: int | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    items = service.standing(db, stage_id=scope.stage.id)
    eligibility = service.eligibility_of(db, proposal_ids=[i.proposal.id for i in items])
    definition = challenge_service.current_definition(scope.challenge)
    context = base_context(
        scope,
        items=items,
        eligibility=eligibility,
        definition=definition,
        facts=service.eligibility_facts(db, definition=definition, items=items),
        countries=country_names(language),
        errors=errors or {},
        failed_id=failed_id,
        values=values or {},
    )
    return render(request, "evaluations/eligibility.html", context, status_code=status_code)


@router.get(STAGE + "/eligibility", name="eval_eligibility")
def eligibility(
    request: Request, slug: str, stage_key: str, db: DbSession, now: Now, user: StaffUser, language: Language
) -> Response:
    return _eligibility_page(request, db, scope_of(db, slug, stage_key, user, now), language)


@router.post(STAGE + "/eligibility/{proposal_id}", name="eval_eligibility_set")
def eligibility_set(
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
    form, errors = parse_form(EligibilityForm, values)
    if form is not None:
        try:
            service.set_eligibility(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                proposal_id=proposal_id,
                form=form,
                actor=actor_of(request, user),
                now=now,
            )
            db.commit()
            return stage_page(request, "eval_eligibility", scope)
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = failed.errors if isinstance(failed, ValidationFailed) else [FieldError("__all__", failed.message)]
    # The page holds a form per proposal: the messages are keyed by field and proposal, as the fields' ids are.
    messages = {
        name if name == "__all__" else f"{name}-{proposal_id}": message
        for name, message in translate_errors(language, errors).items()
    }
    return _eligibility_page(
        request,
        db,
        scope,
        language,
        errors=messages,
        failed_id=proposal_id,
        values=values,
        status_code=422,
    )


# --- pool, assignments and progress ---------------------------------------------------------------


def _assignments_page(
    request: Request,
    db: Session,
    scope: Scope,
    now: Any,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    notice: str | None = None,
    status_code: int = 200,
    shortfalls: Any = (),
) -> Response:
    results = decisions.stage_results(db, challenge=scope.challenge, stage=scope.stage, now=now)
    pool = service.list_pool(db, challenge_id=scope.challenge.id)
    pool_ids = {u.id for u in pool}
    candidates = [u for u in service.list_evaluators(db) if u.id not in pool_ids]
    progress: dict[int, dict[str, int]] = {}
    for item in results.proposals:
        for row in item.rows:
            counts = progress.setdefault(
                row.assignment.evaluator_id,
                {"assigned": 0, "declared": 0, "conflicts": 0, "drafts": 0, "submitted": 0},
            )
            counts["assigned"] += 1
            counts["declared"] += row.assignment.status != "assigned"
            counts["conflicts"] += row.assignment.status == "conflicted"
            counts["drafts"] += row.evaluation is not None and not row.submitted
            counts["submitted"] += row.submitted
    context = base_context(
        scope,
        results=results,
        pool=pool,
        candidates=candidates,
        progress=progress,
        errors=errors or {},
        values=values or {"per_proposal": "3", "max_per_evaluator": "20"},
        notice=notice,
        shortfalls=shortfalls,
    )
    return render(request, "evaluations/assignments.html", context, status_code=status_code)


@router.get(STAGE + "/assignments", name="eval_assignments")
def assignments(request: Request, slug: str, stage_key: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    return _assignments_page(request, db, scope_of(db, slug, stage_key, user, now), now)


def _assignment_change(
    request: Request, db: Session, scope: Scope, now: Any, language: str, change: Any, *, posted: FormData
) -> Response:
    values = form_values(posted)
    try:
        change(values)
        db.commit()
        return stage_page(request, "eval_assignments", scope)
    except (ValidationFailed, InvalidTransition) as failed:
        db.rollback()
        errors = failed.errors if isinstance(failed, ValidationFailed) else [FieldError("__all__", failed.message)]
    return _assignments_page(
        request, db, scope, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


def int_field(values: dict[str, Any], name: str) -> int:
    try:
        return int(values.get(name, ""))
    except (TypeError, ValueError):
        raise ValidationFailed(errors=[FieldError(name, N_("Choose one of the options."))]) from None


@router.post(STAGE + "/pool", name="eval_pool_add")
def pool_add(
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
    return _assignment_change(
        request,
        db,
        scope,
        now,
        language,
        lambda v: service.add_to_pool(
            db, challenge=scope.challenge, user_id=int_field(v, "evaluator_id"), actor=actor, now=now
        ),
        posted=posted,
    )


@router.post(STAGE + "/pool/{user_id}/remove", name="eval_pool_remove")
def pool_remove(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    user_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    actor = actor_of(request, user)
    return _assignment_change(
        request,
        db,
        scope,
        now,
        language,
        lambda v: service.remove_from_pool(db, challenge=scope.challenge, user_id=user_id, actor=actor, now=now),
        posted=posted,
    )


@router.post(STAGE + "/assignments", name="eval_assign")
def assign(
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

    def change(values: dict[str, Any]) -> None:
        proposal_id, evaluator_id = int_field(values, "proposal_id"), int_field(values, "evaluator_id")
        try:
            service.assign(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                proposal_id=proposal_id,
                evaluator_id=evaluator_id,
                actor=actor,
                now=now,
                link=queue_link(request),
            )
        except NotFound:
            raise ValidationFailed(errors=[FieldError("proposal_id", N_("Choose one of the options."))]) from None

    return _assignment_change(request, db, scope, now, language, change, posted=posted)


@router.post(STAGE + "/assignments/{assignment_id}/remove", name="eval_unassign")
def unassign(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    assignment_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    actor = actor_of(request, user)
    return _assignment_change(
        request,
        db,
        scope,
        now,
        language,
        lambda v: service.unassign(db, stage=scope.stage, assignment_id=assignment_id, actor=actor, now=now),
        posted=posted,
    )


@router.post(STAGE + "/assignments/auto", name="eval_auto_assign")
def auto_assign(
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
    values = form_values(posted)
    form, errors = parse_form(AutoAssignForm, values)
    if form is not None:
        try:
            outcome = service_assignment.auto_assign(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                per_proposal=form.per_proposal,
                max_per_evaluator=form.max_per_evaluator,
                actor=actor_of(request, user),
                now=now,
                link=queue_link(request),
            )
            db.commit()
            if not outcome.shortfalls:
                return stage_page(request, "eval_assignments", scope)
            notice = translate(
                language,
                N_("%(count)s assignments made; some proposals are short of evaluators."),
                count=outcome.created,
            )
            return _assignments_page(request, db, scope, now, notice=notice, shortfalls=outcome.shortfalls)
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = failed.errors if isinstance(failed, ValidationFailed) else [FieldError("__all__", failed.message)]
    return _assignments_page(
        request, db, scope, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.post(STAGE + "/assignments/import", name="eval_import")
def import_csv(
    request: Request,
    posted: SmallUpload,
    slug: str,
    stage_key: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    upload = posted.get("file") if posted is not None else None
    data = b""
    if upload is not None and not isinstance(upload, str):
        data = upload.file.read(CSV_MAX_BYTES + 1)
    errors: list[FieldError] = []
    if posted is None:
        errors = [FieldError("file", N_("The file is too large."))]
    elif not data:
        errors = [FieldError("file", N_("Choose a CSV file."))]
    elif len(data) > CSV_MAX_BYTES:
        errors = [FieldError("file", N_("The file is too large."))]
    else:
        try:
            service_assignment.import_assignments(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                data=data,
                actor=actor_of(request, user),
                now=now,
                link=queue_link(request),
            )
            db.commit()
            return stage_page(request, "eval_assignments", scope)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
        except InvalidTransition as refused:
            db.rollback()
            message = translate(language, refused.message)
            return _assignments_page(request, db, scope, now, errors={"__all__": message}, status_code=422)
    messages = [translate(language, e.message, **e.params) for e in errors]
    return _assignments_page(request, db, scope, now, errors={"file": " ".join(messages)}, status_code=422)


@router.get(STAGE + "/assignments.csv", name="eval_assignments_csv")
def assignments_csv(request: Request, slug: str, stage_key: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    data = service_assignment.export_assignments(db, stage=scope.stage, now=now)
    name = f"{scope.challenge.slug}-{scope.stage.key}-assignments.csv"
    return Response(
        data, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@router.post(STAGE + "/evaluations/{evaluation_id}/reopen", name="eval_reopen")
def reopen(
    request: Request,
    posted: PostedForm,
    slug: str,
    stage_key: str,
    evaluation_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    scope = scope_of(db, slug, stage_key, user, now)
    values = form_values(posted)
    form, errors = parse_form(ReasonForm, values)
    if form is not None:
        try:
            evaluator_service.reopen_evaluation(
                db,
                stage=scope.stage,
                evaluation_id=evaluation_id,
                reason=form.reason,
                actor=actor_of(request, user),
                now=now,
                link=lambda assignment_id: (
                    str(request.app.state.settings.base_url).rstrip("/")
                    + str(request.app.url_path_for("evaluate_assignment", assignment_id=assignment_id))
                ),
            )
            db.commit()
            return stage_page(request, "eval_assignments", scope)
        except InvalidTransition as failed:
            db.rollback()
            errors = [FieldError("__all__", failed.message)]
    return _assignments_page(
        request, db, scope, now, errors=translate_errors(language, errors), values=values, status_code=422
    )
