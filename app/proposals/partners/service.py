"""Consortium partners know: a registered organisation named as a partner is asked, by e-mail, and answers.

What a partner organisation learns, and when:
- When named: its members get one e-mail per naming with the lead's registered name and the challenge, nothing
  the lead typed (no role, no answers), and a link to the partner page.
- Before it accepts: the partner page shows the lead, the challenge and stage, the deadline, whether the
  proposal was submitted, and the role and share the lead gave the partner. Never the answers, the documents
  or the other partners.
- Once it accepts: the submitted versions that name it, read-only, with their documents.
A partner that declines blocks submission (the refusal names it) until the lead removes it; the lead's members
get one e-mail per naming about the refusal (the reason is on the consortium page, not in the e-mail). Naming
the same organisation again asks it again; an organisation is named at most ``MAX_NAMINGS`` times on one
proposal and a proposal names registered organisations at most ``MAX_NAMINGS_PER_PROPOSAL`` times, so a lead
cannot turn the portal's e-mail against another company.

Services never commit; the view does, once. Every change is an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased, lazyload

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, NotFound, ValidationFailed
from app.formatting import format_local_datetime
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.models import Membership, Organisation
from app.proposals import permissions
from app.proposals.drafts.schemas import PartnerDraft
from app.proposals.enums import PARTNER_MACHINE, PartnerStatus
from app.proposals.models import Proposal, ProposalPartner, ProposalVersion
from app.proposals.service import context_of, require_open, working_copy

MAX_NAMINGS = 3
MAX_NAMINGS_PER_PROPOSAL = 30
MAX_REASON = 1000


# --- the lead names and removes -------------------------------------------------------------------


def check_naming(session: Session, *, proposal: Proposal, organisation_id: int | None) -> None:
    """Refuse a naming beyond the limits (before anything of the naming is stored)."""
    if organisation_id is None:
        return
    row = _row(session, proposal_id=proposal.id, organisation_id=organisation_id)
    if row is not None and row.naming_count >= MAX_NAMINGS:
        raise ValidationFailed(
            errors=[
                FieldError(
                    "partner_kvk_number",
                    N_("This organisation has been named on this proposal %(max)s times; it cannot be named again."),
                    {"max": MAX_NAMINGS},
                )
            ]
        )
    total = session.scalar(
        select(func.coalesce(func.sum(ProposalPartner.naming_count), 0)).where(
            ProposalPartner.proposal_id == proposal.id
        )
    )
    if (total or 0) >= MAX_NAMINGS_PER_PROPOSAL:
        raise ValidationFailed(
            errors=[
                FieldError(
                    "partner_kvk_number",
                    N_("This proposal has named registered organisations %(max)s times; it cannot name more."),
                    {"max": MAX_NAMINGS_PER_PROPOSAL},
                )
            ]
        )


def name_partner(
    session: Session,
    *,
    proposal: Proposal,
    partner: PartnerDraft,
    actor: Actor,
    now: datetime,
    links: Links,
) -> ProposalPartner | None:
    """Ask a registered partner organisation (again): its answer starts over and its members get one e-mail.

    Partners that are not registered have nobody to ask: ``None``. Call ``check_naming`` first."""
    if partner.organisation_id is None:
        return None
    row = _row(session, proposal_id=proposal.id, organisation_id=partner.organisation_id)
    if row is None:
        row = ProposalPartner(
            proposal_id=proposal.id,
            organisation_id=partner.organisation_id,
            status=PartnerStatus.ASKED.value,
            named_at=now,
            named_by_id=actor.user_id,
            naming_count=1,
            reason="",
        )
        session.add(row)
        session.flush()
        record_event(
            session,
            actor=actor,
            action="proposal_partner.named",
            object_type="proposal_partner",
            object_id=row.id,
            at=now,
            data=_data(proposal, row),
        )
    elif row.status == PartnerStatus.REMOVED.value:
        PARTNER_MACHINE.move(session, row, PartnerStatus.ASKED, actor=actor, now=now, data=_data(proposal, row))
        row.named_at = now
        row.named_by_id = actor.user_id
        row.naming_count += 1
        row.responded_at = None
        row.reason = ""
        row.lead_told_at = None
    else:  # still in the consortium: its answer stands and it is not e-mailed twice
        return row
    _tell_partner(session, proposal=proposal, row=row, now=now, links=links)
    session.flush()
    return row


def forget_partner(session: Session, *, proposal: Proposal, partner: PartnerDraft, actor: Actor, now: datetime) -> None:
    """The lead took the partner out of the consortium: its answer no longer counts, its access ends."""
    if partner.organisation_id is None:
        return
    row = _row(session, proposal_id=proposal.id, organisation_id=partner.organisation_id)
    if row is None or row.status == PartnerStatus.REMOVED.value:
        return
    PARTNER_MACHINE.move(session, row, PartnerStatus.REMOVED, actor=actor, now=now, data=_data(proposal, row))
    session.flush()


def name_partners(session: Session, *, proposal: Proposal, actor: Actor, now: datetime, links: Links) -> None:
    """Ask every registered partner of a working copy made by the portal (an invitation to a later stage)."""
    for partner in working_copy(proposal).partners:
        name_partner(session, proposal=proposal, partner=partner, actor=actor, now=now, links=links)


# --- the partner answers --------------------------------------------------------------------------


def respond(
    session: Session,
    *,
    partnership: ProposalPartner,
    accept: bool,
    reason: str,
    actor: Actor,
    now: datetime,
    links: Links,
) -> None:
    """Accept or decline while the stage is open. A refusal blocks the lead's submission until it removes the
    partner; the lead's members hear of it once per naming. The same answer again changes nothing; a partner
    the lead removed cannot answer (``InvalidTransition``)."""
    reason = reason.strip()
    if not accept and len(reason) > MAX_REASON:
        raise ValidationFailed(
            errors=[FieldError("reason", N_("Use at most %(max)s characters."), {"max": MAX_REASON})]
        )
    # The proposal's row lock (a submission takes it too): a refusal and a submission never cross.
    proposal = session.scalar(
        select(Proposal)
        .where(Proposal.id == partnership.proposal_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if proposal is None:
        raise NotFound()
    session.refresh(partnership)
    challenge, stage, _ = context_of(session, proposal)
    require_open(challenge, stage, now)
    target = PartnerStatus.ACCEPTED if accept else PartnerStatus.DECLINED
    if partnership.status == target.value:  # a double click, a resent form: the answer stands
        return
    data = _data(proposal, partnership) | ({"reason": reason} if not accept else {})
    PARTNER_MACHINE.move(session, partnership, target, actor=actor, now=now, data=data)
    partnership.responded_at = now
    partnership.reason = "" if accept else reason
    if not accept and partnership.lead_told_at is None:
        partnership.lead_told_at = now
        _tell_lead(session, proposal=proposal, row=partnership, challenge=challenge, stage=stage, now=now, links=links)
    session.flush()


# --- queries --------------------------------------------------------------------------------------


def _row(session: Session, *, proposal_id: int, organisation_id: int) -> ProposalPartner | None:
    return session.scalar(
        select(ProposalPartner).where(
            ProposalPartner.proposal_id == proposal_id, ProposalPartner.organisation_id == organisation_id
        )
    )


def answers_of(session: Session, *, proposal: Proposal) -> dict[int, ProposalPartner]:
    """The answers of the proposal's registered partners still in the consortium, by organisation id."""
    rows = session.scalars(
        select(ProposalPartner).where(
            ProposalPartner.proposal_id == proposal.id, ProposalPartner.status != PartnerStatus.REMOVED.value
        )
    )
    return {row.organisation_id: row for row in rows}


