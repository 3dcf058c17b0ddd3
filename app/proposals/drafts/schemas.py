"""The working copy of a proposal, as the company typed it: answers and claimed TRL, the lead's role and share,
the partners.

Stored as JSON in ``Proposal.draft``: read with ``ProposalDraft.model_validate(proposal.draft)``, stored with
``model_dump()``, which gives the same JSON as the plain dicts of earlier releases, key order included (pinned
by ``tests/proposals/test_receipts.py``). Everything stays text as typed, shares too: the rules in
``answers.py`` and ``consortium.py`` say what is wrong with it, and only a submission needs it right. Keys
these models do not know are kept, and numbers stored where text belongs load as text: nothing stored is lost.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Answer = str | list[str]
"""A typed answer: text, or the chosen options of a multiple-choice question."""


class _Draft(BaseModel):
    model_config = ConfigDict(extra="allow", coerce_numbers_to_str=True)


class LeadDraft(_Draft):
    """The lead organisation's role and share of the work (the organisation is the proposal's own)."""

    role: str = ""
    share: str = ""


class PartnerDraft(_Draft):
    """A partner: a registered organisation (``organisation_id``) or one named by KvK number or by country and
    registry id."""

    organisation_id: int | None = None
    legal_name: str = ""
    kvk_number: str | None = None
    country: str = ""
    registry_id: str | None = None
    role: str = ""
    share: str = ""

    @property
    def key(self) -> str:
        """Who the partner is, whatever its place in the list: its KvK number, or its country and registry id. A
        form names the partner it changes by this key, so a list another member changed meanwhile (a partner
        removed or added) never gets one partner's role, share or removal applied to another."""
        return f"kvk:{self.kvk_number}" if self.kvk_number else f"{self.country}:{self.registry_id or ''}"


class AnswersDraft(_Draft):
    """The answers page: answers by question key, and the claimed technology readiness level."""

    answers: dict[str, Answer] = Field(default_factory=dict)
    trl: str = ""


class ConsortiumDraft(_Draft):
    """The consortium page: the lead and the partners."""

    lead: LeadDraft = Field(default_factory=LeadDraft)
    partners: list[PartnerDraft] = Field(default_factory=list)


class ProposalDraft(ConsortiumDraft, AnswersDraft):
    """The whole working copy. The bases' order gives the stored key order: answers, trl, lead, partners."""
