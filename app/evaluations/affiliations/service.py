"""An evaluator's declared affiliations, and the evaluator as the conflict-of-interest rules see them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge, ChallengeStage
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations.assignments import rules as assignment_rules
from app.evaluations.models import (
    EvaluatorAffiliation,
)
from app.evaluations.pool.service import list_pool
from app.evaluations.schemas import AffiliationForm
from app.evaluations.scoring.rules import Reason
from app.evaluations.service import parties_of, standing
from app.i18n import N_
from app.organisations.models import Membership, Organisation

# An affiliation that ended longer ago than this no longer counts as a conflict.
CONFLICT_LOOKBACK = timedelta(days=3 * 365)


def list_affiliations(session: Session, *, user_id: int) -> list[EvaluatorAffiliation]:
    return list(
        session.scalars(
            select(EvaluatorAffiliation)
            .where(EvaluatorAffiliation.user_id == user_id)
            .order_by(EvaluatorAffiliation.organisation_name, EvaluatorAffiliation.id)
        )
    )


def add_affiliation(
    session: Session, *, user: User, form: AffiliationForm, actor: Actor, now: datetime
) -> EvaluatorAffiliation:
    """Record a tie with an organisation; it blocks assignments to proposals that organisation takes part in."""
    errors: list[FieldError] = []
    if form.kvk_number is None and not (form.country and form.registry_id):
        errors.append(
            FieldError(
                "kvk_number", N_("Give the KvK number, or the country and registration number of the organisation.")
            )
        )
    if form.valid_from and form.valid_until and form.valid_until < form.valid_from:
        errors.append(FieldError("valid_until", N_("The end of the period cannot be before its start.")))
    if errors:
        raise ValidationFailed(errors=errors)

    organisation_id = None
    if form.kvk_number:
        organisation_id = session.scalar(select(Organisation.id).where(Organisation.kvk_number == form.kvk_number))
    elif form.country and form.registry_id:
        organisation_id = session.scalar(
            select(Organisation.id).where(
                Organisation.country == form.country, Organisation.registry_id == form.registry_id
            )
        )
    affiliation = EvaluatorAffiliation(
        user_id=user.id,
        organisation_name=form.organisation_name,
        organisation_id=organisation_id,
        kvk_number=form.kvk_number,
        country=form.country if form.kvk_number is None else "NL",
        registry_id=form.registry_id if form.kvk_number is None else None,
        nature=form.nature.value,
        valid_from=form.valid_from,
        valid_until=form.valid_until,
        created_at=now,
    )
    session.add(affiliation)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="affiliation.add",
        object_type="evaluator_affiliation",
        object_id=affiliation.id,
        at=now,
        data={"organisation": form.organisation_name, "kvk_number": form.kvk_number, "nature": form.nature.value},
    )
    return affiliation


def remove_affiliation(session: Session, *, user: User, affiliation_id: int, actor: Actor, now: datetime) -> None:
    affiliation = session.get(EvaluatorAffiliation, affiliation_id)
    if affiliation is None or affiliation.user_id != user.id:
        raise NotFound()
    record_event(
        session,
        actor=actor,
        action="affiliation.remove",
        object_type="evaluator_affiliation",
        object_id=affiliation.id,
        at=now,
        data={"organisation": affiliation.organisation_name},
    )
    session.delete(affiliation)
    session.flush()


def is_current(affiliation: EvaluatorAffiliation, today: date) -> bool:
    """An affiliation counts from its start until three years after its end."""
    if affiliation.valid_from and affiliation.valid_from > today:
        return False
    return affiliation.valid_until is None or affiliation.valid_until >= today - CONFLICT_LOOKBACK


def evaluator_of(
    user: User,
    affiliations: Iterable[EvaluatorAffiliation],
    *,
    today: date,
    memberships: Iterable[Organisation] = (),
) -> assignment_rules.Evaluator:
    """The evaluator as the conflict rules see them: current declared affiliations, and the organisations they
    are a member of on the portal (affiliations without being declared)."""
    return assignment_rules.Evaluator(
        id=user.id,
        email=user.email,
        memberships=tuple(
            assignment_rules.OrganisationIdentity(
                organisation_id=o.id,
                kvk_number=o.kvk_number,
                country=o.country,
                registry_id=o.registry_id,
                name=o.legal_name,
            )
            for o in memberships
        ),
        affiliations=tuple(
            assignment_rules.OrganisationIdentity(
                organisation_id=a.organisation_id,
                kvk_number=a.kvk_number,
                country=a.country,
                registry_id=a.registry_id,
                name=a.organisation_name,
            )
            for a in affiliations
            if is_current(a, today)
        ),
    )


def affiliations_by_user(session: Session, *, user_ids: Iterable[int]) -> dict[int, list[EvaluatorAffiliation]]:
    result: dict[int, list[EvaluatorAffiliation]] = {}
    ids = list(user_ids)
    if not ids:
        return result
    for affiliation in session.scalars(select(EvaluatorAffiliation).where(EvaluatorAffiliation.user_id.in_(ids))):
        result.setdefault(affiliation.user_id, []).append(affiliation)
    return result


def memberships_by_user(session: Session, *, user_ids: Iterable[int]) -> dict[int, list[Organisation]]:
    """The organisations each user is a member of on the portal."""
    result: dict[int, list[Organisation]] = {}
    ids = list(user_ids)
    if not ids:
        return result
    rows = session.execute(
        select(Membership.user_id, Organisation)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Membership.user_id.in_(ids))
        .order_by(Organisation.legal_name, Organisation.id)
    )
    for user_id, organisation in rows:
        result.setdefault(user_id, []).append(organisation)
    return result


def conflict_profile(session: Session, user: User, *, today: date) -> assignment_rules.Evaluator:
    """One evaluator with their declared affiliations and their portal memberships."""
    memberships = memberships_by_user(session, user_ids=[user.id]).get(user.id, [])
    return evaluator_of(user, list_affiliations(session, user_id=user.id), today=today, memberships=memberships)


def conflict_profiles(session: Session, pool: list[User], *, today: date) -> list[assignment_rules.Evaluator]:
    """The pool's evaluators with their affiliations and portal memberships, as the assignment rules see them."""
    ids = [u.id for u in pool]
    affiliations = affiliations_by_user(session, user_ids=ids)
    memberships = memberships_by_user(session, user_ids=ids)
    return [
        evaluator_of(u, affiliations.get(u.id, []), today=today, memberships=memberships.get(u.id, [])) for u in pool
    ]


@dataclass(frozen=True)
class KnownConflict:
    """An evaluator of the pool who cannot be given a proposal, and why (shown on the assignments page)."""

    evaluator: User
    reference: str
    reasons: tuple[Reason, ...]


def known_conflicts(
    session: Session, *, challenge: Challenge, stage: ChallengeStage, today: date
) -> list[KnownConflict]:
    """Per pool evaluator the stage's proposals they cannot be given: a declared tie or a portal membership
    with an organisation of the consortium."""
    pool = list_pool(session, challenge_id=challenge.id)
    items = standing(session, stage_id=stage.id)
    profiles = conflict_profiles(session, pool, today=today)
    found = []
    for user, profile in zip(pool, profiles, strict=True):
        for item in items:
            reasons = assignment_rules.conflicts(profile, parties_of(item))
            if reasons:
                found.append(KnownConflict(user, item.proposal.reference, reasons))
    return found
