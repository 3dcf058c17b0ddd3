"""The coordinators' triage of propositions without a challenge, under /manage/propositions.

A coordinator sees the propositions of the NLD-gebieden an administrator gave them or of the challenges they
coordinate, and those tagged with their regional team (``app.proposals.propositions.permissions``); any other
proposition answers 404. Whoever triages a proposition may change its region tags (``.../regions``).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CoordinatorUser
from app.errors import ValidationFailed
from app.forms import form_values, parse_form, ticked_ids, translate_errors
from app.organisations.regions import service as region_service
from app.proposals.propositions import service, tags
from app.proposals.propositions.enums import PROPOSITION_MACHINE, STEP_LABELS
from app.proposals.propositions.models import Proposition
from app.proposals.propositions.schemas import MessageForm, TriageForm
from app.web import AppLinks, DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()


@router.get("/manage/propositions", name="manage_propositions")
def manage_propositions(request: Request, db: DbSession, user: CoordinatorUser) -> Response:
    propositions = service.list_triage(db, user=user)
    details = {p.id: service.details_of(db, p) for p in propositions}
    handed = request.query_params.get("handed_over", "")
    context = {
        "handed_over": int(handed) if handed.isascii() and handed.isdigit() and len(handed) < 10 else None,
        "propositions": propositions,
        "details": details,
        "machine": PROPOSITION_MACHINE,
        "team": region_service.region_of_user(db, user_id=user.id),
    }
    return render(request, "propositions/manage_list.html", context)


def _page(
    request: Request,
    db: DbSession,
    proposition: Proposition,
    *,
    now: Any,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    chosen_regions: list[int] | None = None,
    status_code: int = 200,
) -> Response:
    current = tags.list_proposition_regions(db, proposition_id=proposition.id)
    offered = {r.id: r for r in region_service.list_regions(db, active_only=True)} | {r.id: r for r in current}
    context = {
        "proposition": proposition,
        "regions": sorted(offered.values(), key=lambda r: (r.position, r.id)),
        "chosen_regions": chosen_regions if chosen_regions is not None else [r.id for r in current],
        "machine": PROPOSITION_MACHINE,
        "details": service.details_of(db, proposition),
        "step_labels": STEP_LABELS,
        "choices": service.triage_choices(db, now=now),
        "can_triage": bool(PROPOSITION_MACHINE.transitions[PROPOSITION_MACHINE.states(proposition.status)]),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "propositions/manage_detail.html", context, status_code=status_code)


@router.get("/manage/propositions/{proposition_id}", name="manage_proposition")
def manage_proposition(
    request: Request, proposition_id: int, db: DbSession, now: Now, user: CoordinatorUser
) -> Response:
    proposition = service.get_triage_proposition(db, proposition_id=proposition_id, user=user)
    return _page(request, db, proposition, now=now)


@router.post("/manage/propositions/{proposition_id}/triage", name="manage_proposition_triage")
def manage_proposition_triage(
    request: Request,
    posted: PostedForm,
    proposition_id: int,
    db: DbSession,
    now: Now,
    language: Language,
    links: AppLinks,
    user: CoordinatorUser,
) -> Response:
    proposition = service.get_triage_proposition(db, proposition_id=proposition_id, user=user)
    values = form_values(posted)
    form, errors = parse_form(TriageForm, values)
    if form is not None:
        try:
            service.triage_proposition(
                db, proposition=proposition, form=form, user=user, actor=actor_of(request, user), now=now, links=links
            )
            db.commit()
            return see_other(request, "manage_proposition", proposition_id=proposition_id)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
            proposition = service.get_triage_proposition(db, proposition_id=proposition_id, user=user)
    shown = translate_errors(language, errors)
    return _page(request, db, proposition, now=now, errors=shown, values=values, status_code=422)


@router.post("/manage/propositions/{proposition_id}/messages", name="manage_proposition_message")
def manage_proposition_message(
    request: Request,
    posted: PostedForm,
    proposition_id: int,
    db: DbSession,
    now: Now,
    language: Language,
    links: AppLinks,
    user: CoordinatorUser,
) -> Response:
    proposition = service.get_triage_proposition(db, proposition_id=proposition_id, user=user)
    values = form_values(posted)
    form, errors = parse_form(MessageForm, values)
    if form is None:
        shown = translate_errors(language, errors)
        return _page(request, db, proposition, now=now, errors=shown, values=values, status_code=422)
    service.add_message(
        db,
        proposition=proposition,
        user=user,
        body=form.body,
        from_company=False,
        actor=actor_of(request, user),
        now=now,
        links=links,
    )
    db.commit()
    return see_other(request, "manage_proposition", proposition_id=proposition_id, fragment="messages")


@router.post("/manage/propositions/{proposition_id}/regions", name="manage_proposition_regions")
def manage_proposition_regions(
    request: Request,
    posted: PostedForm,
    proposition_id: int,
    db: DbSession,
    now: Now,
    language: Language,
    user: CoordinatorUser,
) -> Response:
    """Set the proposition's region tags; whoever removes their own last way in goes back to the list."""
    proposition = service.get_triage_proposition(db, proposition_id=proposition_id, user=user)
    chosen = ticked_ids(posted, "regions")
    try:
        still_triager = tags.set_proposition_regions(
            db, proposition=proposition, region_ids=chosen, user=user, actor=actor_of(request, user), now=now
        )
    except ValidationFailed as failed:
        db.rollback()
        proposition = service.get_triage_proposition(db, proposition_id=proposition_id, user=user)
        shown = translate_errors(language, failed.errors)
        return _page(request, db, proposition, now=now, errors=shown, chosen_regions=chosen, status_code=422)
    db.commit()
    if not still_triager:
        return see_other(request, "manage_propositions", query=f"handed_over={proposition_id}")
    return see_other(request, "manage_proposition", proposition_id=proposition_id, fragment="regions")
