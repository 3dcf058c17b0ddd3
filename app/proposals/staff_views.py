"""Staff pages of proposals: counts before the deadline, the submitted proposals after it.

Sealed until the deadline: before it, coordinators of the challenge (and administrators) see counts only;
evaluators read proposals through their assignments (evaluations).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import StaffUser
from app.challenges import permissions as challenge_permissions
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.errors import NotFound
from app.organisations.models import Organisation
from app.proposals import permissions, service
from app.proposals.documents.views import MEDIA_TYPES, attachment
from app.proposals.models import Proposal, ProposalVersion
from app.web import DbSession, Now, render

router = APIRouter()


@router.get("/manage/challenges/{slug}/proposals", name="proposal_staff_list")
def proposal_staff_list(request: Request, slug: str, db: DbSession, now: Now, user: StaffUser) -> Response:
    challenge = challenge_service.get_challenge_by_slug(db, slug=slug)
    if not challenge_permissions.can_manage_challenge(db, user, challenge):
        raise NotFound()
    counts = service.count_proposals(db, challenge_id=challenge.id)
    stages = [
        (stage, counts.get(stage.key), [] if permissions.is_sealed(stage, now) else service.staff_rows(db, stage=stage))
        for stage in challenge.stages
    ]
    return render(request, "proposals/staff_list.html", {"challenge": challenge, "stages": stages})


def _readable(
    request: Request, db: DbSession, proposal_id: int, user: StaffUser, now: Now
) -> tuple[Proposal, Challenge, ChallengeStage, Organisation, ProposalVersion]:
    proposal = db.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound()
    challenge, stage, organisation = service.context_of(db, proposal)
    if not permissions.can_read_as_staff(db, user, proposal, challenge, stage, now):
        raise NotFound()
    version = service.latest_version(proposal)
    if version is None:
        raise NotFound()
    return proposal, challenge, stage, organisation, version


@router.get("/manage/proposals/{proposal_id}", name="proposal_staff_detail")
def proposal_staff_detail(request: Request, proposal_id: int, db: DbSession, now: Now, user: StaffUser) -> Response:
    proposal, challenge, stage, organisation, version = _readable(request, db, proposal_id, user, now)
    definition, spec = service.stage_spec(challenge, stage)
    context = {
        "proposal": proposal,
        "challenge": challenge,
        "stage": stage,
        "organisation": organisation,
        "version": version,
        "definition": definition,
        "spec": spec,
    }
    return render(request, "proposals/staff_detail.html", context)


@router.get("/manage/proposals/{proposal_id}/documents/{question_key}", name="proposal_staff_document")
def proposal_staff_document(
    request: Request, proposal_id: int, question_key: str, db: DbSession, now: Now, user: StaffUser
) -> Response:
    _, _, _, _, version = _readable(request, db, proposal_id, user, now)
    document = next((d for d in version.documents if d.question_key == question_key), None)
    if document is None:
        raise NotFound()
    return attachment(
        request.app.state.blobs,
        sha256=document.sha256,
        name=document.original_name,
        media_type=MEDIA_TYPES.get(document.kind, "application/octet-stream"),
    )
