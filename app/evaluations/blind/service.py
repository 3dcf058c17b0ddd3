"""Blind scoring: what an evaluator of a blind challenge may see of a consortium, the names hidden in the
texts they read, and the copies of documents without metadata that they download.

The copies are made after the deadline, the first time an evaluator needs one (evaluators reach documents
only after it), never before: one row per original, made again if its blob went missing; the same original
always gives the same bytes, so two first downloads at once store one blob and one row.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.database import dialect_insert
from app.errors import DomainError, NotFound
from app.evaluations import service as evaluation_service
from app.evaluations.assignments.rules import OrganisationIdentity
from app.evaluations.blind import rules
from app.evaluations.blind.models import BlindDocument
from app.evaluations.service import Standing
from app.i18n import N_, translate
from app.organisations.models import Membership, Organisation
from app.storage import BlobStore, file_sha256


class DocumentNotBlinded(DomainError):
    """The document could not be copied without its metadata; the original is not handed out instead."""

    def __init__(self) -> None:
        super().__init__(
            N_(
                "This document could not be copied without its metadata, which blind scoring requires. "
                "Ask the challenge's coordinator for a copy."
            )
        )


def redactor_for(session: Session, *, item: Standing) -> rules.Redactor:
    """What hides the consortium in a proposal's texts: every organisation's names (legal name, the name without
    legal form, its parent's) and numbers (KvK, registry), and the names of the people known to work there."""
    identities = rules.identities_of(item.content)
    ids = {item.proposal.organisation_id, item.content.get("organisation", {}).get("id")}
    ids |= {partner.get("organisation_id") for partner in item.content.get("partners") or []}
    ids.discard(None)
    for organisation in session.scalars(select(Organisation).where(Organisation.id.in_(ids))):
        names = (organisation.legal_name, organisation.parent_name or "")
        numbers = (organisation.kvk_number or "", organisation.registry_id or "")
        identities.append(rules.Identity(names=names, numbers=numbers))
    people = set(
        session.scalars(
            select(User.name).join(Membership, Membership.user_id == User.id).where(Membership.organisation_id.in_(ids))
        )
    )
    people |= set(
        session.scalars(
            select(User.name).where(
                User.id.in_([i for i in (item.proposal.created_by_id, item.version.submitted_by_id) if i])
            )
        )
    )
    identities.append(rules.Identity(people=tuple(sorted(p for p in people if p))))
    return rules.Redactor.for_identities(identities)


Hide = Callable[[str | None], str]


def _as_written(text: str | None) -> str:
    return text or ""


def hider(session: Session, *, item: Standing, blind: bool) -> Hide:
    """What shows a proposal's free texts to its evaluator: as written, or with the consortium's names hidden."""
    if not blind:
        return _as_written
    redactor = redactor_for(session, item=item)
    return lambda text: redactor.redact(text or "")


def shown_parties(item: Standing, *, blind: bool, language: str) -> tuple[OrganisationIdentity, ...]:
    """The consortium as an evaluator sees it: named, or when blind only as the lead and numbered partners with
    their countries."""
    parties = evaluation_service.parties_of(item).organisations
    if not blind:
        return parties
    return tuple(
        OrganisationIdentity(
            country=party.country,
            name=translate(language, "Partner %(number)s", number=index)
            if index
            else translate(language, "Lead organisation"),
        )
        for index, party in enumerate(parties)
    )


@dataclass(frozen=True)
class Download:
    sha256: str
    name: str
    media_type: str


def download_name(item: Standing, question_key: str, kind: str) -> str:
    """The file name an evaluator's download gets: the proposal number and the question, never a company's name."""
    extension = re.sub(r"[^a-z0-9]", "", kind)[:8] or "bin"
    return f"{item.proposal.reference}-{re.sub(r'[^A-Za-z0-9_-]', '', question_key)}.{extension}"


def blind_copy(
    session: Session, *, blobs: BlobStore, sha256: str, kind: str, actor: Actor, now: datetime
) -> BlindDocument:
    """The copy without metadata of the stored document ``sha256``, made (and audited) the first time it is needed.

    Idempotent: an existing copy is returned; concurrent first calls write the same blob and one row.
    Raises ``DocumentNotBlinded`` when the document cannot be rewritten.
    """
    row = session.get(BlindDocument, sha256)
    if row is not None and blobs.exists(row.sha256):
        return row
    # Imported here: pypdf costs every web worker 15 MB, and only a blind copy's first request needs it.
    from app.evaluations.blind import metadata

    with blobs.temporary_file() as (source, handle), blobs.temporary_file() as (target, out):
        out.close()
        with blobs.open(sha256) as original:
            shutil.copyfileobj(original, handle)
        handle.close()
        try:
            metadata.strip_metadata(source, target, kind=kind, original_sha256=sha256)
        except metadata.MetadataNotRemoved as error:
            raise DocumentNotBlinded() from error
        copy_sha, size = file_sha256(target), target.stat().st_size
        blobs.put(target, sha256=copy_sha)
    if row is not None:
        return row  # the copy's blob had gone: it is stored again, the same bytes under the same hash
    values = {"original_sha256": sha256, "sha256": copy_sha, "size_bytes": size, "created_at": now}
    if _insert(session, values):
        record_event(
            session,
            actor=actor,
            action="document.blind_copy",
            object_type="blob",
            object_id=sha256,
            at=now,
            data={"copy": copy_sha},
        )
    session.flush()
    return session.scalars(select(BlindDocument).where(BlindDocument.original_sha256 == sha256)).one()


def _insert(session: Session, values: dict[str, object]) -> bool:
    """``INSERT ... ON CONFLICT DO NOTHING``; whether this call inserted the row."""
    insert = dialect_insert(session)
    inserted = session.execute(
        insert(BlindDocument).values(**values).on_conflict_do_nothing().returning(BlindDocument.original_sha256)
    )
    return inserted.scalar() is not None


def evaluator_download(
    session: Session,
    *,
    item: Standing,
    question_key: str,
    blind: bool,
    blobs: BlobStore,
    actor: Actor,
    now: datetime,
) -> Download:
    """What an assigned evaluator downloads for a document question: the original, or when the challenge scores
    blind its copy without metadata. The name never carries the company's."""
    entry = (item.content.get("documents") or {}).get(question_key)
    if not entry or not entry.get("sha256") or not blobs.exists(entry["sha256"]):
        raise NotFound()
    kind = str(entry.get("kind") or "bin")
    name = download_name(item, question_key, kind)
    if not blind:
        return Download(entry["sha256"], name, "application/octet-stream")
    copy = blind_copy(session, blobs=blobs, sha256=entry["sha256"], kind=kind, actor=actor, now=now)
    return Download(copy.sha256, name, "application/octet-stream")
