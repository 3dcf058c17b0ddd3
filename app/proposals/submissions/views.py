"""Submission pages for companies: submit (or amend), a version with its receipt, withdraw, re-confirm."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentUser
from app.errors import DeadlinePassed, FieldError, NotFound, ValidationFailed
from app.forms import translate_errors
from app.i18n import N_, translate
from app.proposals import service as proposal_service
from app.proposals.drafts import answers as answer_rules
from app.proposals.drafts.views import deadline_errors
from app.proposals.enums import Declaration, ProposalStatus
from app.proposals.models import Proposal
from app.proposals.submissions import service
from app.tokens import new_token
from app.web import DbSession, Language, Now, PostedForm, actor_of, get_language, render, see_other

router = APIRouter()


# --- submit, versions, withdraw, re-confirm -------------------------------------------------------


def _submit_page(
    request: Request,
    db: DbSession,
    proposal: Proposal,
    now: Any,
    *,
    errors: dict[str, str] | None = None,
    ticked: set[str] | None = None,
    template: str = "proposals/submit.html",
    status_code: int = 200,
) -> Response:
    language = get_language(request)
    context = proposal_service.page_context(db, proposal, now)
    problems = service.submission_problems(db, proposal=proposal)
    context.update(
        problems=translate_errors(language, problems),
        field_labels=_field_labels(context["spec"], language),
        declaration_error=any(name.startswith("declaration_") for name in errors or {}),
        errors=errors or {},
        ticked=ticked or set(),
        publish_name=_publish_name_before(proposal) if ticked is None else "publish_name" in ticked,
        declarations=list(Declaration),
        submission_key=new_token()[:43],
    )
    return render(request, template, context, status_code=status_code)


def _publish_name_before(proposal: Proposal) -> bool:
    """Whether the standing version agreed to publishing the company's name: an amendment starts from it."""
    latest = proposal_service.latest_version(proposal)
    return bool(latest and (latest.content.get("publication") or {}).get("name"))


def _field_labels(spec: Any, language: str) -> dict[str, str]:
    """Names of the fields a submission can be blocked on, for the list of what is still to do."""
    labels = {answer_rules.field_name(q.key): q.label.get(language) for q in spec.questions}
    labels.update({f"document_{q.key}": q.label.get(language) for q in spec.questions})
    labels[answer_rules.TRL_FIELD] = translate(language, N_("Claimed technology readiness level (TRL)"))
    consortium_label = translate(language, N_("Consortium and shares of the work"))
    return {**labels, "lead_share": consortium_label, "lead_role": consortium_label, "partner": consortium_label}


@router.get("/proposals/{proposal_id}/submit", name="proposal_submit")
def proposal_submit_form(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    return _submit_page(request, db, proposal, now)


@router.post("/proposals/{proposal_id}/submit")
def proposal_submit(
    request: Request,
    posted: PostedForm,
    proposal_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    # Locked and read with its context in one query; the service finds it locked (and the four held here).
    proposal, *_held = proposal_service.member_proposal_in_context(db, proposal_id=proposal_id, user=user, lock=True)
    form = posted
    ticked = {str(v) for v in form.getlist("declarations")}
    publish_name = str(form.get("publish_name", "")) == "yes"
    key = str(form.get("submission_key", ""))[:64] or new_token()[:43]
    try:
        version = service.submit_proposal(
            db,
            proposal=proposal,
            declarations=ticked,
            idempotency_key=key,
            store=request.app.state.blobs,
            publish_name=publish_name,
            user=user,
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
    except DeadlinePassed as failed:
        db.rollback()
        return _submit_page(request, db, proposal, now, errors=deadline_errors(request, failed), status_code=422)
    except ValidationFailed as failed:
        db.rollback()
        errors = translate_errors(language, failed.errors)
        return _submit_page(
            request,
            db,
            proposal,
            now,
            errors=errors,
            ticked=ticked | ({"publish_name"} if publish_name else set()),
            status_code=422,
        )
    db.commit()
    return see_other(request, "proposal_version", proposal_id=proposal.id, number=version.number)


@router.get("/proposals/{proposal_id}/versions/{number}", name="proposal_version")
def proposal_version(
    request: Request, proposal_id: int, number: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    context = proposal_service.page_context(db, proposal, now)
    context["version"] = proposal_service.get_version(db, proposal=proposal, number=number)
    context["latest"] = proposal_service.latest_version(proposal)
    return render(request, "proposals/version.html", context)


@router.get("/proposals/{proposal_id}/withdraw", name="proposal_withdraw")
def proposal_withdraw_form(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    if proposal.status != ProposalStatus.SUBMITTED.value:
        raise NotFound()
    return render(request, "proposals/withdraw.html", proposal_service.page_context(db, proposal, now))


@router.post("/proposals/{proposal_id}/withdraw")
def proposal_withdraw(
    request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser, language: Language
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    try:
        service.withdraw_proposal(
            db, proposal=proposal, actor=actor_of(request, user), now=now, links=request.app.state.links
        )
    except DeadlinePassed as failed:
        db.rollback()
        context = {**proposal_service.page_context(db, proposal, now), "errors": deadline_errors(request, failed)}
        return render(request, "proposals/withdraw.html", context, status_code=422)
    db.commit()
    return see_other(request, "proposal_detail", query="saved=withdrawn", proposal_id=proposal.id)


@router.get("/proposals/{proposal_id}/reconfirm", name="proposal_reconfirm")
def proposal_reconfirm_form(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    if proposal.reconfirmation_required_at is None:
        raise NotFound()
    return _submit_page(request, db, proposal, now, template="proposals/reconfirm.html")


@router.post("/proposals/{proposal_id}/reconfirm")
def proposal_reconfirm(
    request: Request,
    posted: PostedForm,
    proposal_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    form = posted
    key = str(form.get("submission_key", ""))[:64] or new_token()[:43]
    try:
        version = service.reconfirm_proposal(
            db,
            proposal=proposal,
            idempotency_key=key,
            user=user,
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
    except DeadlinePassed as failed:
        db.rollback()
        errors = deadline_errors(request, failed)
        return _submit_page(
            request, db, proposal, now, errors=errors, template="proposals/reconfirm.html", status_code=422
        )
    except ValidationFailed as failed:
        db.rollback()
        errors = _reconfirm_errors(db, proposal, language, failed)
        return _submit_page(
            request, db, proposal, now, errors=errors, template="proposals/reconfirm.html", status_code=422
        )
    db.commit()
    return see_other(request, "proposal_version", proposal_id=proposal.id, number=version.number)


def _reconfirm_errors(db: DbSession, proposal: Proposal, language: str, failed: ValidationFailed) -> dict[str, str]:
    """The refused re-confirmation's messages, each question named by its label in the reader's language."""
    challenge, stage, _ = proposal_service.context_of(db, proposal)
    labels = {q.key: q.label.get(language) for q in proposal_service.questions_of(challenge, stage)}
    named = [
        FieldError(e.path, e.message, {**e.params, "question": labels.get(str(e.params.get("question")), "")})
        for e in failed.errors
    ]
    return translate_errors(language, named)
