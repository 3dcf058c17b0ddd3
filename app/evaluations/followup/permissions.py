"""Who may read a follow-up record: the awarded organisation's members (the consortium's lead) once the award is
released; the challenge's coordinators and administrators keep it (``ManagedChallenge``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.evaluations.enums import DecisionOutcome, DecisionStatus
from app.evaluations.models import Decision
from app.organisations.models import Membership
from app.proposals.models import Proposal


def is_awarded(decision: Decision | None) -> bool:
    """An award that has been released: only then is there a contract to follow up."""
    return (
        decision is not None
        and decision.outcome == DecisionOutcome.AWARD.value
        and decision.status == DecisionStatus.RELEASED.value
    )


def can_read_followup(session: Session, user: User, proposal: Proposal) -> bool:
    return session.get(Membership, (proposal.organisation_id, user.id)) is not None and is_awarded(
        session.get(Decision, proposal.id)
    )
