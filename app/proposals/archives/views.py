"""Archive downloads: a company's submitted version, a coordinator's stage of submissions (after its deadline)."""

from __future__ import annotations

from typing import BinaryIO
from urllib.parse import quote

from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from app.accounts.dependencies import CurrentUser, StaffUser
from app.challenges.dependencies import ManagedChallenge, ManagedStage
from app.proposals import permissions
from app.proposals import service as proposal_service
from app.proposals.archives import service
from app.proposals.archives.zipping import safe_segment, stream_file
from app.security import SMALL_FORM, body_limit
from app.web import DbSession, Language, Now, actor_of, refuse_sealed

router = APIRouter()


def zip_response(handle: BinaryIO, name: str) -> Response:
    """A ZIP in a temporary file as an attachment, streamed and deleted once sent."""
    handle.seek(0, 2)
    size = handle.tell()
    handle.seek(0)
    name = safe_segment(name, fallback="archive")
    headers = {
        "Content-Disposition": f"attachment; filename=\"{quote(name)}\"; filename*=UTF-8''{quote(name)}",
        "Content-Length": str(size),
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(stream_file(handle), media_type="application/zip", headers=headers)


@router.get("/proposals/{proposal_id}/versions/{number}/archive", name="proposal_version_archive")
def proposal_version_archive(
    request: Request, proposal_id: int, number: int, db: DbSession, user: CurrentUser, language: Language
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    version = proposal_service.get_version(db, proposal=proposal, number=number)
    handle = service.version_archive(
        db, proposal=proposal, version=version, store=request.app.state.blobs, language=language
    )
    return zip_response(handle, f"{proposal.reference}-v{version.number}.zip")


@router.post("/manage/challenges/{slug}/stages/{stage_key}/submissions/archive", name="challenge_submissions_archive")
@body_limit(SMALL_FORM)
def challenge_submissions_archive(
    request: Request,
    challenge: ManagedChallenge,
    stage: ManagedStage,
    db: DbSession,
    now: Now,
    user: StaffUser,
    language: Language,
) -> Response:
    if permissions.is_sealed(stage, now):
        refuse_sealed(request, db, user=user, object_type="challenge", object_id=challenge.id, stage_id=stage.id)
    handle = service.submissions_archive(
        db,
        challenge=challenge,
        stage=stage,
        store=request.app.state.blobs,
        language=language,
        actor=actor_of(request, user),
        now=now,
    )
    try:
        db.commit()
    except BaseException:
        handle.close()
        raise
    return zip_response(handle, f"{challenge.slug}-{stage.key}-submissions.zip")
