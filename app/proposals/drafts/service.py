"""The working copy of a proposal: start it, keep its answers and claimed TRL as typed, its consortium.

Services never commit; the view does, once. Every change is an audit event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor
from app.challenges.models import Challenge, ChallengeStage
from app.errors import DomainError, FieldError, NotFound
from app.i18n import N_
from app.links import Links
from app.organisations.models import Membership, Organisation
from app.proposals.drafts import answers as answer_rules
from app.proposals.drafts import consortium
from app.proposals.drafts.schemas import ConsortiumDraft, LeadDraft, PartnerDraft, ProposalDraft
from app.proposals.enums import ProposalStatus
from app.proposals.models import Proposal
from app.proposals.partners import service as partner_service
from app.proposals.service import (
    StageClosed,
    StageNotOpen,
    audit_event,
    context_of,
    find_proposal,
    questions_of,
    require_open,
    stage_spec,
    working_copy,
)


def start_proposal(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    organisation: Organisation,
    user: User,
    actor: Actor,
    now: datetime,
) -> Proposal:
    """A new draft for the organisation in an open stage, or the one it already has there."""
    existing = find_proposal(session, stage_id=stage.id, organisation_id=organisation.id)
    if existing is not None:
        return existing
    require_open(challenge, stage, now)
    if stage.invitation_only:
        raise StageNotOpen()
    if session.get(Membership, (organisation.id, user.id)) is None:
        raise NotFound()
    proposal = Proposal(
        challenge_id=challenge.id,
        stage_id=stage.id,
        organisation_id=organisation.id,
        status=ProposalStatus.DRAFT.value,
        draft=ProposalDraft().model_dump(),
        challenge_version=challenge.current_version,
        created_at=now,
        updated_at=now,
        created_by_id=user.id,
    )
    session.add(proposal)
    session.flush()
    audit_event(session, proposal, actor=actor, action="proposal.start", now=now)
    return proposal


@dataclass(frozen=True)
class SaveOutcome:
    """What a save found to fix before submitting; ``late`` when the deadline had passed (kept as draft)."""

    problems: list[FieldError]
    late: bool = False


class AnswersChanged(DomainError):
    """Another member saved the answers after this form was opened: nothing is saved; ``stored`` is their version."""

    message = N_(
        "Another member of your organisation saved these answers after you opened this page. Nothing of yours "
        "was saved yet: compare both versions below, then save again to keep yours."
    )

    def __init__(self, stored: ProposalDraft) -> None:
        super().__init__()
        self.stored = stored


def save_answers(
    session: Session, *, proposal: Proposal, values: dict[str, Any], actor: Actor, now: datetime
) -> SaveOutcome:
    """Keep the answers and claimed TRL exactly as typed. After the deadline they are kept as the draft
    (nothing typed is lost) but the outcome says ``late`` and nothing can be submitted any more.

    The form's ``answers_seen`` is the fingerprint of the answers it was filled from; when the stored answers
    differ from it (another member saved since), nothing is written and ``AnswersChanged`` is raised. The row is
    locked first, so of two saves from the same version exactly one wins. A form without the field is not checked.
    """
    session.refresh(proposal, with_for_update=True)
    challenge, stage, _ = context_of(session, proposal)
    questions = questions_of(challenge, stage)
    draft = working_copy(proposal)
    seen = values.get(answer_rules.SEEN_FIELD)
    if isinstance(seen, str) and seen != answer_rules.fingerprint(draft.answers, draft.trl):
        raise AnswersChanged(draft)
    draft.answers = {**draft.answers, **answer_rules.raw_answers(questions, values)}
    draft.trl = str(values.get(answer_rules.TRL_FIELD, "")).strip()
    late = now >= stage.deadline_at
    if not late:
        require_open(challenge, stage, now)
    proposal.draft = draft.model_dump()
    proposal.challenge_version = challenge.current_version
    proposal.updated_at = now
    audit_event(session, proposal, actor=actor, action="proposal.late_save" if late else "proposal.save", now=now)
    session.flush()
    problems = answer_rules.check_answers(questions, draft.answers, complete=False)
    problems += answer_rules.check_trl(draft.trl, complete=False)
    return SaveOutcome(problems, late=late)


def add_partner(
    session: Session, *, proposal: Proposal, values: dict[str, Any], actor: Actor, now: datetime, links: Links
) -> PartnerDraft:
    """Add a partner organisation (registered, or named by KvK number / country and registry id).

    A registered partner is asked: its members get one e-mail (``partners.service.name_partner``)."""
    challenge, stage, organisation = context_of(session, proposal)
    require_open(challenge, stage, now)
    draft = working_copy(proposal)
    definition, _ = stage_spec(challenge, stage)
    partner = consortium.parse_partner(
        session, values=values, lead=organisation, partners=draft.partners, definition=definition
    )
    partner_service.check_naming(session, proposal=proposal, organisation_id=partner.organisation_id)
    draft.partners = [*draft.partners, partner]
    proposal.draft = draft.model_dump()
    proposal.updated_at = now
    audit_event(session, proposal, actor=actor, action="proposal.partner_add", now=now, partner=partner.legal_name)
    partner_service.name_partner(session, proposal=proposal, partner=partner, actor=actor, now=now, links=links)
    session.flush()
    return partner


def remove_partner(session: Session, *, proposal: Proposal, index: int, key: str, actor: Actor, now: datetime) -> bool:
    """Remove the partner the page showed at ``index`` with ``key`` (``PartnerDraft.key``), wherever another
    member's change has moved it since. Returns False, changing nothing, when it is no longer in the list. Without
    a key (a form from before keys) the partner at ``index`` goes."""
    challenge, stage, _ = context_of(session, proposal)
    require_open(challenge, stage, now)
    draft = working_copy(proposal)
    if not key:
        if not 0 <= index < len(draft.partners):
            raise NotFound()
        key = draft.partners[index].key
    if not 0 <= index < len(draft.partners) or draft.partners[index].key != key:
        index = next((place for place, partner in enumerate(draft.partners) if partner.key == key), -1)
        if index < 0:
            return False
    removed = draft.partners.pop(index)
    proposal.draft = draft.model_dump()
    proposal.updated_at = now
    audit_event(session, proposal, actor=actor, action="proposal.partner_remove", now=now, partner=removed.legal_name)
    partner_service.forget_partner(session, proposal=proposal, partner=removed, actor=actor, now=now)
    session.flush()
    return True


_PARTNER_FIELD = re.compile(r"partner_([0-9]{1,4})_(?:role|share|key)")


def _typed_partners(values: dict[str, Any], draft: ConsortiumDraft) -> dict[str, tuple[Any, Any]]:
    """The role and share typed per partner, by the partner's key the form carried (``partner_{i}_key``): a
    partner another member removed meanwhile is ignored, one added meanwhile keeps what it has. A row without
    a key stands for the partner at its place in the list."""
    typed: dict[str, tuple[Any, Any]] = {}
    rows = {int(match.group(1)) for name in values if (match := _PARTNER_FIELD.fullmatch(name))}
    for index in sorted(rows):
        role, share = values.get(f"partner_{index}_role"), values.get(f"partner_{index}_share")
        if role is None and share is None:
            continue
        key = values.get(f"partner_{index}_key")
        if key is None:
            if index >= len(draft.partners):
                continue
            key = draft.partners[index].key
        stored = next((p for p in draft.partners if p.key == str(key)), None)
        if stored is not None:
            typed[stored.key] = (stored.role if role is None else role, stored.share if share is None else share)
    return typed


def save_shares(
    session: Session, *, proposal: Proposal, values: dict[str, Any], actor: Actor, now: datetime
) -> list[FieldError]:
    """Keep the lead's role and every party's role and share as typed; returns what is still wrong.

    After the deadline what was typed is still kept in the draft, then ``StageClosed`` is raised (the
    caller commits the draft and shows the deadline)."""
    challenge, stage, _ = context_of(session, proposal)
    late = now >= stage.deadline_at
    if not late:
        require_open(challenge, stage, now)
    draft = working_copy(proposal)
    draft.lead = LeadDraft(
        role=str(values.get("lead_role", "")).strip()[:200],
        share=str(values.get("lead_share", "")).strip(),
    )
    typed = _typed_partners(values, draft)
    for partner in draft.partners:
        role, share = typed.get(partner.key, (partner.role, partner.share))
        partner.role = str(role).strip()[:200]
        partner.share = str(share).strip()
    proposal.draft = draft.model_dump()
    proposal.updated_at = now
    audit_event(
        session, proposal, actor=actor, action="proposal.late_save" if late else "proposal.consortium_save", now=now
    )
    session.flush()
    if late:
        raise StageClosed(stage.deadline_at)
    return consortium.check_shares(draft, complete=False)
