"""A challenge's region tags under /manage/challenges/{slug}/regions, for its coordinators and administrators;
changeable after publication too (``app.challenges.regions.service`` says why)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import StaffUser
from app.challenges.dependencies import ManagedChallenge
from app.challenges.models import Challenge
from app.challenges.regions import service
from app.errors import ValidationFailed
from app.forms import translate_errors
from app.organisations.regions import service as region_service
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter()


def _page(
    request: Request,
    db: DbSession,
    challenge: Challenge,
    *,
    chosen: list[int],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    current = service.list_challenge_regions(db, challenge_id=challenge.id)
    offered = {r.id: r for r in region_service.list_regions(db, active_only=True)} | {r.id: r for r in current}
    context: dict[str, Any] = {
        "challenge": challenge,
        "regions": sorted(offered.values(), key=lambda r: (r.position, r.id)),
        "chosen": chosen,
        "errors": errors or {},
    }
    return render(request, "challenges/manage/regions.html", context, status_code=status_code)


@router.get("/manage/challenges/{slug}/regions", name="manage_challenge_regions")
def manage_challenge_regions(request: Request, challenge: ManagedChallenge, db: DbSession) -> Response:
    chosen = [r.id for r in service.list_challenge_regions(db, challenge_id=challenge.id)]
    return _page(request, db, challenge, chosen=chosen)


@router.post("/manage/challenges/{slug}/regions", name="manage_challenge_regions_save")
def manage_challenge_regions_save(
    request: Request,
    posted: PostedForm,
    challenge: ManagedChallenge,
    db: DbSession,
    now: Now,
    language: Language,
    user: StaffUser,
) -> Response:
    raw = [value for value in posted.getlist("regions") if isinstance(value, str)]
    # A value that is no number names no team: the service refuses it with the list's message.
    chosen = [int(value) if value.isdigit() else -1 for value in raw]
    try:
        service.set_challenge_regions(
            db, challenge=challenge, region_ids=chosen, actor=actor_of(request, user), now=now
        )
    except ValidationFailed as failed:
        db.rollback()
        errors = failed.errors
        return _page(request, db, challenge, chosen=chosen, errors=translate_errors(language, errors), status_code=422)
    db.commit()
    return see_other(request, "manage_challenge", slug=challenge.slug)
