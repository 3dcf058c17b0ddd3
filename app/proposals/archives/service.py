"""A submitted version as one ZIP (its company), a stage's submissions as one ZIP (its coordinators).

Each archive is written to a temporary file entry by entry, documents copied from the blob store in chunks,
so memory stays bounded; the caller streams the file and closes it (which deletes it).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import BinaryIO

from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeStage
from app.errors import NotFound
from app.i18n import translate
from app.proposals import permissions
from app.proposals import service as proposal_service
from app.proposals.archives.answers import answers_document
from app.proposals.archives.zipping import ArchiveWriter, spooled_archive
from app.proposals.documents.checks import download_name
from app.proposals.models import Proposal, ProposalVersion
from app.storage import BlobStore


def receipt_of(reference: str, version: ProposalVersion) -> dict[str, object]:
    """What a receipt holds, with the canonical content it was computed over, so anyone can check it again."""
    return {
        "proposal": reference,
        "version": version.number,
        "kind": version.kind,
        "received_at": version.received_at.isoformat(),
        "receipt_hash": version.receipt_hash,
        "content": version.content,
    }


def _documents(
    writer: ArchiveWriter, version: ProposalVersion, store: BlobStore, folder: tuple[str, ...]
) -> dict[str, str | None]:
    """Each document of the version into ``documents/``, under a safe name of its own; None where it is gone."""
    stored = {document.question_key: document for document in version.documents}
    entries: dict[str, str | None] = {}
    for key, listed in sorted(version.content.get("documents", {}).items()):
        row = stored.get(key)
        if row is None or not store.exists(row.sha256):
            entries[key] = None
            continue
        name = download_name(f"{key}-{listed.get('name') or key}", row.kind)
        with store.open(row.sha256) as source:
            entries[key] = writer.add_stream(*folder, "documents", name, source=source)
    return entries


def write_version(
    writer: ArchiveWriter,
    session: Session,
    *,
    proposal: Proposal,
    version: ProposalVersion,
    store: BlobStore,
    language: str,
    folder: tuple[str, ...] = (),
) -> None:
    """The version's documents, its answers as a readable document and its receipt, under ``folder``."""
    challenge, stage, _organisation = proposal_service.context_of(session, proposal)
    definition, spec = proposal_service.stage_spec(challenge, stage)
    entries = _documents(writer, version, store, folder)
    text = answers_document(
        reference=proposal.reference,
        version=version,
        definition=definition,
        spec=spec,
        entries=entries,
        language=language,
    )
    writer.add_text(*folder, translate(language, "answers") + ".txt", text=text)
    receipt = json.dumps(receipt_of(proposal.reference, version), ensure_ascii=False, indent=2, sort_keys=True)
    writer.add_text(*folder, "receipt.json", text=receipt)


def version_archive(
    session: Session, *, proposal: Proposal, version: ProposalVersion, store: BlobStore, language: str
) -> BinaryIO:
    """One submitted version as a ZIP in a temporary file, rewound; the caller closes it."""
    with spooled_archive() as (writer, handle):
        write_version(writer, session, proposal=proposal, version=version, store=store, language=language)
    return handle


def submissions_archive(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    store: BlobStore,
    language: str,
    actor: Actor,
    now: datetime,
) -> BinaryIO:
    """Every submitted proposal of the stage (its standing version) in a folder of its own, after the deadline
    only (``NotFound`` before: sealed). Audited as ``challenge.submissions_export``; the caller commits."""
    if permissions.is_sealed(stage, now) or stage.challenge_id != challenge.id:
        raise NotFound()
    rows = proposal_service.staff_rows(session, stage=stage)
    with spooled_archive() as (writer, handle):
        for row in rows:
            folder = (f"{row.proposal.reference} {row.organisation.legal_name}",)
            write_version(
                writer,
                session,
                proposal=row.proposal,
                version=row.version,
                store=store,
                language=language,
                folder=folder,
            )
    record_event(
        session,
        actor=actor,
        action="challenge.submissions_export",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"stage": stage.key, "proposals": [row.proposal.reference for row in rows]},
    )
    return handle
