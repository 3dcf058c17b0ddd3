"""Proposal statuses and the allowed transitions between them."""

from __future__ import annotations

from enum import StrEnum


class ProposalStatus(StrEnum):
    DRAFT = "draft"  # never submitted
    SUBMITTED = "submitted"  # a version stands
    WITHDRAWN = "withdrawn"  # the company withdrew; it may submit again before the deadline


ALLOWED_TRANSITIONS: dict[ProposalStatus, frozenset[ProposalStatus]] = {
    ProposalStatus.DRAFT: frozenset({ProposalStatus.SUBMITTED}),
    # Amending makes a new version and stays submitted.
    ProposalStatus.SUBMITTED: frozenset({ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN}),
    ProposalStatus.WITHDRAWN: frozenset({ProposalStatus.SUBMITTED}),
}


class VersionKind(StrEnum):
    SUBMIT = "submit"
    AMEND = "amend"
    RESUBMIT = "resubmit"
    RECONFIRM = "reconfirm"


class Declaration(StrEnum):
    """What a company declares on every submission; all three must be ticked."""

    UNCLASSIFIED = "unclassified"
    TRUTHFUL = "truthful"
    CONSENT = "consent"


class DocumentKind(StrEnum):
    """A file's real type, decided from its bytes."""

    PDF = "pdf"
    DOCX = "docx"
    XLSX = "xlsx"
    PNG = "png"
    JPEG = "jpeg"
