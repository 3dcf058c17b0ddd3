"""An evaluator's declared affiliations, and the evaluator as the conflict-of-interest rules see them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations.assignments import rules as assignment_rules
from app.evaluations.models import (
    EvaluatorAffiliation,
)
from app.evaluations.schemas import AffiliationForm
from app.i18n import N_
from app.organisations.models import Organisation

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
    user: User, affiliations: Iterable[EvaluatorAffiliation], *, today: date
) -> assignment_rules.Evaluator:
    return assignment_rules.Evaluator(
        id=user.id,
        email=user.email,
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
