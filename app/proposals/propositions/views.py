"""A company's propositions without a challenge, under /propositions: send one, add a document, read the
triage and its messages, reply. Only members of the organisation see them (coordinators who triage one use
/manage/propositions; the document download serves both)."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response

from app.accounts.dependencies import CurrentAuth, CurrentUser
from app.challenges import service as challenge_service
from app.challenges.enums import TaxonomyKind
from app.errors import DomainError, NotFound, ValidationFailed
from app.forms import form_values, parse_form, translate_errors
from app.organisations.models import Organisation
from app.proposals.documents.checks import DocumentRefused
from app.proposals.documents.isolation import inspect_isolated
from app.proposals.documents.uploads import (
    FRAMING_ALLOWANCE,
    MAX_FIELDS_BYTES,
    UploadMalformed,
    UploadMissing,
    UploadTooLarge,
    receive_file,
)
from app.proposals.documents.views import MEDIA_TYPES, attachment
from app.proposals.documents.views import _limits as check_limits
from app.proposals.propositions import service
from app.proposals.propositions.enums import PROPOSITION_MACHINE, STEP_LABELS, PropositionStatus
from app.proposals.propositions.models import Proposition
from app.proposals.propositions.schemas import DESCRIPTION_LIMIT, MessageForm, PropositionForm
from app.security import BodyLimit, body_limit
from app.storage import BlobStore, StorageFull
from app.web import AppLinks, DbSession, Language, Now, PostedForm, actor_of, domain_message, render, see_other

router = APIRouter()
MEGABYTE = 1024 * 1024
DOCUMENT_MB = 10
DOCUMENT_TYPES = ("pdf",)
DOCUMENT_PAGES = 30
DOCUMENT_LIMIT = BodyLimit(DOCUMENT_MB * MEGABYTE + MAX_FIELDS_BYTES + FRAMING_ALLOWANCE, multipart=True)


def _areas(db: DbSession) -> list[Any]:
    return [t for t in challenge_service.list_taxonomy(db, kind=TaxonomyKind.NLD) if t.active]


@router.get("/propositions", name="proposition_list")
def proposition_list(request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    organisation = db.get(Organisation, auth.acting_organisation_id) if auth.acting_organisation_id else None
    propositions = (
        service.list_own_propositions(db, organisation_id=organisation.id, user=auth.user) if organisation else []
    )
    context = {"organisation": organisation, "propositions": propositions, "machine": PROPOSITION_MACHINE}
    return render(request, "propositions/list.html", context)


def _form_page(
    request: Request, db: DbSession, auth: Any, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Response:
    organisation = db.get(Organisation, auth.acting_organisation_id) if auth.acting_organisation_id else None
    context = {
        "organisation": organisation,
        "areas": _areas(db),
        "values": values,
        "errors": errors,
        "description_limit": DESCRIPTION_LIMIT,
    }
    return render(request, "propositions/form.html", context, status_code=status)


@router.get("/propositions/new", name="proposition_new")
def proposition_new(request: Request, db: DbSession, auth: CurrentAuth) -> Response:
    return _form_page(request, db, auth, {}, {})


@router.post("/propositions/new")
def proposition_submit(
    request: Request,
    posted: PostedForm,
    db: DbSession,
    now: Now,
    language: Language,
    links: AppLinks,
    auth: CurrentAuth,
) -> Response:
    values = form_values(posted)
    organisation = db.get(Organisation, auth.acting_organisation_id) if auth.acting_organisation_id else None
    if organisation is None:
        return see_other(request, "proposition_new")
    form, errors = parse_form(PropositionForm, values)
    if form is not None:
        try:
            proposition = service.submit_proposition(
                db,
                organisation=organisation,
                user=auth.user,
                form=form,
                actor=actor_of(request, auth.user),
                now=now,
                links=links,
            )
            db.commit()
            return see_other(request, "proposition_detail", proposition_id=proposition.id)
        except ValidationFailed as failed:
            db.rollback()
            errors = failed.errors
    return _form_page(request, db, auth, values, translate_errors(language, errors), 422)


def _detail_page(
    request: Request,
    db: DbSession,
    proposition: Proposition,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    context = {
        "proposition": proposition,
        "machine": PROPOSITION_MACHINE,
        "details": service.details_of(db, proposition),
        "step_labels": STEP_LABELS,
        "can_attach": proposition.status == PropositionStatus.SUBMITTED.value,
        "document_mb": DOCUMENT_MB,
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "propositions/detail.html", context, status_code=status_code)


@router.get("/propositions/{proposition_id}", name="proposition_detail")
def proposition_detail(request: Request, proposition_id: int, db: DbSession, user: CurrentUser) -> Response:
    proposition = service.get_own_proposition(db, proposition_id=proposition_id, user=user)
    return _detail_page(request, db, proposition)


@router.post("/propositions/{proposition_id}/messages", name="proposition_message")
def proposition_message(
    request: Request,
    posted: PostedForm,
    proposition_id: int,
    db: DbSession,
    now: Now,
    language: Language,
    links: AppLinks,
    user: CurrentUser,
) -> Response:
    proposition = service.get_own_proposition(db, proposition_id=proposition_id, user=user)
    values = form_values(posted)
    form, errors = parse_form(MessageForm, values)
    if form is None:
        errors_shown = translate_errors(language, errors)
        return _detail_page(request, db, proposition, errors=errors_shown, values=values, status_code=422)
    service.add_message(
        db,
        proposition=proposition,
        user=user,
        body=form.body,
        from_company=True,
        actor=actor_of(request, user),
        now=now,
        links=links,
    )
    db.commit()
    return see_other(request, "proposition_detail", proposition_id=proposition.id, fragment="messages")


def _in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    return anyio.to_thread.run_sync(partial(function, *args, **kwargs))


def _load_own(request: Request, proposition_id: int, user: Any) -> Proposition:
    """Read outside the request's transaction: no connection is held while the body streams in."""
    with request.app.state.db.lookup_session() as lookup:
        return service.get_own_proposition(lookup, proposition_id=proposition_id, user=user)


