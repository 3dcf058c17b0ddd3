"""Who may see and change a proposal. Sealed until the stage's deadline: only the company's own members.

A proposal someone may not see answers 404 wherever they ask for it, so its existence leaks nothing.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.challenges import permissions as challenge_permissions
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeStage
from app.proposals.enums import PartnerStatus, ProposalStatus
from app.proposals.models import Proposal, ProposalPartner, ProposalVersion


def is_sealed(stage: ChallengeStage, now: datetime) -> bool:
    """Before the deadline nobody outside the submitting organisation may read anything of a proposal."""
    return now < stage.deadline_at


def is_open_for_changes(challenge: Challenge, stage: ChallengeStage, now: datetime) -> bool:
    """The company may change, submit or withdraw only while its stage is open and the challenge published."""
    return challenge.status == ChallengeStatus.PUBLISHED.value and stage.opens_at <= now < stage.deadline_at


def can_read_as_staff(
    session: Session, user: User | None, proposal: Proposal, challenge: Challenge, stage: ChallengeStage, now: datetime
) -> bool:
    """Coordinators of the challenge (and administrators) read submitted proposals, and only after the deadline."""
    return (
        not is_sealed(stage, now)
        and proposal.status == ProposalStatus.SUBMITTED.value
        and challenge_permissions.can_manage_challenge(session, user, challenge)
    )


def names_partner(version: ProposalVersion, organisation_id: int) -> bool:
    """Whether a submitted version names the organisation as a partner."""
    return any(p.get("organisation_id") == organisation_id for p in version.content.get("partners", []))


def can_read_as_partner(partnership: ProposalPartner, version: ProposalVersion) -> bool:
    """A partner organisation reads a submitted version only once it agreed to take part and the version names
    it: nothing of the lead's content reaches an organisation that did not agree."""
    return (
        partnership.status == PartnerStatus.ACCEPTED.value
        and version.proposal_id == partnership.proposal_id
        and names_partner(version, partnership.organisation_id)
    )
