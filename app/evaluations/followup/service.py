"""After the award: the follow-up record of an awarded proposal, kept by the challenge's coordinators.

Only a proposal whose award is released has one (``permissions.is_awarded``). Every change is an audit event:
``award_follow_up.save``, ``award_milestone.add``, and the milestone's status through ``MILESTONE_MACHINE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.challenges.models import Challenge
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations.enums import DecisionOutcome, DecisionStatus
from app.evaluations.followup import permissions
from app.evaluations.followup.enums import MILESTONE_MACHINE, MilestoneStatus
from app.evaluations.followup.models import AwardFollowUp, AwardMilestone
from app.evaluations.followup.schemas import FollowUpForm, MilestoneForm, MilestoneStatusForm
from app.evaluations.models import Decision
from app.i18n import N_
from app.organisations.models import Organisation
from app.proposals.models import Proposal

MSG_DONE_ON = N_("Enter the date the milestone was done.")


@dataclass(frozen=True)
class FollowUp:
    proposal: Proposal
    organisation: Organisation
    record: AwardFollowUp | None
    milestones: list[AwardMilestone]


def list_awarded(session: Session, *, challenge_id: int) -> list[tuple[Proposal, Organisation]]:
    """The challenge's proposals whose award is released, by reference."""
    rows = session.execute(
        select(Proposal, Organisation)
        .join(Decision, Decision.proposal_id == Proposal.id)
        .join(Organisation, Organisation.id == Proposal.organisation_id)
        .where(
            Proposal.challenge_id == challenge_id,
            Decision.outcome == DecisionOutcome.AWARD.value,
            Decision.status == DecisionStatus.RELEASED.value,
        )
        .order_by(Proposal.reference)
    )
    return [(proposal, organisation) for proposal, organisation in rows]


def get_followup(session: Session, *, proposal: Proposal) -> FollowUp:
    """The record and milestones (by due date) of an awarded proposal; ``NotFound`` for any other proposal."""
    if not permissions.is_awarded(session.get(Decision, proposal.id)):
        raise NotFound()
    milestones = session.scalars(
        select(AwardMilestone)
        .where(AwardMilestone.proposal_id == proposal.id)
        .order_by(AwardMilestone.due_on, AwardMilestone.id)
    ).all()
    return FollowUp(
        proposal=proposal,
        organisation=session.get_one(Organisation, proposal.organisation_id),
        record=session.get(AwardFollowUp, proposal.id),
        milestones=list(milestones),
    )


def get_awarded_proposal(session: Session, *, challenge: Challenge, proposal_id: int) -> Proposal:
    """A proposal of this challenge with a released award; ``NotFound`` otherwise."""
    proposal = session.get(Proposal, proposal_id)
    if proposal is None or proposal.challenge_id != challenge.id:
        raise NotFound()
    if not permissions.is_awarded(session.get(Decision, proposal.id)):
        raise NotFound()
    return proposal


def save_followup(session: Session, *, proposal: Proposal, form: FollowUpForm, actor: Actor, now: datetime) -> None:
    """Write the record's contract route, reference and start date; audited."""
    record = session.get(AwardFollowUp, proposal.id)
    if record is None:
        record = AwardFollowUp(proposal_id=proposal.id)
        session.add(record)
    record.contract_route = form.contract_route.value
    record.contract_reference = form.contract_reference
    record.start_date = form.start_date
    record.updated_at = now
    record.updated_by_id = actor.user_id
    session.flush()
    record_event(
        session, actor=actor, action="award_follow_up.save", object_type="proposal", object_id=proposal.id, at=now,
        data={"route": record.contract_route, "reference": record.contract_reference,
              "start_date": record.start_date.isoformat() if record.start_date else None},
    )  # fmt: skip


def add_milestone(
    session: Session, *, proposal: Proposal, form: MilestoneForm, actor: Actor, now: datetime
) -> AwardMilestone:
    """A new milestone, planned; audited."""
    milestone = AwardMilestone(
        proposal_id=proposal.id,
        title=form.title,
        due_on=form.due_on,
        status=MilestoneStatus.PLANNED.value,
        created_at=now,
        updated_at=now,
    )
    session.add(milestone)
    session.flush()
    record_event(
        session, actor=actor, action="award_milestone.add", object_type="award_milestone", object_id=milestone.id,
        at=now, data={"proposal": proposal.id, "title": milestone.title, "due_on": milestone.due_on.isoformat()},
    )  # fmt: skip
    return milestone


def get_milestone(session: Session, *, proposal: Proposal, milestone_id: int) -> AwardMilestone:
    milestone = session.get(AwardMilestone, milestone_id)
    if milestone is None or milestone.proposal_id != proposal.id:
        raise NotFound()
    return milestone


def change_milestone(
    session: Session, *, milestone: AwardMilestone, form: MilestoneStatusForm, actor: Actor, now: datetime
) -> None:
    """Move a milestone through ``MILESTONE_MACHINE``; done needs the date it was done."""
    if form.status == MilestoneStatus.DONE and form.done_on is None:
        raise ValidationFailed([FieldError(f"done_on-{milestone.id}", MSG_DONE_ON)])
    done_on = form.done_on if form.status == MilestoneStatus.DONE else None
    MILESTONE_MACHINE.move(
        session, milestone, form.status, actor=actor, now=now,
        data={"done_on": done_on.isoformat() if done_on else None},
    )  # fmt: skip
    milestone.done_on = done_on
    milestone.updated_at = now
