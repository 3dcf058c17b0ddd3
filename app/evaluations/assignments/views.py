"""The coordinator's pool and assignments pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.dependencies import StaffUser
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations.affiliations import service as affiliation_service
from app.evaluations.assignments import service as assignment_service
from app.evaluations.deadlines import service as deadline_service
from app.evaluations.dependencies import STAGE, EvaluationScope, Scope, base_context, id_field, stage_page
from app.evaluations.pool import service as pool_service
from app.evaluations.results import service as results_service
from app.evaluations.schemas import AutoAssignForm
from app.forms import errors_of, form_values, parse_form, translate_errors
from app.i18n import N_, translate
from app.security import body_limit
from app.web import SMALL_UPLOAD_LIMIT, DbSession, Language, Now, PostedForm, SmallUpload, actor_of, render

router = APIRouter()

CSV_MAX_BYTES = 1_000_000


def assignments_page(
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
    results = results_service.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, policy=scope.policy
    )
    pool = pool_service.list_pool(db, challenge_id=scope.challenge.id)
    pool_ids = {u.id for u in pool}
    candidates = [u for u in pool_service.list_evaluators(db) if u.id not in pool_ids]
    progress: dict[int, dict[str, int]] = {}
    for item in results.proposals:
        for row in item.rows:
            counts = progress.setdefault(
                row.assignment.evaluator_id,
                {"assigned": 0, "declared": 0, "conflicts": 0, "drafts": 0, "submitted": 0},
            )
            counts["assigned"] += 1
            counts["declared"] += not row.assignment.undeclared
            counts["conflicts"] += row.assignment.conflicted
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
        due=deadline_service.get_due_date(db, stage_id=scope.stage.id),
        overdue=deadline_service.list_overdue(db, stage=scope.stage, now=now),
        known_conflicts=affiliation_service.known_conflicts(
            db, challenge=scope.challenge, stage=scope.stage, today=now.date()
        ),
    )
    return render(request, "evaluations/assignments.html", context, status_code=status_code)


@router.get(STAGE + "/assignments", name="eval_assignments")
def assignments(request: Request, scope: EvaluationScope, db: DbSession, now: Now) -> Response:
    return assignments_page(request, db, scope, now)


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
        errors = errors_of(failed)
    return assignments_page(
        request, db, scope, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.post(STAGE + "/pool", name="eval_pool_add")
def pool_add(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    actor = actor_of(request, user)
    return _assignment_change(
        request,
        db,
        scope,
        now,
        language,
        lambda v: pool_service.add_to_pool(
            db, challenge=scope.challenge, user_id=id_field(v, "evaluator_id"), actor=actor, now=now
        ),
        posted=posted,
    )


@router.post(STAGE + "/pool/{user_id}/remove", name="eval_pool_remove")
def pool_remove(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    user_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    actor = actor_of(request, user)
    return _assignment_change(
        request,
        db,
        scope,
        now,
        language,
        lambda v: pool_service.remove_from_pool(db, challenge=scope.challenge, user_id=user_id, actor=actor, now=now),
        posted=posted,
    )


@router.post(STAGE + "/assignments", name="eval_assign")
def assign(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    actor = actor_of(request, user)

    def change(values: dict[str, Any]) -> None:
        proposal_id, evaluator_id = id_field(values, "proposal_id"), id_field(values, "evaluator_id")
        try:
            assignment_service.assign(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                proposal_id=proposal_id,
                evaluator_id=evaluator_id,
                actor=actor,
                now=now,
                links=request.app.state.links,
            )
        except NotFound:
            raise ValidationFailed(errors=[FieldError("proposal_id", N_("Choose one of the options."))]) from None

    return _assignment_change(request, db, scope, now, language, change, posted=posted)


@router.post(STAGE + "/assignments/{assignment_id}/remove", name="eval_unassign")
def unassign(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    assignment_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    actor = actor_of(request, user)
    return _assignment_change(
        request,
        db,
        scope,
        now,
        language,
        lambda v: assignment_service.unassign(db, stage=scope.stage, assignment_id=assignment_id, actor=actor, now=now),
        posted=posted,
    )


@router.post(STAGE + "/assignments/auto", name="eval_auto_assign")
def auto_assign(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    values = form_values(posted)
    form, errors = parse_form(AutoAssignForm, values)
    if form is not None:
        try:
            outcome = assignment_service.auto_assign(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                per_proposal=form.per_proposal,
                max_per_evaluator=form.max_per_evaluator,
                actor=actor_of(request, user),
                now=now,
                links=request.app.state.links,
            )
            db.commit()
            if not outcome.shortfalls:
                return stage_page(request, "eval_assignments", scope)
            notice = translate(
                language,
                N_("%(count)s assignments made; some proposals are short of evaluators."),
                count=outcome.created,
            )
            return assignments_page(request, db, scope, now, notice=notice, shortfalls=outcome.shortfalls)
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = errors_of(failed)
    return assignments_page(
        request, db, scope, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.post(STAGE + "/assignments/import", name="eval_import")
@body_limit(SMALL_UPLOAD_LIMIT)
def import_csv(
    request: Request,
    scope: EvaluationScope,
    posted: SmallUpload,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
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
            assignment_service.import_assignments(
                db,
                challenge=scope.challenge,
                stage=scope.stage,
                data=data,
                actor=actor_of(request, user),
                now=now,
                links=request.app.state.links,
            )
            db.commit()
            return stage_page(request, "eval_assignments", scope)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
        except InvalidTransition as refused:
            db.rollback()
            message = translate(language, refused.message)
            return assignments_page(request, db, scope, now, errors={"__all__": message}, status_code=422)
    messages = [translate(language, e.message, **e.params) for e in errors]
    return assignments_page(request, db, scope, now, errors={"file": " ".join(messages)}, status_code=422)


@router.get(STAGE + "/assignments.csv", name="eval_assignments_csv")
def assignments_csv(request: Request, scope: EvaluationScope, slug: str, db: DbSession, now: Now) -> Response:
    data = assignment_service.export_assignments(db, stage=scope.stage, now=now)
    name = f"{scope.challenge.slug}-{scope.stage.key}-assignments.csv"
    return Response(
        data, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
