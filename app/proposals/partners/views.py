"""Pages for partner organisations: the proposals we are a partner in, one of them, accept or decline, and the
submitted versions that name us (read-only, once we accepted). Members of the partner organisation only: the
lead's members, other companies and staff get 404 here."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentUser
from app.errors import DeadlinePassed, NotFound, ValidationFailed
from app.forms import form_values, translate_errors
from app.proposals import service as proposal_service
from app.proposals.archives import service as archive_service
from app.proposals.archives.views import zip_response
from app.proposals.documents.views import MEDIA_TYPES, attachment
from app.proposals.drafts.views import deadline_errors
from app.proposals.models import ProposalPartner
from app.proposals.partners import service
from app.web import DbSession, Language, Now, PostedForm, actor_of, get_language, render, see_other

router = APIRouter()


@router.get("/partnerships", name="partnership_list")
def partnership_list(request: Request, db: DbSession, user: CurrentUser) -> Response:
    items = service.list_for_user(db, user_id=user.id)
    return render(request, "proposals/partners/list.html", {"items": items, **service.STATUS_CONTEXT})


def _detail_page(
    request: Request,
    db: DbSession,
    partnership: ProposalPartner,
    now: Now,
    *,
    errors: dict[str, str] | None = None,
    reason: str = "",
    status_code: int = 200,
) -> Response:
    view = service.partnership_view(db, partnership=partnership, now=now)
    context = {"view": view, "errors": errors or {}, "reason": reason, **service.STATUS_CONTEXT}
    return render(request, "proposals/partners/detail.html", context, status_code=status_code)


@router.get("/partnerships/{partnership_id}", name="partnership_detail")
def partnership_detail(request: Request, partnership_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    partnership = service.get_member_partnership(db, partnership_id=partnership_id, user=user)
    return _detail_page(request, db, partnership, now)


def _respond(
    request: Request,
    posted: PostedForm,
    partnership_id: int,
    db: DbSession,
    now: Now,
    user: CurrentUser,
    *,
    accept: bool,
) -> Response:
    partnership = service.get_member_partnership(db, partnership_id=partnership_id, user=user)
    values = form_values(posted)
    reason = str(values.get("reason", ""))
    try:
        service.respond(
            db,
            partnership=partnership,
            accept=accept,
            reason=reason,
            actor=actor_of(request, user),
            now=now,
            links=request.app.state.links,
        )
    except DeadlinePassed as failed:
        db.rollback()
        return _detail_page(request, db, partnership, now, errors=deadline_errors(request, failed), status_code=422)
    except ValidationFailed as failed:
        db.rollback()
        errors = translate_errors(get_language(request), failed.errors)
        return _detail_page(request, db, partnership, now, errors=errors, reason=reason, status_code=422)
    db.commit()
    return see_other(request, "partnership_detail", query="saved=answer", partnership_id=partnership.id)


@router.post("/partnerships/{partnership_id}/accept", name="partnership_accept")
def partnership_accept(
    request: Request, posted: PostedForm, partnership_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    return _respond(request, posted, partnership_id, db, now, user, accept=True)


@router.post("/partnerships/{partnership_id}/decline", name="partnership_decline")
def partnership_decline(
    request: Request, posted: PostedForm, partnership_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    return _respond(request, posted, partnership_id, db, now, user, accept=False)


@router.get("/partnerships/{partnership_id}/versions/{number}", name="partnership_version")
def partnership_version(
    request: Request, partnership_id: int, number: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    partnership = service.get_member_partnership(db, partnership_id=partnership_id, user=user)
    version = service.get_partner_version(db, partnership=partnership, number=number)
    view = service.partnership_view(db, partnership=partnership, now=now)
    definition, spec = proposal_service.stage_spec(view.challenge, view.stage)
    context = {"view": view, "version": version, "definition": definition, "spec": spec, **service.STATUS_CONTEXT}
    return render(request, "proposals/partners/version.html", context)


@router.get(
    "/partnerships/{partnership_id}/versions/{number}/documents/{question_key}", name="partnership_version_document"
)
def partnership_version_document(
    request: Request, partnership_id: int, number: int, question_key: str, db: DbSession, user: CurrentUser
) -> Response:
    partnership = service.get_member_partnership(db, partnership_id=partnership_id, user=user)
    version = service.get_partner_version(db, partnership=partnership, number=number)
    document = next((d for d in version.documents if d.question_key == question_key), None)
    if document is None:
        raise NotFound()
    return attachment(
        request.app.state.blobs,
        sha256=document.sha256,
        name=document.original_name,
        media_type=MEDIA_TYPES.get(document.kind, "application/octet-stream"),
    )


@router.get("/partnerships/{partnership_id}/versions/{number}/archive", name="partnership_version_archive")
def partnership_version_archive(
    request: Request, partnership_id: int, number: int, db: DbSession, user: CurrentUser, language: Language
) -> Response:
    """A version the partner may read, as one ZIP (answers, documents, receipt), as the lead's members get it."""
    partnership = service.get_member_partnership(db, partnership_id=partnership_id, user=user)
    version = service.get_partner_version(db, partnership=partnership, number=number)
    proposal = service.partner_proposal(db, partnership=partnership)
    handle = archive_service.version_archive(
        db, proposal=proposal, version=version, store=request.app.state.blobs, language=language
    )
    return zip_response(handle, f"{proposal.reference}-v{version.number}.zip")