def refusals(proposal: Proposal, answers: dict[int, ProposalPartner]) -> list[tuple[PartnerDraft, ProposalPartner]]:
    """The partners of the working copy that declined, with their answers."""
    return [
        (partner, answers[partner.organisation_id])
        for partner in working_copy(proposal).partners
        if partner.organisation_id in answers
        and answers[partner.organisation_id].status == PartnerStatus.DECLINED.value
    ]


def declined_problems(session: Session, *, proposal: Proposal) -> list[FieldError]:
    """A partner of the working copy that declined blocks submission, named, until the lead removes it."""
    partners = working_copy(proposal).partners
    if all(partner.organisation_id is None for partner in partners):
        return []  # no registered organisation in the consortium: none can have declined (no query)
    answers = answers_of(session, proposal=proposal)
    return [
        FieldError(
            f"partner_{index}_answer",
            N_("%(name)s declined to take part. Remove it from the consortium before submitting."),
            {"name": partner.legal_name},
        )
        for index, partner in enumerate(partners)
        if partner.organisation_id in answers
        and answers[partner.organisation_id].status == PartnerStatus.DECLINED.value
    ]


def lead_context(session: Session, *, proposal: Proposal) -> dict[str, Any]:
    """What the lead's consortium and overview pages show of its partners' answers."""
    answers = answers_of(session, proposal=proposal)
    return {"partner_answers": answers, "partner_refusals": refusals(proposal, answers), **STATUS_CONTEXT}


# Pages that show a partner's answer name and compare it through its state machine, never a literal string.
STATUS_CONTEXT: dict[str, Any] = {"partner_machine": PARTNER_MACHINE, "PartnerStatus": PartnerStatus}


def get_member_partnership(session: Session, *, partnership_id: int, user: User) -> ProposalPartner:
    """The partnership, for a member of the partner organisation; ``NotFound`` for everyone else (the lead too)."""
    row = session.scalar(
        select(ProposalPartner)
        .join(
            Membership,
            (Membership.organisation_id == ProposalPartner.organisation_id) & (Membership.user_id == user.id),
        )
        .where(ProposalPartner.id == partnership_id)
    )
    if row is None:
        raise NotFound()
    return row


@dataclass(frozen=True)
class PartnershipItem:
    partnership: ProposalPartner
    proposal: Proposal
    challenge: Challenge
    stage: ChallengeStage
    lead: Organisation
    partner: Organisation


