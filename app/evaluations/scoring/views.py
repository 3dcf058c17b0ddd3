"""The evaluator's pages (queue, assignment, declaration, scores, documents) and the coordinator's reopen."""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any, NamedTuple

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from sqlalchemy.orm import Session

from app.accounts.dependencies import EvaluatorUser, StaffUser
from app.challenges.schemas import ChallengeDefinition, DocumentQuestion
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations import permissions
from app.evaluations.assignments.views import assignments_page
from app.evaluations.blind import service as blind_service
from app.evaluations.dependencies import STAGE, EvaluationScope, stage_page
from app.evaluations.route import rules as route
from app.evaluations.schemas import (
    DeclarationForm,
    ReasonForm,
    justification_field,
    parse_scores,
    score_field,
)
from app.evaluations.scoring import service as evaluator_service
from app.evaluations.scoring.queue import evaluator_queue
from app.forms import errors_of, form_values, parse_form, translate_errors
from app.i18n import translate
from app.loopviews import on_event_loop
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()
QUEUE_DONE = frozenset({"evaluation"})


@router.get("/evaluate", name="evaluate_queue")
@on_event_loop
def queue(request: Request, db: DbSession, now: Now, user: EvaluatorUser) -> Response:
    """A page of the evaluator's queue (``?page=``), the next to do first; ``?done=evaluation`` after the last step."""
    page = evaluator_queue(db, user=user, now=now, page=request.query_params.get("page"))
    done = request.query_params.get("done")
    return render(request, "evaluations/queue.html", {"queue": page, "done": done if done in QUEUE_DONE else None})


def _answers(
    definition: ChallengeDefinition, opened: evaluator_service.Opened, language: str, hide: blind_service.Hide
) -> list[dict[str, Any]]:
    """The stage's questions with the company's answers, as text (organisation names hidden when blind)."""
    stage = next((s for s in definition.stages if s.key == opened.stage.key), None)
    if stage is None:
        return []
    answers = opened.item.content.get("answers") or {}
    documents = opened.item.content.get("documents") or {}
    shown = []
    for question in stage.questions:
        entry: dict[str, Any] = {
            "key": question.key,
            "label": question.label.get(language),
            "document": None,
            "text": "",
        }
        if isinstance(question, DocumentQuestion):
            entry["document"] = documents.get(question.key)
        else:
            entry["text"] = hide(_answer_text(question, answers.get(question.key), language))
        shown.append(entry)
    return shown


def _answer_text(question: Any, value: Any, language: str) -> str:
    options: dict[str, str] = {o.key: o.label.get(language) for o in getattr(question, "options", [])}
    if value is None or value == "" or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(options.get(str(v), str(v)) for v in value)
    if isinstance(value, bool):
        return translate(language, "Yes") if value else translate(language, "No")
    return options.get(str(value), str(value))


class CriterionField(NamedTuple):
    """A criterion's part of the scoring form in one language, as plain values (48 radio buttons for 8 criteria
    on a 0-5 scale: the template only places them)."""

    name: str
    title: str
    description: str
    weight: int
    levels: tuple[tuple[str, str, str], ...]  # (value, label, descriptor)
    justification: str
    justification_label: str


def _criteria(definition: ChallengeDefinition, language: str) -> list[CriterionField]:
    levels = tuple((str(v.value), v.label.get(language), v.descriptor.get(language)) for v in definition.scale.levels)
    return [
        CriterionField(
            name=score_field(criterion.key),
            title=criterion.title.get(language),
            description=criterion.description.get(language),
            weight=criterion.weight,
            levels=levels,
            justification=justification_field(criterion.key),
            justification_label=translate(
                language, "Justification for %(criterion)s", criterion=criterion.title.get(language)
            ),
        )
        for criterion in definition.criteria
    ]


CRITERIA_FIELDS = "evaluations/_criteria_fields.html"


def _field_labels(criteria: list[CriterionField], claimed_trl: Any, language: str) -> dict[str, str]:
    """The error summary's names of the form's fields."""
    labels = {
        "assessed_trl": translate(language, "TRL you assess (the company claimed %(trl)s)", trl=claimed_trl or "–")
    }
    for criterion in criteria:
        labels[criterion.name] = criterion.title
        labels[criterion.justification] = criterion.justification_label
    return labels


