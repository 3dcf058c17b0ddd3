"""Admissibility of a stage's proposals: the facts the coordinator decides on, and the decision."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeStage
from app.challenges.schemas import ChallengeDefinition
from app.errors import FieldError, ValidationFailed
from app.evaluations.models import (
    EligibilityDecision,
)
from app.evaluations.schemas import EligibilityForm
from app.evaluations.service import Standing, get_standing, require_open_evaluation, require_unsealed
from app.i18n import N_
from app.notifications.service import queue_email
from app.organisations.models import Membership, Organisation


def eligibility_of(session: Session, *, proposal_ids: Iterable[int]) -> dict[int, EligibilityDecision]:
    ids = list(proposal_ids)
    if not ids:
        return {}
    rows = session.scalars(select(EligibilityDecision).where(EligibilityDecision.proposal_id.in_(ids)))
    return {row.proposal_id: row for row in rows}


@dataclass(frozen=True)
class EligibilityFacts:
    """What eligibility turns on for one proposal (its standing version and its organisation), each fact with
    whether it meets the challenge's rule."""

    country: str
    sme: bool | None
    partners: int
    trl: int | None
    received_at: datetime
    country_allowed: bool
    sme_allowed: bool
    partners_allowed: bool
    trl_in_window: bool


def eligibility_facts(
    session: Session, *, definition: ChallengeDefinition, items: list[Standing]
) -> dict[int, EligibilityFacts]:
    """The facts of every proposal by id: the lead's country, partners and claimed TRL as the standing version
    gives them, the SME flag from the organisation, against the definition's eligibility rules and TRL window."""
    ids = {item.proposal.organisation_id for item in items}
    organisations = (
        {o.id: o for o in session.scalars(select(Organisation).where(Organisation.id.in_(ids)))} if ids else {}
    )
    rules, window = definition.eligibility, definition.trl
    result: dict[int, EligibilityFacts] = {}
    for item in items:
        organisation = organisations.get(item.proposal.organisation_id)
        lead = item.content.get("organisation") or {}
        country = str(lead.get("country") or (organisation.country if organisation else ""))
        sme = organisation.is_sme if organisation else None
        partners = len(item.content.get("partners") or [])
        claimed = item.content.get("trl")
        trl = claimed if isinstance(claimed, int) else None
        result[item.proposal.id] = EligibilityFacts(
            country=country,
            sme=sme,
            partners=partners,
            trl=trl,
            received_at=item.version.received_at,
            country_allowed=not rules.lead_countries or country in rules.lead_countries,
            sme_allowed=not rules.sme_only or sme is True,
            partners_allowed=(partners == 0 or rules.consortium_allowed)
            and (rules.max_partners is None or partners <= rules.max_partners),
            trl_in_window=trl is not None and window.min <= trl <= window.max,
        )
    return result


def organisation_recipients(session: Session, *, organisation_ids: Iterable[int]) -> dict[int, list[User]]:
    ids = list(organisation_ids)
    result: dict[int, list[User]] = {}
    if not ids:
        return result
    rows = session.execute(
        select(Membership.organisation_id, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organisation_id.in_(ids), User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    for organisation_id, user in rows:
        result.setdefault(organisation_id, []).append(user)
    return result


def set_eligibility(
    session: Session,
    *,
    challenge: Challenge,
    stage: ChallengeStage,
    proposal_id: int,
    form: EligibilityForm,
    actor: Actor,
    now: datetime,
) -> EligibilityDecision:
    """Mark a submitted proposal admissible or not (with the reason) and tell the company's members."""
    require_unsealed(stage, now)
    require_open_evaluation(session, stage=stage)
    if not form.admissible and not form.reason:
        raise ValidationFailed(errors=[FieldError("reason", N_("Give the reason why the proposal is not admissible."))])
    item = get_standing(session, stage=stage, proposal_id=proposal_id)
    decision = session.get(EligibilityDecision, proposal_id)
    if decision is None:
        decision = EligibilityDecision(proposal_id=proposal_id, admissible=form.admissible, decided_at=now)
        session.add(decision)
    decision.admissible = form.admissible
    decision.reason = form.reason
    decision.decided_by_id = actor.user_id
    decision.decided_at = now
    session.flush()
    record_event(
        session,
        actor=actor,
        action="proposal.eligibility",
        object_type="proposal",
        object_id=proposal_id,
        at=now,
        data={"admissible": form.admissible, "reason": form.reason},
    )
    for user in organisation_recipients(session, organisation_ids=[item.proposal.organisation_id]).get(
        item.proposal.organisation_id, []
    ):
        queue_email(
            session,
            to=user.email,
            template="evaluation_eligibility",
            language=user.language,
            context={
                "reference": item.proposal.reference,
                "challenge_title": challenge.title(user.language),
                "admissible": form.admissible,
                "reason": form.reason,
            },
            now=now,
            user_id=user.id,
        )
    return decision