def list_for_user(session: Session, *, user_id: int) -> list[PartnershipItem]:
    """Every proposal any of the user's organisations is named a partner in, by deadline."""
    partner = aliased(Organisation)
    rows = session.execute(
        select(ProposalPartner, Proposal, Challenge, ChallengeStage, Organisation, partner)
        .join(Proposal, Proposal.id == ProposalPartner.proposal_id)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .join(ChallengeStage, ChallengeStage.id == Proposal.stage_id)
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .join(partner, partner.id == ProposalPartner.organisation_id)
        .join(Membership, Membership.organisation_id == ProposalPartner.organisation_id)
        .where(Membership.user_id == user_id)
        .order_by(ChallengeStage.deadline_at, ProposalPartner.id)
    )
    return [PartnershipItem(*row) for row in rows]


def _organisation(session: Session, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    assert organisation is not None
    return organisation


@dataclass(frozen=True)
class PartnershipView:
    """What a partner organisation's page shows (see the module's docstring for what it may know)."""

    partnership: ProposalPartner
    proposal: Proposal
    challenge: Challenge
    stage: ChallengeStage
    lead: Organisation
    partner: Organisation
    entry: PartnerDraft | None  # its role and share in the working copy, while it is in the consortium
    versions: list[ProposalVersion]  # the submitted versions that name it
    open: bool

    @property
    def may_read_versions(self) -> bool:
        return self.partnership.status == PartnerStatus.ACCEPTED.value

    @property
    def may_respond(self) -> bool:
        return self.open and self.partnership.status != PartnerStatus.REMOVED.value


def partner_proposal(session: Session, *, partnership: ProposalPartner) -> Proposal:
    """The proposal that names the partner."""
    proposal = session.get(Proposal, partnership.proposal_id)
    if proposal is None:
        raise NotFound()
    return proposal


def partnership_view(session: Session, *, partnership: ProposalPartner, now: datetime) -> PartnershipView:
    proposal = partner_proposal(session, partnership=partnership)
    challenge, stage, lead = context_of(session, proposal)
    entry = None
    if partnership.status != PartnerStatus.REMOVED.value:
        entry = next(
            (p for p in working_copy(proposal).partners if p.organisation_id == partnership.organisation_id), None
        )
    return PartnershipView(
        partnership=partnership,
        proposal=proposal,
        challenge=challenge,
        stage=stage,
        lead=lead,
        partner=_organisation(session, partnership.organisation_id),
        entry=entry,
        versions=[v for v in proposal.versions if permissions.names_partner(v, partnership.organisation_id)],
        open=permissions.is_open_for_changes(challenge, stage, now),
    )


def get_partner_version(session: Session, *, partnership: ProposalPartner, number: int) -> ProposalVersion:
    """A submitted version for a partner that accepted and is named in it; ``NotFound`` otherwise."""
    version = session.scalar(
        select(ProposalVersion).where(
            ProposalVersion.proposal_id == partnership.proposal_id, ProposalVersion.number == number
        )
    )
    if version is None or not permissions.can_read_as_partner(partnership, version):
        raise NotFound()
    return version


# --- e-mail ---------------------------------------------------------------------------------------


def _data(proposal: Proposal, row: ProposalPartner) -> dict[str, Any]:
    return {
        "proposal_id": proposal.id,
        "organisation_id": row.organisation_id,
        "challenge_id": proposal.challenge_id,
        "stage_id": proposal.stage_id,
    }


def _tell_partner(session: Session, *, proposal: Proposal, row: ProposalPartner, now: datetime, links: Links) -> None:
    challenge, stage, lead = context_of(session, proposal)
    context = {"lead": lead.legal_name, "partner": _organisation(session, row.organisation_id).legal_name}
    link = links.url("partnership_detail", partnership_id=row.id)
    _email_members(
        session, row.organisation_id, "partner_named", context, challenge=challenge, stage=stage, link=link, now=now
    )


def _tell_lead(
    session: Session,
    *,
    proposal: Proposal,
    row: ProposalPartner,
    challenge: Challenge,
    stage: ChallengeStage,
    now: datetime,
    links: Links,
) -> None:
    context = {"reference": proposal.reference, "partner": _organisation(session, row.organisation_id).legal_name}
    link = links.url("proposal_consortium", proposal_id=proposal.id)
    _email_members(
        session,
        proposal.organisation_id,
        "partner_declined",
        context,
        challenge=challenge,
        stage=stage,
        link=link,
        now=now,
    )


def _email_members(
    session: Session,
    organisation_id: int,
    template: str,
    context: dict[str, Any],
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    link: str,
    now: datetime,
) -> None:
    with session.no_autoflush:
        members = session.scalars(
            select(User)
            .options(lazyload(User.roles))
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id, User.is_active.is_(True))
            .order_by(User.id)
        ).all()
    for member in members:
        language = member.language
        queue_email(
            session,
            to=member.email,
            template=template,
            language=language,
            context={
                **context,
                "title": challenge.title(language),
                "deadline": format_local_datetime(stage.deadline_at, language),
                "link": link,
            },
            now=now,
            user_id=member.id,
        )
