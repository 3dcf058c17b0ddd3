"""Proposal pages for companies: start, my proposals, the overview, answers, consortium, submit, withdraw.

Documents have their own module (``document_views``); staff pages are in ``staff_views``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth, CurrentUser
from app.challenges import service as challenge_service
from app.errors import DeadlinePassed, FieldError, NotFound, ValidationFailed
from app.evaluations.decisions import service as decision_service
from app.forms import form_values, translate_errors
from app.i18n import N_, translate
from app.organisations import service as organisation_service
from app.organisations.models import Organisation
from app.organisations.schemas import country_names
from app.proposals import answers as answer_rules
from app.proposals import consortium, document_views, service, staff_views
from app.proposals.enums import Declaration, ProposalStatus
from app.proposals.models import Proposal
from app.tokens import new_token
from app.web import DbSession, Language, Now, PostedForm, actor_of, domain_message, get_language, render, see_other

router = APIRouter()
KEPT_AS_DRAFT = N_("What you typed has been kept as a draft; it was not submitted.")
router.include_router(document_views.router)
router.include_router(staff_views.router)


def _deadline_errors(request: Request, failed: DeadlinePassed) -> dict[str, str]:
    return {"__all__": domain_message(request, failed)}


# --- start ----------------------------------------------------------------------------------------


@router.get("/challenges/{slug}/apply", name="proposal_start")
def proposal_start(request: Request, slug: str, db: DbSession, now: Now, auth: CurrentAuth) -> Response:
    """Start (or return to) the acting organisation's proposal for the challenge's open stage."""
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    stage = challenge_service.current_stage(challenge, now)
    memberships = organisation_service.list_memberships(db, user_id=auth.user_id)
    organisation = db.get(Organisation, auth.acting_organisation_id) if auth.acting_organisation_id else None
    if organisation is not None and stage is not None:
        existing = service.find_proposal(db, stage_id=stage.id, organisation_id=organisation.id)
        if existing is not None:
            return see_other(request, "proposal_detail", proposal_id=existing.id)
    context = {
        "challenge": challenge,
        "definition": challenge_service.current_definition(challenge),
        "stage": stage,
        "open": stage is not None and stage.is_open(now) and not stage.invitation_only,
        "organisation": organisation,
        "memberships": memberships,
    }
    return render(request, "proposals/start.html", context)


@router.post("/challenges/{slug}/apply")
def proposal_create(request: Request, slug: str, db: DbSession, now: Now, auth: CurrentAuth) -> Response:
    challenge = challenge_service.get_public_challenge(db, slug=slug)
    stage = challenge_service.current_stage(challenge, now)
    organisation = db.get(Organisation, auth.acting_organisation_id) if auth.acting_organisation_id else None
    if stage is None or organisation is None:
        return see_other(request, "proposal_start", slug=slug)
    proposal = service.start_proposal(
        db,
        challenge=challenge,
        stage=stage,
        organisation=organisation,
        user=auth.user,
        actor=actor_of(request, auth.user),
        now=now,
    )
    db.commit()
    return see_other(request, "proposal_detail", proposal_id=proposal.id)


# --- my proposals and one proposal ----------------------------------------------------------------


@router.get("/proposals", name="proposal_list")
def proposal_list(request: Request, db: DbSession, user: CurrentUser) -> Response:
    items = service.list_for_user(db, user_id=user.id)
    return render(request, "proposals/list.html", {"items": items})


@router.get("/proposals/{proposal_id}", name="proposal_detail")
def proposal_detail(
    request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser, receipt: str = ""
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    context = service.page_context(db, proposal, now)
    context["sections"] = service.sections_complete(service.submission_problems(db, proposal=proposal))
    context["check"] = (
        service.check_receipt(db, proposal=proposal, code=receipt, store=request.app.state.blobs) if receipt else None
    )
    context["receipt_code"] = receipt
    context["decision"] = decision_service.released_decision(db, proposal_id=proposal.id)
    return render(request, "proposals/detail.html", context)


# --- answers --------------------------------------------------------------------------------------


def _answer_values(proposal: Proposal) -> dict[str, Any]:
    draft = proposal.draft or {}
    values = {answer_rules.field_name(k): v for k, v in draft.get("answers", {}).items()}
    values[answer_rules.TRL_FIELD] = draft.get("trl", "")
    return values


@router.get("/proposals/{proposal_id}/answers", name="proposal_answers")
def proposal_answers_form(
    request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser, language: Language
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    context = service.page_context(db, proposal, now)
    questions = answer_rules.form_questions(list(context["spec"].questions))
    problems = answer_rules.check_answers(questions, proposal.draft.get("answers", {}), complete=False)
    context.update(values=_answer_values(proposal), errors=translate_errors(language, problems), questions=questions)
    return render(request, "proposals/answers.html", context)


@router.post("/proposals/{proposal_id}/answers")
def proposal_answers_save(
    request: Request,
    posted: PostedForm,
    proposal_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    language: Language,
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    values = form_values(posted)
    try:
        outcome = service.save_answers(db, proposal=proposal, values=values, actor=actor_of(request, user), now=now)
    except DeadlinePassed as failed:
        context = service.page_context(db, proposal, now)
        context.update(values=values, errors=_deadline_errors(request, failed))
        context["questions"] = answer_rules.form_questions(list(context["spec"].questions))
        return render(request, "proposals/answers.html", context, status_code=422)
    db.commit()
    if outcome.late:
        context = service.page_context(db, proposal, now)
        errors = _deadline_errors(request, service.StageClosed(context["stage"].deadline_at))
        errors["__all__"] += " " + translate(language, KEPT_AS_DRAFT)
        context.update(values=values, errors=errors, late=True)
        context["questions"] = answer_rules.form_questions(list(context["spec"].questions))
        return render(request, "proposals/answers.html", context, status_code=422)
    if values.get("action") == "save_and_continue":
        return see_other(request, "proposal_documents", proposal_id=proposal.id)
    return see_other(request, "proposal_detail", query="saved=answers", proposal_id=proposal.id)


# --- consortium -----------------------------------------------------------------------------------


def _consortium_page(
    request: Request,
    db: DbSession,
    proposal: Proposal,
    now: Any,
    *,
    errors: list[FieldError] | None = None,
    values: dict[str, Any] | None = None,
    deadline: str | None = None,
    status_code: int = 200,
) -> Response:
    language = get_language(request)
    context = service.page_context(db, proposal, now)
    translated = translate_errors(language, errors or [])
    if deadline:
        translated["__all__"] = deadline + " " + translate(language, KEPT_AS_DRAFT)
    context.update(
        errors=translated,
        values=values or {},
        countries=[(c, n) for c, n in country_names(language).items() if c != "NL"],
    )
    return render(request, "proposals/consortium.html", context, status_code=status_code)


@router.get("/proposals/{proposal_id}/consortium", name="proposal_consortium")
def proposal_consortium(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    return _consortium_page(request, db, proposal, now, errors=consortium.check_shares(proposal.draft, complete=False))


@router.post("/proposals/{proposal_id}/consortium")
def proposal_consortium_save(
    request: Request, posted: PostedForm, proposal_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    values = form_values(posted)
    try:
        problems = service.save_shares(db, proposal=proposal, values=values, actor=actor_of(request, user), now=now)
    except DeadlinePassed as failed:
        db.commit()  # what was typed stays in the draft
        return _consortium_page(
            request, db, proposal, now, errors=[], deadline=domain_message(request, failed), status_code=422
        )
    db.commit()
    if problems:
        return _consortium_page(request, db, proposal, now, errors=problems, status_code=422)
    return see_other(request, "proposal_detail", query="saved=consortium", proposal_id=proposal.id)


@router.post("/proposals/{proposal_id}/consortium/partners", name="proposal_partner_add")
def proposal_partner_add(
    request: Request, posted: PostedForm, proposal_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    values = form_values(posted)
    try:
        service.add_partner(db, proposal=proposal, values=values, actor=actor_of(request, user), now=now)
    except DeadlinePassed as failed:
        db.rollback()
        return _consortium_page(
            request, db, proposal, now, values=values, deadline=domain_message(request, failed), status_code=422
        )
    except ValidationFailed as failed:
        return _consortium_page(request, db, proposal, now, errors=failed.errors, values=values, status_code=422)
    db.commit()
    return see_other(request, "proposal_consortium", proposal_id=proposal.id)


@router.post("/proposals/{proposal_id}/consortium/partners/{index}/remove", name="proposal_partner_remove")
def proposal_partner_remove(
    request: Request, proposal_id: int, index: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    service.remove_partner(db, proposal=proposal, index=index, actor=actor_of(request, user), now=now)
    db.commit()
    return see_other(request, "proposal_consortium", proposal_id=proposal.id)


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
    context = service.page_context(db, proposal, now)
    problems = service.submission_problems(db, proposal=proposal)
    context.update(
        problems=translate_errors(language, problems),
        field_labels=_field_labels(context["spec"], language),
        declaration_error=any(name.startswith("declaration_") for name in errors or {}),
        errors=errors or {},
        ticked=ticked or set(),
        declarations=list(Declaration),
        submission_key=new_token()[:43],
    )
    return render(request, template, context, status_code=status_code)


def _field_labels(spec: Any, language: str) -> dict[str, str]:
    """Names of the fields a submission can be blocked on, for the list of what is still to do."""
    labels = {answer_rules.field_name(q.key): q.label.get(language) for q in spec.questions}
    labels.update({f"document_{q.key}": q.label.get(language) for q in spec.questions})
    labels[answer_rules.TRL_FIELD] = translate(language, N_("Claimed technology readiness level (TRL)"))
    consortium_label = translate(language, N_("Consortium and shares of the work"))
    return {**labels, "lead_share": consortium_label, "lead_role": consortium_label, "partner": consortium_label}


@router.get("/proposals/{proposal_id}/submit", name="proposal_submit")
def proposal_submit_form(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
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
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    form = posted
    ticked = {str(v) for v in form.getlist("declarations")}
    key = str(form.get("submission_key", ""))[:64] or new_token()[:43]
    try:
        version = service.submit_proposal(
            db,
            proposal=proposal,
            declarations=ticked,
            idempotency_key=key,
            store=request.app.state.blobs,
            user=user,
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
    except DeadlinePassed as failed:
        db.rollback()
        return _submit_page(request, db, proposal, now, errors=_deadline_errors(request, failed), status_code=422)
    except ValidationFailed as failed:
        db.rollback()
        errors = translate_errors(language, failed.errors)
        return _submit_page(request, db, proposal, now, errors=errors, ticked=ticked, status_code=422)
    db.commit()
    return see_other(request, "proposal_version", proposal_id=proposal.id, number=version.number)


@router.get("/proposals/{proposal_id}/versions/{number}", name="proposal_version")
def proposal_version(
    request: Request, proposal_id: int, number: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    context = service.page_context(db, proposal, now)
    context["version"] = service.get_version(db, proposal=proposal, number=number)
    context["latest"] = service.latest_version(proposal)
    return render(request, "proposals/version.html", context)


@router.get("/proposals/{proposal_id}/withdraw", name="proposal_withdraw")
def proposal_withdraw_form(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    if proposal.status != ProposalStatus.SUBMITTED.value:
        raise NotFound()
    return render(request, "proposals/withdraw.html", service.page_context(db, proposal, now))


@router.post("/proposals/{proposal_id}/withdraw")
def proposal_withdraw(
    request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser, language: Language
) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    try:
        service.withdraw_proposal(
            db, proposal=proposal, actor=actor_of(request, user), now=now, links=request.app.state.links
        )
    except DeadlinePassed as failed:
        db.rollback()
        context = {**service.page_context(db, proposal, now), "errors": _deadline_errors(request, failed)}
        return render(request, "proposals/withdraw.html", context, status_code=422)
    db.commit()
    return see_other(request, "proposal_detail", query="saved=withdrawn", proposal_id=proposal.id)


@router.get("/proposals/{proposal_id}/reconfirm", name="proposal_reconfirm")
def proposal_reconfirm_form(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
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
    proposal = service.get_member_proposal(db, proposal_id=proposal_id, user=user)
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
        errors = _deadline_errors(request, failed)
        return _submit_page(
            request, db, proposal, now, errors=errors, template="proposals/reconfirm.html", status_code=422
        )
    db.commit()
    return see_other(request, "proposal_version", proposal_id=proposal.id, number=version.number)
