"""Document pages of a proposal: one upload form per document slot, streamed with the slot's size limit.

The file is checked by its bytes, stored under its SHA-256 and synced before the row that points to it is
committed; downloads go through the same permission check and always as attachments.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Request
from starlette.responses import Response, StreamingResponse

from app.accounts.dependencies import CurrentUser
from app.errors import DeadlinePassed, DomainError, NotFound
from app.proposals import service as proposal_service
from app.proposals.documents import service
from app.proposals.documents.checks import MEDIA_TYPES as CHECKED_MEDIA_TYPES
from app.proposals.documents.checks import DocumentRefused, Inspection, download_name
from app.proposals.documents.isolation import CheckLimits, inspect_isolated
from app.proposals.documents.uploads import (
    FRAMING_ALLOWANCE,
    MAX_FIELDS_BYTES,
    ReceivedFile,
    UploadMalformed,
    UploadMissing,
    UploadTooLarge,
    discard_rest,
    receive_file,
)
from app.proposals.drafts import answers as answer_rules
from app.proposals.models import Proposal
from app.security import BodyLimit, body_limit
from app.storage import CHUNK, BlobStore, StorageFull
from app.web import DbSession, Now, actor_of, domain_message, render, see_other

log = logging.getLogger("portal")
router = APIRouter()
MEGABYTE = 1024 * 1024
MEDIA_TYPES = {kind.value: media_type for kind, media_type in CHECKED_MEDIA_TYPES.items()}
_KINDS = {media_type: kind for kind, media_type in MEDIA_TYPES.items()}
# The largest slot a definition may declare (its schema's bound), with the form's other fields and framing:
# the request's ceiling before the route runs. The slot's own limit is enforced while streaming.
LARGEST_SLOT_MB = 200
UPLOAD_LIMIT = BodyLimit(LARGEST_SLOT_MB * MEGABYTE + MAX_FIELDS_BYTES + FRAMING_ALLOWANCE, multipart=True)


def _documents_page(
    request: Request,
    db: DbSession,
    proposal: Proposal,
    now: Any,
    *,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    context = proposal_service.page_context(db, proposal, now)
    context["slots"] = answer_rules.document_questions(list(context["spec"].questions))
    context["documents"] = {d.question_key: d for d in proposal.documents}
    context["errors"] = errors or {}
    context["uploaded"] = request.query_params.get("uploaded", "")
    response = render(request, "proposals/documents.html", context, status_code=status_code)
    response.headers.update(headers or {})
    return response


@router.get("/proposals/{proposal_id}/documents", name="proposal_documents")
def proposal_documents(request: Request, proposal_id: int, db: DbSession, now: Now, user: CurrentUser) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    return _documents_page(request, db, proposal, now)


def _message(request: Request, error: DomainError) -> str:
    return domain_message(request, error)


def _in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Awaitable[Any]:
    return anyio.to_thread.run_sync(partial(function, *args, **kwargs))


def _limits(request: Request) -> CheckLimits:
    settings = request.app.state.settings
    return CheckLimits(cpu_seconds=settings.document_check_cpu_seconds, memory_mb=settings.document_check_memory_mb)


def _prepare_upload(
    request: Request, *, proposal_id: int, question_key: str, user: CurrentUser, loaded: list[Any]
) -> tuple[Any, datetime]:
    """The slot's question and the stage's deadline; the proposal, challenge, stage and organisation go into
    ``loaded``, for the request's session once the body is in."""
    # Read outside the request's transaction (no connection is held while the body streams in); the
    # objects loaded stay usable (closing detaches them without expiring them) and join the request's
    # session afterwards.
    with request.app.state.db.lookup_session() as lookup:
        proposal, challenge, stage, organisation = proposal_service.member_proposal_in_context(
            lookup, proposal_id=proposal_id, user=user
        )
        question = service.document_question(challenge, stage, question_key)  # may load the definition
    loaded.extend([proposal, challenge, stage, organisation])
    return question, stage.deadline_at


def _keep_upload(
    request: Request,
    db: DbSession,
    *,
    got: ReceivedFile,
    inspection: Inspection,
    question_key: str,
    loaded: list[Any],
    user: CurrentUser,
    now: datetime,
) -> list[str]:
    """Store the checked file and put it in the slot (one worker-thread hop)."""
    blobs: BlobStore = request.app.state.blobs
    # Written and synced before the row that points to it is committed.
    blobs.put(got.path, sha256=got.sha256)
    stored = service.StoredDocument(
        sha256=got.sha256,
        size_bytes=got.size,
        original_name=got.filename,
        kind=inspection.kind.value,
        media_type=inspection.media_type,
        pages=inspection.pages,
    )
    for instance in loaded:
        db.add(instance)
    proposal = loaded[0]
    orphans = service.attach_document(
        db, proposal=proposal, question_key=question_key, document=stored, actor=actor_of(request, user), now=now
    )
    db.commit()
    return orphans


async def _after_storage_full(
    request: Request, db: DbSession, error: StorageFull, *, proposal_id: int, max_bytes: int
) -> dict[str, str] | None:
    """The disk of the blob store is full: nothing was kept. The rest of the body is read (within the slot's
    limit) so that the browser, still sending, gets to show the message; the headers of the answer."""
    log.error("document storage full: upload to proposal %s refused (%s)", proposal_id, error.__cause__)
    await _in_thread(db.rollback)
    drained = await discard_rest(request, max_bytes=max_bytes)
    return None if drained else {"Connection": "close"}


