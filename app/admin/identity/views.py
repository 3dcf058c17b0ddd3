"""Administrator pages for who organisations are: the queue of unverified organisations and open disputes.
Everyone else gets a 404 (``AdminUser``)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import AdminUser
from app.errors import ValidationFailed
from app.forms import translate_errors
from app.organisations.enums import DISPUTE_MACHINE, ORGANISATION_MACHINE
from app.organisations.identity import service
from app.web import DbSession, Language, Now, PostedForm, actor_of, render, see_other

router = APIRouter(prefix="/admin")
DONE_FLAGS = frozenset({"verified", "upheld", "dismissed"})


def _queue(
    request: Request,
    db: DbSession,
    *,
    done: str | None = None,
    errors: dict[str, str] | None = None,
    failed_id: int = 0,
) -> Response:
    context = {
        "waiting": service.list_unverified(db),
        "disputes": service.list_open_disputes(db),
        "organisation_machine": ORGANISATION_MACHINE,
        "dispute_machine": DISPUTE_MACHINE,
        "done": done if done in DONE_FLAGS else None,
        "errors": errors or {},
        "failed_id": failed_id,
    }
    return render(request, "admin/organisations.html", context, status_code=422 if errors else 200)


@router.get("/organisations", name="admin_organisations")
def admin_organisations(request: Request, admin: AdminUser, db: DbSession, done: str | None = None) -> Response:
    return _queue(request, db, done=done)


@router.post("/organisations/{organisation_id}/verify", name="admin_organisation_verify")
def admin_organisation_verify(
    request: Request, posted: PostedForm, organisation_id: int, admin: AdminUser, db: DbSession, now: Now
) -> Response:
    service.verify_organisation(db, organisation_id=organisation_id, actor=actor_of(request, admin), now=now)
    db.commit()
    return see_other(request, "admin_organisations", query="done=verified")


@router.post("/disputes/{dispute_id}/resolve", name="admin_dispute_resolve")
def admin_dispute_resolve(
    request: Request, posted: PostedForm, dispute_id: int, admin: AdminUser, db: DbSession, now: Now, language: Language
) -> Response:
    uphold = posted.get("decision") == "uphold"
    try:
        service.resolve_dispute(
            db,
            dispute_id=dispute_id,
            uphold=uphold,
            note=str(posted.get("note", "")),
            actor=actor_of(request, admin),
            now=now,
            links=request.app.state.links,
        )
    except ValidationFailed as failed:
        db.rollback()
        errors = {f"note-{dispute_id}": message for message in translate_errors(language, failed.errors).values()}
        return _queue(request, db, errors=errors, failed_id=dispute_id)
    db.commit()
    return see_other(request, "admin_organisations", query="done=upheld" if uphold else "done=dismissed")
