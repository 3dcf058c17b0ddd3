"""Receipt verification: anyone holding a receipt code (the SHA-256 on a proposal's receipt) learns whether the
portal received a version with that code, when, and for which challenge, and nothing else.

Not the company, the proposal number, the stage, the content, nor whether the version was later amended or the
proposal withdrawn: a receipt proves that something was received at a moment, and the page proves no more. A
withdrawn proposal's versions are still found (they were received; withdrawing does not undo that), and the page
says nothing of the withdrawal, which is the company's business. Each well-formed look-up counts against the
source's allowance, so nobody can use the page to probe codes in bulk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.source_throttle import SourceLimit, admit_source
from app.challenges import service as challenge_service
from app.challenges.models import Challenge
from app.errors import DomainError
from app.i18n import N_
from app.proposals.models import Proposal, ProposalVersion

RECEIPT_CHECKS = SourceLimit(kind="receipt_check", per_source=30, window=timedelta(hours=1))
CODE_LENGTH = 64
_HEX = re.compile(r"^[0-9a-f]{64}$")


class ReceiptCodeInvalid(DomainError):
    message = N_("A receipt code has 64 characters: the digits 0 to 9 and the letters a to f.")


@dataclass(frozen=True)
class ReceiptCheck:
    """The answer for one code: ``received_at`` and ``challenge`` are None when no version has it."""

    code: str
    received_at: datetime | None = None
    challenge: Challenge | None = None

    @property
    def found(self) -> bool:
        return self.received_at is not None


def normalise_code(text: str) -> str:
    """The code as stored (lower-case hexadecimal), forgiving spaces and line breaks from a copy; raises
    ReceiptCodeInvalid for anything else."""
    code = "".join(text.split()).lower()
    if not _HEX.match(code):
        raise ReceiptCodeInvalid()
    return code


def check_receipt(session: Session, *, code: str, ip: str | None, now: datetime) -> ReceiptCheck:
    """Look a receipt code up for the public. A malformed code raises ReceiptCodeInvalid before anything is
    counted; a source past its allowance gets TooManyRequests. Side effect: the look-up is counted (the caller
    commits)."""
    normalised = normalise_code(code)
    admit_source(session, limit=RECEIPT_CHECKS, ip=ip, now=now)
    row = session.execute(
        select(ProposalVersion.received_at, Proposal.challenge_id)
        .join(Proposal, Proposal.id == ProposalVersion.proposal_id)
        .where(ProposalVersion.receipt_hash == normalised)
        .order_by(ProposalVersion.received_at)
        .limit(1)
    ).first()
    if row is None:
        return ReceiptCheck(code=normalised)
    challenge = session.get(Challenge, row.challenge_id)
    shown = challenge if challenge is not None and challenge_service.is_public(challenge) else None
    return ReceiptCheck(code=normalised, received_at=row.received_at, challenge=shown)
