"""Checking a receipt code on the proposal page: the version it belongs to, its content and documents recomputed.

A version whose documents were removed under the retention rule since (``portal retention purge``) is said to be
as received in its content, with the removed documents named, never "every document exactly as received".
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.proposals.models import Proposal, ProposalVersion
from app.proposals.submissions.receipts import receipt_hash
from app.storage import BlobStore


@dataclass(frozen=True)
class ReceiptCheck:
    """The outcome of checking a receipt code against what the portal holds."""

    version: ProposalVersion | None
    content_intact: bool = False
    documents_intact: bool = False  # every document still held matches its hash
    removed: tuple[str, ...] = ()  # the names of the documents removed under the retention rule since

    @property
    def as_received(self) -> bool:
        """The content and every document still held exactly as received."""
        return self.version is not None and self.content_intact and self.documents_intact

    @property
    def valid(self) -> bool:
        """The content and every document exactly as received (none removed since)."""
        return self.as_received and not self.removed

    @property
    def valid_but_removed(self) -> bool:
        """As received, but some documents removed under the retention rule since."""
        return self.as_received and bool(self.removed)


def check_receipt(session: Session, *, proposal: Proposal, code: str, store: BlobStore) -> ReceiptCheck:
    """Find the version the code belongs to and recompute: the content hash and every document's bytes."""
    code = code.strip().lower()
    version = session.scalar(
        select(ProposalVersion).where(ProposalVersion.proposal_id == proposal.id, ProposalVersion.receipt_hash == code)
    )
    if version is None:
        return ReceiptCheck(None)
    recomputed = receipt_hash(version.content, number=version.number, received_at=version.received_at)
    documents_intact = all(store.verify(doc.sha256) for doc in version.documents)
    held = {doc.question_key for doc in version.documents}
    listed = version.content.get("documents") or {}
    removed = tuple(sorted(str(doc.get("name") or key) for key, doc in listed.items() if key not in held))
    return ReceiptCheck(
        version,
        content_intact=recomputed == version.receipt_hash,
        documents_intact=documents_intact,
        removed=removed,
    )
