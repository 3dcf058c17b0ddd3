"""``portal retention purge``: the documents of challenges closed (decided, archived or cancelled) for longer than
the retention period, counted from their last deadline.

The rows that name the documents (working copies, submitted versions, blind copies) and their ``blob`` rows go in
the caller's transaction, with one audit event per challenge (``retention.purge``); the files go afterwards
(``remove_files``), only those no row names any more, so the same bytes kept for another challenge stay. A
submitted version keeps its content and receipt: its pages list a purged document as removed under the retention
rule. A file the removal misses (a backup holds the store) is left for ``portal blobs gc``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, union
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeStage
from app.evaluations.blind.models import BlindDocument
from app.ops.blobs.service import referenced_blobs
from app.ops.retention.rules import expires_at
from app.proposals.models import Blob, Proposal, ProposalDocument, ProposalVersion, ProposalVersionDocument
from app.proposals.propositions.models import Proposition
from app.storage import LocalBlobStore

CLOSED = (ChallengeStatus.DECIDED.value, ChallengeStatus.ARCHIVED.value, ChallengeStatus.CANCELLED.value)


@dataclass(frozen=True)
class PurgedDocument:
    """One row that names a document: where it is (``proposal``, ``what``, ``question_key``) and its hash."""

    proposal: str
    what: str
    question_key: str
    sha256: str
    size_bytes: int


@dataclass
class ChallengePurge:
    slug: str
    challenge_id: int
    expired_at: datetime
    documents: list[PurgedDocument] = field(default_factory=list)


@dataclass
class PurgeResult:
    challenges: list[ChallengePurge] = field(default_factory=list)
    # Files no row names after the purge: removed by ``remove_files`` once the purge is committed.
    unreferenced: list[str] = field(default_factory=list)

    @property
    def documents(self) -> int:
        return sum(len(c.documents) for c in self.challenges)


def expired_challenges(session: Session, *, years: int, now: datetime) -> list[tuple[Challenge, datetime]]:
    """Closed challenges whose last deadline lies more than ``years`` back, with the moment that happened."""
    last = (
        select(ChallengeStage.challenge_id, func.max(ChallengeStage.deadline_at).label("deadline"))
        .group_by(ChallengeStage.challenge_id)
        .subquery()
    )
    rows = session.execute(
        select(Challenge, last.c.deadline)
        .join(last, last.c.challenge_id == Challenge.id)
        .where(Challenge.status.in_(CLOSED))
        .order_by(Challenge.id)
    )
    due = [(challenge, expires_at(deadline, years)) for challenge, deadline in rows]
    return [(challenge, moment) for challenge, moment in due if moment <= now]


def _documents(session: Session, challenge_id: int) -> list[PurgedDocument]:
    versions = session.execute(
        select(Proposal.reference, ProposalVersion.number, ProposalVersionDocument)
        .join(ProposalVersion, ProposalVersion.proposal_id == Proposal.id)
        .join(ProposalVersionDocument, ProposalVersionDocument.version_id == ProposalVersion.id)
        .where(Proposal.challenge_id == challenge_id)
        .order_by(Proposal.id, ProposalVersion.number, ProposalVersionDocument.question_key)
    )
    found = [
        PurgedDocument(reference, f"version {number}", d.question_key, d.sha256, d.size_bytes)
        for reference, number, d in versions
    ]
    copies = session.execute(
        select(Proposal.reference, ProposalDocument)
        .join(ProposalDocument, ProposalDocument.proposal_id == Proposal.id)
        .where(Proposal.challenge_id == challenge_id)
        .order_by(Proposal.id, ProposalDocument.question_key)
    )
    found += [
        PurgedDocument(reference, "working copy", d.question_key, d.sha256, d.size_bytes) for reference, d in copies
    ]
    return found


def plan_purge(session: Session, *, years: int, now: datetime) -> PurgeResult:
    """What a purge would remove now; changes nothing (``--dry-run``)."""
    result = PurgeResult()
    for challenge, moment in expired_challenges(session, years=years, now=now):
        documents = _documents(session, challenge.id)
        if documents:
            result.challenges.append(ChallengePurge(challenge.slug, challenge.id, moment, documents))
    return result


def _remove_rows(session: Session, purge: ChallengePurge) -> None:
    proposals = select(Proposal.id).where(Proposal.challenge_id == purge.challenge_id)
    versions = select(ProposalVersion.id).where(ProposalVersion.proposal_id.in_(proposals))
    session.execute(delete(ProposalVersionDocument).where(ProposalVersionDocument.version_id.in_(versions)))
    session.execute(delete(ProposalDocument).where(ProposalDocument.proposal_id.in_(proposals)))


def purge_documents(session: Session, *, years: int, actor: Actor, now: datetime) -> PurgeResult:
    """Remove the rows of every expired challenge's documents, audited per challenge; the caller commits, then
    calls ``remove_files`` with ``result.unreferenced``."""
    result = plan_purge(session, years=years, now=now)
    shas = {d.sha256 for purge in result.challenges for d in purge.documents}
    for purge in result.challenges:
        _remove_rows(session, purge)
        record_event(
            session,
            actor=actor,
            action="retention.purge",
            object_type="challenge",
            object_id=purge.challenge_id,
            at=now,
            data={
                "retention_years": years,
                "expired_at": purge.expired_at.isoformat(),
                "documents": [
                    {"proposal": d.proposal, "what": d.what, "question": d.question_key, "sha256": d.sha256}
                    for d in purge.documents
                ],
            },
        )
    session.flush()
    originals = shas - _named_by_documents(session, shas)
    blind = set(session.scalars(select(BlindDocument.sha256).where(BlindDocument.original_sha256.in_(originals))))
    session.execute(delete(BlindDocument).where(BlindDocument.original_sha256.in_(originals)))
    gone = sorted((originals | blind) - _named_by_documents(session, originals | blind))
    session.execute(delete(Blob).where(Blob.sha256.in_(gone)))
    result.unreferenced = gone
    return result


def _named_by_documents(session: Session, shas: set[str]) -> set[str]:
    """Which of ``shas`` a document row still names (another challenge's proposal, or a proposition, holding the same
    bytes)."""
    query: Any = union(  # the columns are str and str | None: one union for the type checker too
        select(ProposalDocument.sha256).where(ProposalDocument.sha256.in_(shas)),
        select(ProposalVersionDocument.sha256).where(ProposalVersionDocument.sha256.in_(shas)),
        select(BlindDocument.sha256).where(BlindDocument.sha256.in_(shas)),
        select(BlindDocument.original_sha256).where(BlindDocument.original_sha256.in_(shas)),
        select(Proposition.document_sha256).where(Proposition.document_sha256.in_(shas)),
    )
    return {str(sha) for sha in session.execute(query).scalars()}


def remove_files(session: Session, *, store: LocalBlobStore, shas: list[str]) -> list[str]:
    """After the purge is committed: delete each file that still no row names; returns those removed."""
    named = referenced_blobs(session)
    return [sha for sha in shas if sha not in named and store.delete(sha)]
