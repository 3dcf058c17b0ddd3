"""Working-copy pages for companies: start a proposal, its answers and claimed TRL, the consortium."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth, CurrentUser
from app.challenges import service as challenge_service
from app.errors import DeadlinePassed, FieldError, ValidationFailed
from app.forms import form_values, translate_errors
from app.i18n import N_, translate
from app.organisations import service as organisation_service
from app.organisations.models import Organisation
from app.organisations.schemas import country_names
from app.proposals import service as proposal_service
from app.proposals.drafts import answers as answer_rules
from app.proposals.drafts import consortium, service
from app.proposals.drafts.service import AnswersChanged
from app.proposals.models import Proposal
from app.proposals.partners import service as partner_service
from app.web import DbSession, Language, Now, PostedForm, actor_of, domain_message, get_language, render, see_other

router = APIRouter()
KEPT_AS_DRAFT = N_("What you typed has been kept as a draft; it was not submitted.")


def deadline_errors(request: Request, failed: DeadlinePassed) -> dict[str, str]:
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
        existing = proposal_service.find_proposal(db, stage_id=stage.id, organisation_id=organisation.id)
        if existing is not None:
            return see_other(request, "proposal_detail", proposal_id=existing.id)
    context = {
        "challenge": challenge,
        "definition": challenge_service.current_definition(challenge),
        "stage": stage,
        "open": stage is not None
        and challenge_service.accepts_proposals(challenge, stage, now)
        and not stage.invitation_only,
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


# --- answers --------------------------------------------------------------------------------------


def _answer_values(proposal: Proposal) -> dict[str, Any]:
    draft = proposal_service.working_copy(proposal)
    values: dict[str, Any] = {answer_rules.field_name(k): v for k, v in draft.answers.items()}
    values[answer_rules.TRL_FIELD] = draft.trl
    values[answer_rules.SEEN_FIELD] = answer_rules.fingerprint(draft.answers, draft.trl)
    return values


@router.get("/proposals/{proposal_id}/answers", name="proposal_answers")
def proposal_answers_form(
    request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser, language: Language
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    context = _answers_context(db, proposal, now, language)
    problems = answer_rules.check_answers(
        context["questions"], proposal_service.working_copy(proposal).answers, complete=False
    )
    context.update(values=_answer_values(proposal), errors=translate_errors(language, problems))
    return render(request, "proposals/answers.html", context)


def _answers_context(db: DbSession, proposal: Proposal, now: Any, language: str) -> dict[str, Any]:
    context = proposal_service.page_context(db, proposal, now)
    questions = answer_rules.form_questions(list(context["spec"].questions))
    labels = {answer_rules.field_name(q.key): q.label.get(language) for q in questions}
    labels[answer_rules.TRL_FIELD] = translate(language, N_("Claimed technology readiness level (TRL)"))
    context.update(questions=questions, field_labels=labels)
    return context


def _conflict_page(
    request: Request, db: DbSession, proposal: Proposal, now: Any, values: dict[str, Any], changed: AnswersChanged
) -> Response:
    """The form again with what the user typed, and beside it the answers another member stored (409)."""
    language = get_language(request)
    context = _answers_context(db, proposal, now, language)
    stored = changed.stored
    typed = answer_rules.raw_answers(context["questions"], values)
    differing = [q for q in context["questions"] if (stored.answers.get(q.key) or "") != (typed.get(q.key) or "")]
    stored_trl = stored.trl or ""
    trl_differs = stored_trl != str(values.get(answer_rules.TRL_FIELD, "")).strip()
    kept = {**values, answer_rules.SEEN_FIELD: answer_rules.fingerprint(stored.answers, stored.trl)}
    context.update(
        values=kept,
        errors={"__all__": domain_message(request, changed)},
        conflict={"questions": differing, "stored": stored.answers, "typed": typed, "trl": trl_differs},
        stored_trl=stored_trl,
    )
    return render(request, "proposals/answers.html", context, status_code=409)


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
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    values = form_values(posted)
    try:
        outcome = service.save_answers(db, proposal=proposal, values=values, actor=actor_of(request, user), now=now)
    except DeadlinePassed as failed:
        context = _answers_context(db, proposal, now, language)
        context.update(values=values, errors=deadline_errors(request, failed))
        return render(request, "proposals/answers.html", context, status_code=422)
    except AnswersChanged as changed:
        db.rollback()
        return _conflict_page(request, db, proposal, now, values, changed)
    db.commit()
    if outcome.late:
        context = _answers_context(db, proposal, now, language)
        errors = deadline_errors(request, proposal_service.StageClosed(context["stage"].deadline_at))
        errors["__all__"] += " " + translate(language, KEPT_AS_DRAFT)
        context.update(values=_answer_values(proposal), errors=errors, late=True)
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
    context = proposal_service.page_context(db, proposal, now)
    translated = translate_errors(language, errors or [])
    if deadline:
        translated["__all__"] = deadline + " " + translate(language, KEPT_AS_DRAFT)
    context.update(
        errors=translated,
        values=values or {},
        countries=[(c, n) for c, n in country_names(language).items() if c != "NL"],
        gone=request.query_params.get("gone") == "partner",
    )
    context.update(partner_service.lead_context(db, proposal=proposal))
    return render(request, "proposals/consortium.html", context, status_code=status_code)


@router.get("/proposals/{proposal_id}/consortium", name="proposal_consortium")
def proposal_consortium(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    return _consortium_page(
        request,
        db,
        proposal,
        now,
        errors=consortium.check_shares(proposal_service.working_copy(proposal), complete=False),
    )


@router.post("/proposals/{proposal_id}/consortium")
def proposal_consortium_save(
    request: Request, posted: PostedForm, proposal_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
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
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    values = form_values(posted)
    try:
        service.add_partner(
            db,
            proposal=proposal,
            values=values,
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
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
    request: Request, posted: PostedForm, proposal_id: int, index: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    """Remove the partner the page showed (its key in the form): if another member removed it meanwhile,
    nothing changes and the page says so."""
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    key = str(form_values(posted).get("partner", ""))
    removed = service.remove_partner(
        db, proposal=proposal, index=index, key=key, actor=actor_of(request, user), now=now
    )
    db.commit()
    return see_other(request, "proposal_consortium", query="" if removed else "gone=partner", proposal_id=proposal.id)
