"""A proposal's documents: a stored blob put into a slot of the working copy, or taken out of it.

The blob's bytes are stored (and synced) when they are uploaded, before the row that points to them is
committed; blobs no longer referenced by any draft or version are returned to the caller to delete after commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.challenges.models import Challenge, ChallengeStage
from app.database import insert_unless_present
from app.errors import NotFound
from app.proposals.drafts import answers as answer_rules
from app.proposals.models import Blob, Proposal, ProposalDocument, ProposalVersionDocument
from app.proposals.propositions.models import Proposition
from app.proposals.service import (
    audit_event,
    context_of,
    questions_of,
    require_open,
)


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    size_bytes: int
    original_name: str
    kind: str
    media_type: str
    pages: int | None


def document_question(challenge: Challenge, stage: ChallengeStage, key: str) -> Any:
    for question in answer_rules.document_questions(questions_of(challenge, stage)):
        if question.key == key:
            return question
    raise NotFound()


def attach_document(
    session: Session, *, proposal: Proposal, question_key: str, document: StoredDocument, actor: Actor, now: datetime
) -> list[str]:
    """Put a stored blob into the working copy's slot. Returns blobs no longer referenced (to delete after commit).

    The blob's bytes are already in the store, synced, before this row is committed.
    """
    challenge, stage, _ = context_of(session, proposal)
    require_open(challenge, stage, now)
    document_question(challenge, stage, question_key)
    # The same bytes may already be stored (another slot, another proposal): one row per hash.
    insert_unless_present(
        session,
        Blob,
        key="sha256",
        values={
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "media_type": document.media_type,
            "created_at": now,
        },
    )
    previous = _slot(proposal, question_key)
    old_sha = previous.sha256 if previous else None
    if previous is not None:
        session.delete(previous)
        session.flush()
    session.add(
        ProposalDocument(
            proposal_id=proposal.id,
            question_key=question_key,
            sha256=document.sha256,
            original_name=document.original_name,
            size_bytes=document.size_bytes,
            kind=document.kind,
            pages=document.pages,
            uploaded_at=now,
            uploaded_by_id=actor.user_id,
        )
    )
    proposal.updated_at = now
    session.flush()
    session.expire(proposal, ["documents"])
    orphans = _orphans(session, [old_sha] if old_sha and old_sha != document.sha256 else [])
    # Last: appending to the audit chain serialises writers until the commit that follows.
    audit_event(
        session,
        proposal,
        actor=actor,
        action="proposal.document_upload",
        now=now,
        question=question_key,
        sha256=document.sha256,
        size=document.size_bytes,
    )
    return orphans


def remove_document(
    session: Session, *, proposal: Proposal, question_key: str, actor: Actor, now: datetime
) -> list[str]:
    challenge, stage, _ = context_of(session, proposal)
    require_open(challenge, stage, now)
    previous = _slot(proposal, question_key)
    if previous is None:
        raise NotFound()
    sha = previous.sha256
    session.delete(previous)
    proposal.updated_at = now
    audit_event(session, proposal, actor=actor, action="proposal.document_remove", now=now, question=question_key)
    session.flush()
    session.expire(proposal, ["documents"])
    return _orphans(session, [sha])


def _slot(proposal: Proposal, question_key: str) -> ProposalDocument | None:
    return next((d for d in proposal.documents if d.question_key == question_key), None)


def _orphans(session: Session, candidates: list[str]) -> list[str]:
    """Blobs among ``candidates`` that no draft, no submitted version and no proposition refers to: their rows go now."""
    orphans: list[str] = []
    for sha in candidates:
        in_draft = session.scalar(select(func.count()).where(ProposalDocument.sha256 == sha))
        in_version = session.scalar(select(func.count()).where(ProposalVersionDocument.sha256 == sha))
        in_proposition = session.scalar(select(func.count()).where(Proposition.document_sha256 == sha))
        if not in_draft and not in_version and not in_proposition:
            blob = session.get(Blob, sha)
            if blob is not None:
                session.delete(blob)
            orphans.append(sha)
    session.flush()
    return orphans
