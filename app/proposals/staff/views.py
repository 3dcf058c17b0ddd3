"""Staff pages of proposals: counts before the deadline, the submitted proposals after it.

Sealed until the deadline: before it, coordinators of the challenge (and administrators) see counts only;
evaluators read proposals through their assignments (evaluations).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import StaffUser
from app.challenges.dependencies import ManagedChallenge
from app.challenges.models import Challenge, ChallengeStage
from app.errors import NotFound
from app.organisations.models import Organisation
from app.proposals import permissions, service
from app.proposals.documents.views import MEDIA_TYPES, attachment
from app.proposals.models import Proposal, ProposalVersion
from app.web import DbSession, Now, moved_permanently, refuse_sealed, render

router = APIRouter()


@router.get("/manage/challenges/{slug}/proposals", name="proposal_staff_list")
def proposal_staff_list(request: Request, challenge: ManagedChallenge, db: DbSession, now: Now) -> Response:
    counts = service.count_proposals(db, challenge_id=challenge.id)
    stages = [
        (stage, counts.get(stage.key), [] if permissions.is_sealed(stage, now) else service.staff_rows(db, stage=stage))
        for stage in challenge.stages
    ]
    return render(request, "proposals/staff_list.html", {"challenge": challenge, "stages": stages})


def _readable(
    request: Request, db: DbSession, managed: Challenge, proposal_id: int, user: StaffUser, now: Now
) -> tuple[Proposal, Challenge, ChallengeStage, Organisation, ProposalVersion]:
    proposal = db.get(Proposal, proposal_id)
    if proposal is None or proposal.challenge_id != managed.id:
        raise NotFound()
    challenge, stage, organisation = service.context_of(db, proposal)
    if permissions.is_sealed(stage, now):
        refuse_sealed(request, db, user=user, object_type="proposal", object_id=proposal.id, stage_id=stage.id)
    if not permissions.can_read_as_staff(db, user, proposal, challenge, stage, now):
        raise NotFound()
    version = service.latest_version(proposal)
    if version is None:
        raise NotFound()
    return proposal, challenge, stage, organisation, version


@router.get("/manage/challenges/{slug}/proposals/{proposal_id}", name="proposal_staff_detail")
def proposal_staff_detail(
    request: Request, managed: ManagedChallenge, proposal_id: int, db: DbSession, now: Now, user: StaffUser
) -> Response:
    proposal, challenge, stage, organisation, version = _readable(request, db, managed, proposal_id, user, now)
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


@router.get(
    "/manage/challenges/{slug}/proposals/{proposal_id}/documents/{question_key}", name="proposal_staff_document"
)
def proposal_staff_document(
    request: Request,
    managed: ManagedChallenge,
    proposal_id: int,
    question_key: str,
    db: DbSession,
    now: Now,
    user: StaffUser,
) -> Response:
    _, _, _, _, version = _readable(request, db, managed, proposal_id, user, now)
    document = next((d for d in version.documents if d.question_key == question_key), None)
    if document is None:
        raise NotFound()
    return attachment(
        request.app.state.blobs,
        sha256=document.sha256,
        name=document.original_name,
        media_type=MEDIA_TYPES.get(document.kind, "application/octet-stream"),
    )


# --- old links by proposal id ---------------------------------------------------------------------------
# Until the workspace was keyed by the challenge's slug these pages were /manage/proposals/{id}/...


def _challenge_for_old_link(request: Request, db: DbSession, proposal_id: int, user: StaffUser, now: Now) -> Challenge:
    """The proposal's challenge if the user may read the proposal there now; 404 otherwise, so ids leak nothing."""
    proposal = db.get(Proposal, proposal_id)
    challenge = db.get(Challenge, proposal.challenge_id) if proposal is not None else None
    if challenge is None:
        raise NotFound()
    _readable(request, db, challenge, proposal_id, user, now)
    return challenge


@router.get("/manage/proposals/{proposal_id}", name="proposal_staff_detail_by_id", include_in_schema=False)
def proposal_staff_detail_by_id(
    request: Request, proposal_id: int, db: DbSession, now: Now, user: StaffUser
) -> Response:
    challenge = _challenge_for_old_link(request, db, proposal_id, user, now)
    return moved_permanently(request, "proposal_staff_detail", slug=challenge.slug, proposal_id=proposal_id)


@router.get(
    "/manage/proposals/{proposal_id}/documents/{question_key}",
    name="proposal_staff_document_by_id",
    include_in_schema=False,
)
def proposal_staff_document_by_id(
    request: Request, proposal_id: int, question_key: str, db: DbSession, now: Now, user: StaffUser
) -> Response:
    challenge = _challenge_for_old_link(request, db, proposal_id, user, now)
    target = {"slug": challenge.slug, "proposal_id": proposal_id, "question_key": question_key}
    return moved_permanently(request, "proposal_staff_document", **target)
