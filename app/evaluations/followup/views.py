"""Follow-up pages: the coordinators keep the record under ``/manage/challenges/{slug}/follow-up``; the awarded
organisation's members read it at ``/proposals/{proposal_id}/follow-up``. Anyone else gets 404."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from app.accounts.dependencies import CurrentUser, StaffUser
from app.challenges.dependencies import ManagedChallenge
from app.challenges.models import Challenge
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.evaluations.followup import permissions, service
from app.evaluations.followup.enums import MILESTONE_MACHINE, MilestoneStatus
from app.evaluations.followup.schemas import FollowUpForm, MilestoneForm, MilestoneStatusForm
from app.evaluations.route.rules import ROUTE_LABELS
from app.forms import errors_of, form_values, parse_form, translate_errors
from app.proposals.models import Proposal
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()
BASE = "/manage/challenges/{slug}/follow-up"
SHARED = {"milestone_machine": MILESTONE_MACHINE, "route_labels": ROUTE_LABELS, "MilestoneStatus": MilestoneStatus}


@router.get(BASE, name="manage_followups")
def manage_followups(request: Request, challenge: ManagedChallenge, db: DbSession) -> Response:
    context = {"challenge": challenge, "awarded": service.list_awarded(db, challenge_id=challenge.id)}
    return render(request, "evaluations/followup/list.html", context)


def _manage_page(
    request: Request,
    db: Session,
    challenge: Challenge,
    proposal: Proposal,
    *,
    language: str,
    values: dict[str, Any] | None = None,
    errors: list[FieldError] | None = None,
    status_code: int = 200,
) -> Response:
    followup = service.get_followup(db, proposal=proposal)
    record = followup.record
    initial = {
        "contract_route": record.contract_route if record else "",
        "contract_reference": record.contract_reference if record else "",
        "start_date": record.start_date.isoformat() if record and record.start_date else "",
    }
    context = {
        "challenge": challenge,
        "followup": followup,
        "values": {**initial, **(values or {})},
        "errors": translate_errors(language, errors or []),
        **SHARED,
    }
    return render(request, "evaluations/followup/manage.html", context, status_code=status_code)


@router.get(BASE + "/{proposal_id}", name="manage_followup")
def manage_followup(
    request: Request, challenge: ManagedChallenge, proposal_id: int, db: DbSession, language: Language
) -> Response:
    proposal = service.get_awarded_proposal(db, challenge=challenge, proposal_id=proposal_id)
    return _manage_page(request, db, challenge, proposal, language=language)


@router.post(BASE + "/{proposal_id}")
def manage_followup_save(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, proposal_id: int, db: DbSession, now: Now,
    language: Language, user: StaffUser,
) -> Response:  # fmt: skip
    proposal = service.get_awarded_proposal(db, challenge=challenge, proposal_id=proposal_id)
    values = form_values(posted)
    form, errors = parse_form(FollowUpForm, values)
    if form is not None:
        service.save_followup(db, proposal=proposal, form=form, actor=actor_of(request, user), now=now)
        db.commit()
        return see_other(request, "manage_followup", slug=challenge.slug, proposal_id=proposal.id)
    return _manage_page(
        request, db, challenge, proposal, language=language, values=values, errors=errors, status_code=422
    )


@router.post(BASE + "/{proposal_id}/milestones", name="manage_milestone_add")
def manage_milestone_add(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, proposal_id: int, db: DbSession, now: Now,
    language: Language, user: StaffUser,
) -> Response:  # fmt: skip
    proposal = service.get_awarded_proposal(db, challenge=challenge, proposal_id=proposal_id)
    values = form_values(posted)
    form, errors = parse_form(MilestoneForm, values)
    if form is not None:
        service.add_milestone(db, proposal=proposal, form=form, actor=actor_of(request, user), now=now)
        db.commit()
        return see_other(
            request, "manage_followup", fragment="milestones", slug=challenge.slug, proposal_id=proposal.id
        )
    return _manage_page(
        request, db, challenge, proposal, language=language, values=values, errors=errors, status_code=422
    )


@router.post(BASE + "/{proposal_id}/milestones/{milestone_id}", name="manage_milestone_status")
def manage_milestone_status(
    request: Request, posted: PostedForm, challenge: ManagedChallenge, proposal_id: int, milestone_id: int,
    db: DbSession, now: Now, language: Language, user: StaffUser,
) -> Response:  # fmt: skip
    proposal = service.get_awarded_proposal(db, challenge=challenge, proposal_id=proposal_id)
    milestone = service.get_milestone(db, proposal=proposal, milestone_id=milestone_id)
    values = form_values(posted)  # each milestone's fields carry its id, so the page's ids stay unique
    fields = {name: values.get(f"{name}-{milestone.id}", "") for name in ("status", "done_on")}
    form, errors = parse_form(MilestoneStatusForm, fields)
    errors = [FieldError(f"{error.path}-{milestone.id}", error.message, error.params) for error in errors]
    if form is not None:
        try:
            service.change_milestone(db, milestone=milestone, form=form, actor=actor_of(request, user), now=now)
            db.commit()
            return see_other(
                request, "manage_followup", fragment="milestones", slug=challenge.slug, proposal_id=proposal.id
            )
        except (ValidationFailed, InvalidTransition) as failed:
            db.rollback()
            errors = errors_of(failed)
    return _manage_page(request, db, challenge, proposal, language=language, errors=errors, status_code=422)


@router.get("/proposals/{proposal_id}/follow-up", name="proposal_followup")
def proposal_followup(request: Request, proposal_id: int, db: DbSession, user: CurrentUser) -> Response:
    """The record, read-only, for the awarded organisation's members; 404 for everyone else."""
    proposal = db.get(Proposal, proposal_id)
    if proposal is None or not permissions.can_read_followup(db, user, proposal):
        raise NotFound()
    context = {
        "challenge": db.get_one(Challenge, proposal.challenge_id),
        "followup": service.get_followup(db, proposal=proposal),
        **SHARED,
    }
    return render(request, "evaluations/followup/company.html", context)