def _keep(
    request: Request, db: DbSession, *, proposition: Proposition, got: Any, kind: str, user: Any, now: datetime
) -> None:
    request.app.state.blobs.put(got.path, sha256=got.sha256)  # written and synced before the row commits
    db.add(proposition)
    document = service.PropositionDocument(
        sha256=got.sha256, size_bytes=got.size, original_name=got.filename, kind=kind, media_type=MEDIA_TYPES[kind]
    )
    service.attach_document(db, proposition=proposition, document=document, actor=actor_of(request, user), now=now)
    db.commit()


@router.post("/propositions/{proposition_id}/document", name="proposition_document_upload")
@body_limit(DOCUMENT_LIMIT)
async def proposition_document_upload(
    request: Request, proposition_id: int, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    """Stream the document in with the upload discipline of proposals: the cap while reading, the type and
    structure from the bytes in the checker's limited process, stored by hash before the row commits."""
    blobs: BlobStore = request.app.state.blobs
    proposition = await _in_thread(_load_own, request, proposition_id, user)

    async def shown(error: DomainError, status_code: int) -> Response:
        await _in_thread(db.rollback)
        fresh = await _in_thread(service.get_own_proposition, db, proposition_id=proposition_id, user=user)
        errors = {"file": domain_message(request, error)}
        page = partial(_detail_page, request, db, fresh, errors=errors, status_code=status_code)
        response: Response = await anyio.to_thread.run_sync(page)
        if status_code in (413, 507):
            response.headers["Connection"] = "close"
        return response

    try:
        async with receive_file(request, field="file", max_bytes=DOCUMENT_MB * MEGABYTE, store=blobs) as got:
            inspection = await inspect_isolated(
                got.path, allowed=DOCUMENT_TYPES, max_pages=DOCUMENT_PAGES, limits=check_limits(request)
            )
            kind = inspection.kind.value
            await _in_thread(_keep, request, db, proposition=proposition, got=got, kind=kind, user=user, now=now)
    except UploadTooLarge as error:
        return await shown(error, 413)
    except (UploadMissing, UploadMalformed, DocumentRefused) as error:
        return await shown(error, 422)
    except ValidationFailed as failed:
        return await shown(DomainError(failed.errors[0].message), 422)
    except StorageFull as error:
        return await shown(error, 507)
    return see_other(request, "proposition_detail", proposition_id=proposition_id)


@router.get("/propositions/{proposition_id}/document", name="proposition_document")
def proposition_document(request: Request, proposition_id: int, db: DbSession, user: CurrentUser) -> Response:
    """The document, for the company and for the coordinators who triage the proposition."""
    proposition = service.get_visible_proposition(db, proposition_id=proposition_id, user=user)
    if proposition.document_sha256 is None or proposition.document_kind is None:
        raise NotFound()
    return attachment(
        request.app.state.blobs,
        sha256=proposition.document_sha256,
        name=proposition.document_name or "document",
        media_type=MEDIA_TYPES.get(proposition.document_kind, "application/octet-stream"),
    )
