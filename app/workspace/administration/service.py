"""Administrators' part of challenge management: coordinators per challenge and the taxonomy lists."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.enums import TaxonomyKind
from app.challenges.models import Challenge, ChallengeCoordinator, TaxonomyTerm
from app.errors import FieldError, NotFound, ValidationFailed
from app.evaluations.models import Assignment, PoolMember
from app.i18n import N_
from app.proposals.models import Proposal

# --- coordinators -------------------------------------------------------------------------------


def list_coordinators(session: Session, *, challenge_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .join(ChallengeCoordinator, ChallengeCoordinator.user_id == User.id)
            .where(ChallengeCoordinator.challenge_id == challenge_id)
            .order_by(User.email)
        )
    )


MSG_EVALUATES = N_(
    "%(name)s evaluates this challenge (in its evaluator pool or assigned to its proposals) and cannot also coordinate it."
)


def evaluates_challenge(session: Session, *, challenge_id: int, user_id: int) -> bool:
    """In the challenge's evaluator pool, or assigned to one of its proposals."""
    if session.get(PoolMember, (challenge_id, user_id)) is not None:
        return True
    assigned = (
        select(Assignment.id)
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .where(Proposal.challenge_id == challenge_id, Assignment.evaluator_id == user_id)
        .limit(1)
    )
    return session.scalar(assigned) is not None


def assign_coordinator(session: Session, *, challenge: Challenge, email: str, actor: Actor, now: datetime) -> User:
    """Assign a user with the coordinator role to the challenge (administrators do this); never one who evaluates it."""
    user = session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is None or not user.is_active or Role.COORDINATOR.value not in user.role_names:
        raise ValidationFailed([FieldError("email", N_("No coordinator has this e-mail address."))])
    exists = session.get(ChallengeCoordinator, (challenge.id, user.id))
    if exists is None and evaluates_challenge(session, challenge_id=challenge.id, user_id=user.id):
        raise ValidationFailed([FieldError("email", MSG_EVALUATES, {"name": user.name})])
    if exists is None:
        session.add(
            ChallengeCoordinator(
                challenge_id=challenge.id, user_id=user.id, assigned_at=now, assigned_by_id=actor.user_id
            )
        )
        record_event(
            session,
            actor=actor,
            action="challenge.coordinator_assign",
            object_type="challenge",
            object_id=challenge.id,
            at=now,
            data={"user_id": user.id},
        )
        session.flush()
    return user


def remove_coordinator(session: Session, *, challenge: Challenge, user_id: int, actor: Actor, now: datetime) -> None:
    link = session.get(ChallengeCoordinator, (challenge.id, user_id))
    if link is None:
        raise NotFound()
    session.delete(link)
    record_event(
        session,
        actor=actor,
        action="challenge.coordinator_remove",
        object_type="challenge",
        object_id=challenge.id,
        at=now,
        data={"user_id": user_id},
    )
    session.flush()


# --- taxonomies ---------------------------------------------------------------------------------


def list_terms(session: Session, *, active_only: bool = False) -> list[TaxonomyTerm]:
    query = select(TaxonomyTerm).order_by(TaxonomyTerm.kind, TaxonomyTerm.position, TaxonomyTerm.id)
    if active_only:
        query = query.where(TaxonomyTerm.active)
    return list(session.scalars(query))


def get_term(session: Session, *, term_id: int) -> TaxonomyTerm:
    term = session.get(TaxonomyTerm, term_id)
    if term is None:
        raise NotFound()
    return term


def save_term(
    session: Session,
    *,
    term: TaxonomyTerm | None,
    kind: TaxonomyKind,
    key: str,
    name_nl: str,
    name_en: str,
    position: int,
    active: bool,
    actor: Actor,
    now: datetime,
) -> TaxonomyTerm:
    """Create a term (``term`` None) or change one; the key of a term in use stays (definitions name it)."""
    taken = session.scalar(select(TaxonomyTerm.id).where(TaxonomyTerm.kind == kind.value, TaxonomyTerm.key == key))
    if taken is not None and (term is None or taken != term.id):
        raise ValidationFailed([FieldError("key", N_("This key is already in the list."))])
    if term is None:
        term = TaxonomyTerm(kind=kind.value, key=key)
        session.add(term)
        action = "taxonomy.create"
    else:
        if term.key != key or term.kind != kind.value:
            raise ValidationFailed([FieldError("key", N_("The key of an existing term cannot change."))])
        action = "taxonomy.update"
    term.name_nl, term.name_en, term.position, term.active = name_nl, name_en, position, active
    session.flush()
    record_event(
        session,
        actor=actor,
        action=action,
        object_type="taxonomy_term",
        object_id=term.id,
        at=now,
        data={"kind": term.kind, "key": term.key, "name_nl": name_nl, "name_en": name_en, "active": active},
    )
    return term
