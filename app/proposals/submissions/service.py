"""Submissions: submit, amend, withdraw, re-confirm, receipts, a correction's call to re-confirm, and the invitation to
a later stage; every one tells the organisation's members by e-mail.

A submission is one transaction: the version, its documents, the status change, the audit event and the receipt
e-mails are stored together or not at all; the documents themselves were stored (and synced) when they were
uploaded. Services never commit; the view does, once.
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from app.accounts.models import User
from app.audit.service import Actor
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, InvalidTransition, NotFound, ValidationFailed
from app.formatting import format_local_datetime
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.models import Membership, Organisation
from app.proposals.drafts import answers as answer_rules
from app.proposals.drafts import consortium
from app.proposals.drafts.schemas import LeadDraft, PartnerDraft, ProposalDraft
from app.proposals.enums import PROPOSAL_MACHINE, Declaration, ProposalStatus, VersionKind
from app.proposals.models import Proposal, ProposalVersion, ProposalVersionDocument
from app.proposals.partners import service as partner_service
from app.proposals.service import (
    audit_data,
    audit_event,
    context_of,
    context_query,
    find_proposal,
    latest_version,
    locked_in_transaction,
    partner_organisations,
    require_open,
    stage_spec,
    working_copy,
)
from app.proposals.submissions.receipts import receipt_hash, version_content
from app.proposals.submissions.rules import reconfirmation_problems
from app.storage import BlobStore


def _lock(session: Session, proposal: Proposal) -> tuple[Proposal, Challenge, ChallengeStage, Organisation]:
    """Serialise submissions of one proposal (row lock on PostgreSQL; SQLite's writer lock does the same).

    The proposal is read again under the lock, and its challenge, stage and organisation come in the same
    query: one round trip for what every submission needs first. The caller keeps all four (the session
    holds its objects only weakly). One the caller locked in this transaction already is not read again.
    """
    if locked_in_transaction(session, proposal):
        return proposal, *context_of(session, proposal)
    query = context_query(proposal).join(Proposal, Proposal.id == proposal.id).add_columns(Proposal)
    query = query.with_for_update(of=Proposal).execution_options(populate_existing=True)
    challenge, stage, organisation, locked = session.execute(query).unique().one()
    return locked, challenge, stage, organisation


def submission_problems(session: Session, *, proposal: Proposal) -> list[FieldError]:
    """Everything that keeps the working copy from being submitted, with the field it concerns."""
    challenge, stage, organisation = context_of(session, proposal)
    definition, spec = stage_spec(challenge, stage)
    draft = working_copy(proposal)
    problems = answer_rules.check_answers(list(spec.questions), draft.answers, complete=True)
    problems += answer_rules.check_trl(draft.trl, complete=True)
    problems += consortium.check_consortium(draft, lead=organisation, definition=definition)
    problems += partner_service.declined_problems(session, proposal=proposal)
    slots = {d.question_key for d in proposal.documents}
    for question in answer_rules.document_questions(list(spec.questions)):
        if question.required and question.key not in slots:
            problems.append(FieldError(f"document_{question.key}", N_("Upload this document.")))
    return problems


def sections_complete(problems: list[FieldError]) -> dict[str, bool]:
    """Which parts of the form are ready for submission (the overview's task list)."""
    paths = [p.path for p in problems]
    return {
        "answers": not any(p.startswith("q_") or p == answer_rules.TRL_FIELD for p in paths),
        "consortium": not any(p.startswith(("lead_", "partner")) for p in paths),
        "documents": not any(p.startswith("document_") for p in paths),
    }


def _new_version(
    session: Session,
    *,
    proposal: Proposal,
    content: dict[str, Any],
    kind: VersionKind,
    key: str,
    user: User,
    now: datetime,
) -> ProposalVersion:
    number = proposal.version_count + 1
    version = ProposalVersion(
        proposal_id=proposal.id,
        number=number,
        kind=kind.value,
        challenge_version=content["challenge_version"],
        content=content,
        receipt_hash=receipt_hash(content, number=number, received_at=now),
        received_at=now,
        submitted_by_id=user.id,
        idempotency_key=key,
    )
    session.add(version)
    for question_key, doc in content["documents"].items():
        version.documents.append(
            ProposalVersionDocument(
                question_key=question_key,
                sha256=doc["sha256"],
                original_name=doc["name"],
                size_bytes=doc["size"],
                kind=doc["kind"],
                pages=doc["pages"],
            )
        )
    proposal.version_count = number
    proposal.submitted_at = now
    proposal.withdrawn_at = None
    proposal.reconfirmation_required_at = None
    proposal.updated_at = now
    return version


def _existing_version(session: Session, proposal: Proposal, key: str) -> ProposalVersion | None:
    """The version an earlier request with this key made. Read under the proposal's lock: a proposal
    without versions has none to find, which spares the first submission a query."""
    if not proposal.version_count:
        return None
    return session.scalar(
        select(ProposalVersion).where(
            ProposalVersion.proposal_id == proposal.id, ProposalVersion.idempotency_key == key
        )
    )


def _submit_problems(
    session: Session, *, proposal: Proposal, declarations: set[str], store: BlobStore
) -> list[FieldError]:
    """What blocks this submission: the working copy's problems, a declaration not ticked, a document gone."""
    problems = submission_problems(session, proposal=proposal)
    missing = [d for d in Declaration if d.value not in declarations]
    problems += [FieldError(f"declaration_{d.value}", N_("Tick this declaration to submit.")) for d in missing]
    for document in proposal.documents:
        if not store.exists(document.sha256):
            problems.append(FieldError(f"document_{document.question_key}", N_("Upload this document again.")))
    return problems


_KIND_FROM = {
    ProposalStatus.DRAFT.value: VersionKind.SUBMIT,
    ProposalStatus.SUBMITTED.value: VersionKind.AMEND,
    ProposalStatus.WITHDRAWN.value: VersionKind.RESUBMIT,
}


def submit_proposal(
    session: Session,
    *,
    proposal: Proposal,
    declarations: set[str],
    idempotency_key: str,
    store: BlobStore,
    publish_name: bool = False,
    user: User,
    actor: Actor,
    now: datetime,
    links: Links,
) -> ProposalVersion:
    """Make an immutable version of the working copy, before the deadline by the server clock.

    Side effects: status submitted, audit ``proposal.submit`` (or ``.amend``/``.resubmit``), a receipt
    e-mail to every member. The same ``idempotency_key`` (a double click, a resent form) returns the
    version made the first time. ``publish_name``: the company agrees to be named if it wins (kept in the version).
    """
    proposal, challenge, stage, organisation = _lock(session, proposal)
    existing = _existing_version(session, proposal, idempotency_key)
    if existing is not None:
        return existing
    require_open(challenge, stage, now)
    problems = _submit_problems(session, proposal=proposal, declarations=declarations, store=store)
    if problems:
        raise ValidationFailed(errors=problems)
    _, spec = stage_spec(challenge, stage)
    kind = _KIND_FROM[proposal.status]
    partners = partner_organisations(session, proposal)
    content = version_content(
        proposal, challenge, stage, organisation, spec, partner_organisations=partners, publish_name=publish_name
    )
    version = _new_version(
        session, proposal=proposal, content=content, kind=kind, key=idempotency_key, user=user, now=now
    )
    proposal.challenge_version = challenge.current_version
    PROPOSAL_MACHINE.check(proposal.status, ProposalStatus.SUBMITTED)  # moved last, below
    _send_to_members(
        session,
        proposal=proposal,
        template="proposal_receipt",
        context={"proposal": proposal, "version": version, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    # Last: appending to the audit chain serialises writers until the commit that follows.
    PROPOSAL_MACHINE.move(
        session,
        proposal,
        ProposalStatus.SUBMITTED,
        actor=actor,
        now=now,
        action=f"proposal.{kind.value}",
        data=audit_data(proposal, version=version.number, receipt=version.receipt_hash),
    )
    session.flush()
    return version


def withdraw_proposal(session: Session, *, proposal: Proposal, actor: Actor, now: datetime, links: Links) -> None:
    """Withdraw before the deadline; no version counts any more until the company submits again."""
    proposal, challenge, stage, _ = _lock(session, proposal)
    require_open(challenge, stage, now)
    PROPOSAL_MACHINE.move(
        session,
        proposal,
        ProposalStatus.WITHDRAWN,
        actor=actor,
        now=now,
        action="proposal.withdraw",
        data=audit_data(proposal),
    )
    proposal.withdrawn_at = now
    proposal.updated_at = now
    proposal.reconfirmation_required_at = None
    _send_to_members(
        session,
        proposal=proposal,
        template="proposal_withdrawn",
        context={"proposal": proposal, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    session.flush()


def reconfirm_proposal(
    session: Session,
    *,
    proposal: Proposal,
    idempotency_key: str,
    user: User,
    actor: Actor,
    now: datetime,
    links: Links,
) -> ProposalVersion:
    """After a correction of the challenge: the company confirms its submitted version against the new one.

    Refused (``ValidationFailed``, the question named) when the corrected definition requires an answer or a
    document the version lacks: the company amends the proposal instead.
    """
    proposal, challenge, stage, _ = _lock(session, proposal)
    existing = _existing_version(session, proposal, idempotency_key)
    if existing is not None:
        return existing
    require_open(challenge, stage, now)
    previous = latest_version(proposal)
    if proposal.status != ProposalStatus.SUBMITTED.value or previous is None:
        raise InvalidTransition()
    problems = reconfirmation_problems(stage_spec(challenge, stage)[1], previous.content)
    if problems:
        raise ValidationFailed(errors=problems)
    content = {**copy.deepcopy(previous.content), "challenge_version": challenge.current_version}
    version = _new_version(
        session,
        proposal=proposal,
        content=content,
        kind=VersionKind.RECONFIRM,
        key=idempotency_key,
        user=user,
        now=now,
    )
    audit_event(
        session,
        proposal,
        actor=actor,
        action="proposal.reconfirm",
        now=now,
        version=version.number,
        receipt=version.receipt_hash,
    )
    _send_to_members(
        session,
        proposal=proposal,
        template="proposal_receipt",
        context={"proposal": proposal, "version": version, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    session.flush()
    return version


def require_reconfirmation(
    session: Session, *, challenge: Challenge, reason: str, actor: Actor, now: datetime, links: Links
) -> int:
    """A correction of the challenge: every submitted proposal must be re-confirmed; their members are told."""
    proposals = session.scalars(
        select(Proposal).where(Proposal.challenge_id == challenge.id, Proposal.status == ProposalStatus.SUBMITTED.value)
    ).all()
    for proposal in proposals:
        stage = session.get(ChallengeStage, proposal.stage_id)
        if stage is None or now >= stage.deadline_at:
            continue
        proposal.reconfirmation_required_at = now
        audit_event(session, proposal, actor=actor, action="proposal.reconfirmation_required", now=now, reason=reason)
        _send_to_members(
            session,
            proposal=proposal,
            template="proposal_reconfirm",
            context={"proposal": proposal, "challenge": challenge, "stage": stage, "reason": reason},
            now=now,
            links=links,
        )
    session.flush()
    return len(proposals)


def invite_to_stage(
    session: Session, *, proposal: Proposal, stage: ChallengeStage, actor: Actor, now: datetime, links: Links
) -> Proposal:
    """Invite the proposal's organisation to a later (invitation-only) stage: a draft with the consortium."""
    if stage.challenge_id != proposal.challenge_id:
        raise NotFound()
    existing = find_proposal(session, stage_id=stage.id, organisation_id=proposal.organisation_id)
    if existing is not None:
        return existing
    challenge = session.get(Challenge, proposal.challenge_id)
    assert challenge is not None
    previous = latest_version(proposal)
    draft = ProposalDraft()
    if previous is not None:
        draft.lead = LeadDraft.model_validate({k: str(v) for k, v in previous.content["lead"].items()})
        draft.partners = [
            PartnerDraft.model_validate({**partner, "share": str(partner["share"])})
            for partner in previous.content["partners"]
        ]
        draft.trl = str(previous.content.get("trl") or "")
    invited = Proposal(
        challenge_id=proposal.challenge_id,
        stage_id=stage.id,
        organisation_id=proposal.organisation_id,
        status=ProposalStatus.DRAFT.value,
        draft=draft.model_dump(),
        challenge_version=challenge.current_version,
        created_at=now,
        updated_at=now,
        invited_at=now,
    )
    session.add(invited)
    session.flush()
    audit_event(session, invited, actor=actor, action="proposal.invite", now=now, previous=proposal.id)
    partner_service.name_partners(session, proposal=invited, actor=actor, now=now, links=links)
    _send_to_members(
        session,
        proposal=invited,
        template="proposal_invited",
        context={"proposal": invited, "challenge": challenge, "stage": stage},
        now=now,
        links=links,
    )
    return invited


def _send_to_members(
    session: Session, *, proposal: Proposal, template: str, context: dict[str, Any], now: datetime, links: Links
) -> None:
    with session.no_autoflush:  # the members do not depend on pending changes: one flush, the caller's
        members = session.scalars(
            select(User)
            .options(lazyload(User.roles))  # e-mail needs no roles: skip their query
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == proposal.organisation_id, User.is_active.is_(True))
            .order_by(User.id)
        ).all()
    link = links.url("proposal_detail", proposal_id=proposal.id)
    for member in members:
        language = member.language

        def when(value: datetime, language: str = language) -> str:
            return format_local_datetime(value, language)

        queue_email(
            session,
            to=member.email,
            template=template,
            language=language,
            context={
                **context,
                "user": member,
                "local_datetime": when,
                "link": link,
                "verify_link": links.url("receipt_verify"),  # receipts: where anyone can check the code
                "title": context["challenge"].title(language),
            },
            now=now,
            user_id=member.id,
            flush=False,  # written with the caller's next flush (a submission's: with its version)
        )
