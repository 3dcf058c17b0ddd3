"""Proposal statuses and their state machine (allowed transitions, labels, badges)."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class ProposalStatus(StrEnum):
    DRAFT = "draft"  # never submitted
    SUBMITTED = "submitted"  # a version stands
    WITHDRAWN = "withdrawn"  # the company withdrew; it may submit again before the deadline


# The one way a proposal changes status (``PROPOSAL_MACHINE.move``); labels are msgids, translated where shown.
PROPOSAL_MACHINE: StateMachine[ProposalStatus] = StateMachine(
    name="proposal",
    states=ProposalStatus,
    transitions={
        ProposalStatus.DRAFT: frozenset({ProposalStatus.SUBMITTED}),
        # Amending makes a new version and stays submitted.
        ProposalStatus.SUBMITTED: frozenset({ProposalStatus.SUBMITTED, ProposalStatus.WITHDRAWN}),
        ProposalStatus.WITHDRAWN: frozenset({ProposalStatus.SUBMITTED}),
    },
    labels={
        ProposalStatus.DRAFT: N_("Draft"),
        ProposalStatus.SUBMITTED: N_("Submitted"),
        ProposalStatus.WITHDRAWN: N_("Withdrawn"),
    },
    classes={
        ProposalStatus.DRAFT: "badge-upcoming",
        ProposalStatus.SUBMITTED: "badge-open",
        ProposalStatus.WITHDRAWN: "badge-closed",
    },
)


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
    PPTX = "pptx"
    PNG = "png"
    JPEG = "jpeg"


class PartnerStatus(StrEnum):
    """A registered organisation's answer to being named a partner on a proposal."""

    ASKED = "asked"  # named; no answer yet
    ACCEPTED = "accepted"  # it takes part
    DECLINED = "declined"  # it does not: the proposal cannot be submitted until the lead removes it
    REMOVED = "removed"  # the lead took it out of the consortium; naming it again asks again


# The one way a partner's answer changes (``PARTNER_MACHINE.move``). A partner may change its answer while the
# stage is open; the lead removes and re-adds.
PARTNER_MACHINE: StateMachine[PartnerStatus] = StateMachine(
    name="proposal_partner",
    states=PartnerStatus,
    transitions={
        PartnerStatus.ASKED: frozenset({PartnerStatus.ACCEPTED, PartnerStatus.DECLINED, PartnerStatus.REMOVED}),
        PartnerStatus.ACCEPTED: frozenset({PartnerStatus.DECLINED, PartnerStatus.REMOVED}),
        PartnerStatus.DECLINED: frozenset({PartnerStatus.ACCEPTED, PartnerStatus.REMOVED}),
        PartnerStatus.REMOVED: frozenset({PartnerStatus.ASKED}),
    },
    labels={
        PartnerStatus.ASKED: N_("No answer yet"),
        PartnerStatus.ACCEPTED: N_("Takes part"),
        PartnerStatus.DECLINED: N_("Declined"),
        PartnerStatus.REMOVED: N_("Removed by the lead"),
    },
    classes={
        PartnerStatus.ASKED: "badge-upcoming",
        PartnerStatus.ACCEPTED: "badge-open",
        PartnerStatus.DECLINED: "badge-closed",
        PartnerStatus.REMOVED: "badge-closed",
    },
)
