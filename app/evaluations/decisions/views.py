"""The coordinator's decisions pages and the company's decision page."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from app.accounts.dependencies import CurrentUser, StaffUser
from app.audit import service as audit_service
from app.challenges import service as challenge_service
from app.challenges.models import Challenge
from app.errors import FieldError, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from app.evaluations import permissions
from app.evaluations.approvals import service as approval_service
from app.evaluations.decisions import service as decision_service
from app.evaluations.decisions import snapshot
from app.evaluations.dependencies import (
    STAGE,
    EvaluationScope,
    Scope,
    base_context,
    int_field,
    stage_page,
)
from app.evaluations.enums import OUTCOME_LABELS
from app.evaluations.models import Decision
from app.evaluations.results import service as results_service
from app.evaluations.results.views import proposal_page
from app.evaluations.schemas import (
    DecisionForm,
)
from app.forms import errors_of, form_values, parse_form, translate_errors
from app.i18n import N_, translate
from app.organisations.models import Membership
from app.proposals.models import Proposal
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()


@router.post(STAGE + "/proposals/{proposal_id}/decision", name="eval_decision_prepare")
def decision_prepare(
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
    form, errors = parse_form(DecisionForm, values)
    if form is not None:
        try:
            decision_service.prepare_decision(
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
            errors = errors_of(failed)
    return proposal_page(
        request, db, scope, proposal_id, now, errors=translate_errors(language, errors), values=values, status_code=422
    )


def _decisions_page(
    request: Request,
    db: Session,
    scope: Scope,
    now: Any,
    *,
    viewer: int,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    outcome = results_service.stage_results(
        db, challenge=scope.challenge, stage=scope.stage, now=now, policy=scope.policy
    )
    context = base_context(
        scope,
        results=outcome,
        outcome_labels=OUTCOME_LABELS,
        errors=errors or {},
        has_next=decision_service.next_stage(scope.challenge, scope.stage) is not None,
        release=decision_service.release_record(db, stage=scope.stage) if scope.released else None,
        approval=approval_service.decision_set_approval(
            db, challenge=scope.challenge, stage=scope.stage, viewer=viewer
        ),
    )
    return render(request, "evaluations/decisions.html", context, status_code=status_code)


@router.get(STAGE + "/decisions", name="eval_decisions")
def decisions_page(request: Request, scope: EvaluationScope, db: DbSession, now: Now, user: StaffUser) -> Response:
    return _decisions_page(request, db, scope, now, viewer=user.id)


def _decisions_action(
    request: Request, db: Session, scope: Scope, now: Any, language: str, action: Any, *, posted: FormData, viewer: int
) -> Response:
    values = form_values(posted)
    status_code = 422
    try:
        action(values)
        db.commit()
        return stage_page(request, "eval_decisions", scope)
    except (ValidationFailed, InvalidTransition, NotPermitted) as failed:
        db.rollback()
        errors = errors_of(failed)
        status_code = 403 if isinstance(failed, NotPermitted) else 422
    messages = [translate(language, e.message, **e.params) for e in errors]
    return _decisions_page(
        request, db, scope, now, viewer=viewer, errors={"__all__": " ".join(messages)}, status_code=status_code
    )


@router.post(STAGE + "/shortlist", name="eval_shortlist")
def shortlist(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    actor = actor_of(request, user)

    def action(values: dict[str, Any]) -> None:
        top = int_field(values, "top")
        if top < 1:
            raise ValidationFailed(errors=[FieldError("top", N_("Enter %(ge)s or more."), {"ge": 1})])
        feedback = str(values.get("feedback", "")).strip()
        if not feedback:
            raise ValidationFailed(errors=[FieldError("feedback", N_("This field is required."))])
        decision_service.shortlist(
            db,
            challenge=scope.challenge,
            stage=scope.stage,
            top=top,
            actor=actor,
            now=now,
            policy=scope.policy,
            feedback=feedback,
        )

    return _decisions_action(request, db, scope, now, language, action, posted=posted, viewer=user.id)


@router.post(STAGE + "/decisions/approve", name="eval_decisions_approve")
def decisions_approve(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    """Four eyes: a second coordinator, who prepared none of them, approves the stage's decisions."""
    actor = actor_of(request, user)
    return _decisions_action(
        request,
        db,
        scope,
        now,
        language,
        lambda v: approval_service.approve_decisions(
            db, challenge=scope.challenge, stage=scope.stage, actor=actor, now=now, policy=scope.policy
        ),
        posted=posted,
        viewer=user.id,
    )


@router.get(STAGE + "/decisions/release", name="eval_decisions_release_confirm")
def decisions_release_confirm(request: Request, scope: EvaluationScope, db: DbSession, now: Now) -> Response:
    """What releasing will do (decisions by outcome, e-mails, the stage closing for good), and the button."""
    if scope.released:
        context = base_context(scope, preview=None, release=decision_service.release_record(db, stage=scope.stage))
    else:
        preview = decision_service.release_preview(
            db, challenge=scope.challenge, stage=scope.stage, now=now, policy=scope.policy
        )
        context = base_context(scope, preview=preview, release=None)
    context["outcome_labels"] = OUTCOME_LABELS
    return render(request, "evaluations/release.html", context)


@router.post(STAGE + "/decisions/release", name="eval_decisions_release")
def decisions_release(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    actor = actor_of(request, user)
    return _decisions_action(
        request,
        db,
        scope,
        now,
        language,
        lambda v: decision_service.release_decisions(
            db,
            challenge=scope.challenge,
            stage=scope.stage,
            actor=actor,
            now=now,
            policy=scope.policy,
            links=request.app.state.links,
        ),
        posted=posted,
        viewer=user.id,
    )


@router.post(STAGE + "/invite", name="eval_invite_next")
def invite_next(
    request: Request,
    scope: EvaluationScope,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    actor = actor_of(request, user)
    return _decisions_action(
        request,
        db,
        scope,
        now,
        language,
        lambda v: decision_service.invite_shortlisted(
            db, challenge=scope.challenge, stage=scope.stage, actor=actor, now=now, links=request.app.state.links
        ),
        posted=posted,
        viewer=user.id,
    )


@router.get("/proposals/{proposal_id}/decision", name="proposal_decision")
def proposal_decision(
    request: Request, proposal_id: int, db: DbSession, user: CurrentUser, language: Language
) -> Response:
    """The released decision, for members of the proposal's organisation only; 404 before release."""
    proposal = db.get(Proposal, proposal_id)
    if proposal is None or db.get(Membership, (proposal.organisation_id, user.id)) is None:
        raise NotFound()
    decision = db.get(Decision, proposal_id)
    if decision is None or not permissions.is_released(decision):
        raise NotFound()

    challenge = db.get_one(Challenge, proposal.challenge_id)
    definition = challenge_service.current_definition(challenge)
    context = {
        "proposal": proposal,
        "challenge": challenge,
        "decision": decision,
        "result": snapshot.released_result(decision, language),
        "outcome_labels": OUTCOME_LABELS,
        "scale": definition.scale,
        "head": audit_service.published_head(
            db, occasion="decision.release", object_type="challenge_stage", object_id=proposal.stage_id
        ),
    }
    return render(request, "evaluations/decision.html", context)