@router.post("/proposals/{proposal_id}/documents/{question_key}", name="proposal_document_upload")
@body_limit(UPLOAD_LIMIT)
async def proposal_document_upload(
    request: Request, proposal_id: int, question_key: str, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    """Stream one document into the slot. The only view that reads its own body, so it is async; all its
    database work runs in worker threads, and no transaction (lock, pooled connection) is held while the
    body streams in: a slow upload must not hold up anyone else's."""
    field = f"document_{question_key}"
    blobs: BlobStore = request.app.state.blobs

    def page(errors: dict[str, str], status_code: int, headers: dict[str, str] | None = None) -> Response:
        proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
        return _documents_page(request, db, proposal, now, errors=errors, status_code=status_code, headers=headers)

    async def shown(errors: dict[str, str], status_code: int, headers: dict[str, str] | None = None) -> Response:
        return await anyio.to_thread.run_sync(partial(page, errors, status_code, headers))

    loaded: list[Any] = []
    question, deadline = await _in_thread(
        _prepare_upload, request, proposal_id=proposal_id, question_key=question_key, user=user, loaded=loaded
    )
    if now >= deadline:
        error = _message(request, proposal_service.StageClosed(deadline))
        # The body was not read: close the connection rather than drain it.
        return await shown({field: error}, 422, {"Connection": "close"})
    max_bytes = question.max_size_mb * MEGABYTE
    try:
        async with receive_file(request, field="file", max_bytes=max_bytes, store=blobs) as got:
            # In a limited process of its own, awaited on the event loop: a costly file holds no thread.
            inspection = await inspect_isolated(
                got.path, allowed=question.allowed_types, max_pages=question.max_pages, limits=_limits(request)
            )
            orphans = await _in_thread(
                _keep_upload,
                request,
                db,
                got=got,
                inspection=inspection,
                question_key=question_key,
                loaded=loaded,
                user=user,
                now=now,
            )
    except UploadTooLarge as error:
        # The rest of the body was not read: close the connection rather than drain it.
        return await shown({field: _message(request, error)}, 413, {"Connection": "close"})
    except (UploadMissing, UploadMalformed, DocumentRefused, DeadlinePassed) as error:
        await _in_thread(db.rollback)
        return await shown({field: _message(request, error)}, 422)
    except StorageFull as error:
        headers = await _after_storage_full(request, db, error, proposal_id=proposal_id, max_bytes=max_bytes)
        return await shown({field: _message(request, error)}, 507, headers)
    for sha in orphans:
        blobs.delete(sha)
    return see_other(request, "proposal_documents", query=f"uploaded={question_key}", proposal_id=proposal_id)


@router.post("/proposals/{proposal_id}/documents/{question_key}/remove", name="proposal_document_remove")
def proposal_document_remove(
    request: Request, proposal_id: int, question_key: str, db: DbSession, now: Now, user: CurrentUser
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    try:
        orphans = service.remove_document(
            db, proposal=proposal, question_key=question_key, actor=actor_of(request, user), now=now
        )
    except DeadlinePassed as error:
        db.rollback()
        errors = {f"document_{question_key}": _message(request, error)}
        return _documents_page(request, db, proposal, now, errors=errors, status_code=422)
    db.commit()
    for sha in orphans:
        request.app.state.blobs.delete(sha)
    return see_other(request, "proposal_documents", proposal_id=proposal.id)


def attachment(blobs: BlobStore, *, sha256: str, name: str, media_type: str) -> Response:
    """A stored document as a download (never shown inline), streamed from the blob store, its name's
    extension that of the type its bytes showed."""
    name = download_name(name, _KINDS.get(media_type, ""))

    def chunks() -> Iterator[bytes]:
        with blobs.open(sha256) as handle:
            while chunk := handle.read(CHUNK):
                yield chunk

    ascii_name = name.encode("ascii", "replace").decode().replace('"', "'").replace("?", "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    headers = {
        "Content-Disposition": disposition,
        "Content-Length": str(blobs.size(sha256)),
        "Cache-Control": "private, no-store",
    }
    return StreamingResponse(chunks(), media_type=media_type, headers=headers)


@router.get("/proposals/{proposal_id}/documents/{question_key}", name="proposal_document")
def proposal_document(
    request: Request, proposal_id: int, question_key: str, db: DbSession, user: CurrentUser
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    document = next((d for d in proposal.documents if d.question_key == question_key), None)
    if document is None:
        raise NotFound()
    return attachment(
        request.app.state.blobs,
        sha256=document.sha256,
        name=document.original_name,
        media_type=MEDIA_TYPES.get(document.kind, "application/octet-stream"),
    )


@router.get("/proposals/{proposal_id}/versions/{number}/documents/{question_key}", name="proposal_version_document")
def proposal_version_document(
    request: Request, proposal_id: int, number: int, question_key: str, db: DbSession, user: CurrentUser
) -> Response:
    proposal = proposal_service.get_member_proposal(db, proposal_id=proposal_id, user=user)
    version = proposal_service.get_version(db, proposal=proposal, number=number)
    document = next((d for d in version.documents if d.question_key == question_key), None)
    if document is None:
        raise NotFound()
    return attachment(
        request.app.state.blobs,
        sha256=document.sha256,
        name=document.original_name,
        media_type=MEDIA_TYPES.get(document.kind, "application/octet-stream"),
    )