def _assignment_page(
    request: Request,
    db: Session,
    opened: evaluator_service.Opened,
    language: str,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    assignment = opened.assignment
    definition = opened.definition
    blind = definition.blind_scoring
    context: dict[str, Any] = {
        "opened": opened,
        "assignment": assignment,
        "challenge": opened.challenge,
        "definition": definition,
        "errors": errors or {},
        "values": values or {},
        "blind": blind,
        "released": opened.released,
        "assessment_submitted": request.query_params.get("done") == "assessment" and not errors,
    }
    if not permissions.can_read_content(assignment):
        context["parties"] = blind_service.shown_parties(opened.item, blind=blind, language=language)
        return render(request, "evaluations/declare.html", context, status_code=status_code)
    evaluation = assignment.evaluation
    if values is None:
        values = {}
        if evaluation is not None:
            for row in evaluation.scores:
                values[f"score_{row.criterion_key}"] = "" if row.score is None else str(row.score)
                values[f"justification_{row.criterion_key}"] = row.justification
            values["assessed_trl"] = "" if evaluation.assessed_trl is None else str(evaluation.assessed_trl)
        context["values"] = values
    hide = blind_service.hider(db, item=opened.item, blind=blind)
    criteria = _criteria(definition, language)
    editable = (
        permissions.can_edit_evaluation(evaluation) and not context["released"] and not opened.challenge.is_cancelled
    )
    blank = None
    if editable and not context["values"] and not context["errors"]:  # the same for every proposal: kept
        blank = request.app.state.blank_parts.render(CRITERIA_FIELDS, language, {"criteria": tuple(criteria)})
    context.update(
        criteria=criteria,
        blank_criteria=blank,
        labels=_field_labels(criteria, opened.item.content.get("trl"), language),
        hide=hide,
        answers=_answers(definition, opened, language, hide),
        claimed_trl=opened.item.content.get("trl"),
        evaluation=evaluation,
        editable=editable,
        others=evaluator_service.others_for(db, opened=opened),
        rating_labels=route.RATING_LABELS,
        factor_labels=route.FACTOR_LABELS,
    )
    return render(request, "evaluations/score.html", context, status_code=status_code)


@router.get("/evaluate/assignments/{assignment_id}", name="evaluate_assignment")
@on_event_loop
def assignment(
    request: Request, assignment_id: int, db: DbSession, now: Now, user: EvaluatorUser, language: Language
) -> Response:
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now)
    return _assignment_page(request, db, opened, language)


@router.post("/evaluate/assignments/{assignment_id}/declaration", name="evaluate_declare")
def declare(
    request: Request,
    posted: PostedForm,
    assignment_id: int,
    db: DbSession,
    now: Now,
    user: EvaluatorUser,
    language: Language,
) -> Response:
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now, lock=True)
    values = form_values(posted)
    form, errors = parse_form(DeclarationForm, values)
    if form is not None:
        try:
            evaluator_service.declare(
                db, opened=opened, form=form, actor=actor_of(request, user), now=now, links=request.app.state.links
            )
            db.commit()
            if form.has_conflict:
                return see_other(request, "evaluate_queue")
            return see_other(request, "evaluate_assignment", assignment_id=assignment_id)
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = errors_of(failed)
            opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now)
    return _assignment_page(
        request, db, opened, language, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.post("/evaluate/assignments/{assignment_id}/scores", name="evaluate_scores")
@on_event_loop
def scores(
    request: Request,
    posted: PostedForm,
    assignment_id: int,
    db: DbSession,
    now: Now,
    user: EvaluatorUser,
    language: Language,
) -> Response:
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now, lock=True)
    if not permissions.can_read_content(opened.assignment):
        raise NotFound()
    values = form_values(posted)
    raw = parse_scores([c.key for c in opened.definition.criteria], values)
    submit = values.get("action") == "submit"
    try:
        evaluator_service.save_evaluation(
            db,
            opened=opened,
            raw=raw,
            assessed_trl=str(values.get("assessed_trl", "")).strip(),
            submit=submit,
            actor=actor_of(request, user),
            now=now,
        )
        due = permissions.is_assessment_due(opened.assignment.assessment)
        db.commit()
        if not submit:
            return see_other(request, "evaluate_assignment", assignment_id=assignment_id)
        if due:  # the evaluator's next step: the security assessment of the same proposal
            return see_other(request, "evaluate_security", query="done=scores", assignment_id=assignment_id)
        return see_other(request, "evaluate_queue", query="done=evaluation")
    except (ValidationFailed, InvalidTransition) as failed:
        db.rollback()
        errors = errors_of(failed)
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now)
    return _assignment_page(
        request, db, opened, language, errors=translate_errors(language, errors), values=values, status_code=422
    )


@router.get("/evaluate/assignments/{assignment_id}/documents/{question_key}", name="evaluate_document")
def document(
    request: Request, assignment_id: int, question_key: str, db: DbSession, now: Now, user: EvaluatorUser
) -> Response:
    """A document of the standing version, only to its assigned evaluator after the declaration; as an attachment.

    When the challenge scores blind, the copy without metadata (made now if this is its first download).
    """
    opened = evaluator_service.open_assignment(db, assignment_id=assignment_id, user=user, now=now)
    if not permissions.can_read_content(opened.assignment):
        raise NotFound()
    blobs = request.app.state.blobs
    blind = opened.definition.blind_scoring
    # Only a blind download may write (its first one makes the copy), in a writing unit of its own; the reads'
    # transaction ends first, so no reader is ever upgraded to a writer.
    db.commit()
    with request.app.state.db.unit_of_work() if blind else nullcontext(db) as session:
        download = blind_service.evaluator_download(
            session,
            item=opened.item,
            question_key=question_key,
            blind=blind,
            blobs=blobs,
            actor=actor_of(request, user),
            now=now,
        )
        session.commit()
    handle = blobs.open(download.sha256)
    return StreamingResponse(
        handle,
        media_type=download.media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{download.name}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post(STAGE + "/evaluations/{evaluation_id}/reopen", name="eval_reopen")
def reopen(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    evaluation_id: int,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
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
                links=request.app.state.links,
            )
            db.commit()
            return stage_page(request, "eval_assignments", scope)
        except InvalidTransition as failed:
            db.rollback()
            errors = [FieldError("__all__", failed.message)]
    return assignments_page(
        request, db, scope, now, errors=translate_errors(language, errors), values=values, status_code=422
    )
