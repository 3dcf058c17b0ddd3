"""Deleting an account at its owner's request: what stands in the way, what happens, and the deletion itself.

The account is anonymised (``app.accounts.privacy``), never removed: proposals stay as their organisation's
record and the audit trail keeps pointing at the account's id, unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.accounts import passwords
from app.accounts.enums import Role
from app.accounts.models import User, UserRole
from app.accounts.privacy import service as account_privacy
from app.audit.service import Actor, record_event
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge, ChallengeCoordinator
from app.errors import FieldError, ValidationFailed
from app.evaluations.enums import AssignmentStatus, EvaluationStatus
from app.evaluations.models import Assignment, Evaluation, EvaluatorAffiliation, PoolMember
from app.i18n import N_
from app.organisations.enums import MemberRole
from app.organisations.models import Invitation, Membership, Organisation
from app.proposals.models import Proposal

OPEN_CHALLENGE = (ChallengeStatus.DRAFT.value, ChallengeStatus.PUBLISHED.value, ChallengeStatus.EVALUATION.value)


@dataclass(frozen=True)
class Notice:
    """A sentence for the confirmation page: ``message`` with its ``params``, translated where shown."""

    message: str
    params: dict[str, object]


def _organisations(session: Session, user_id: int) -> list[tuple[Organisation, Membership, int, int]]:
    """Each of the user's organisations with the membership, its member count and its administrator count."""
    members = func.count(Membership.user_id)
    admins = func.count(Membership.user_id).filter(Membership.role == MemberRole.ADMIN.value)
    counts = (
        select(Membership.organisation_id, members.label("members"), admins.label("admins"))
        .group_by(Membership.organisation_id)
        .subquery()
    )
    query = (
        select(Organisation, Membership, counts.c.members, counts.c.admins)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .join(counts, counts.c.organisation_id == Organisation.id)
        .where(Membership.user_id == user_id)
        .order_by(Organisation.legal_name)
    )
    return [(o, m, int(n), int(a)) for o, m, n, a in session.execute(query)]


def _sole_coordinations(session: Session, user_id: int) -> list[Challenge]:
    coordinators = (
        select(ChallengeCoordinator.challenge_id, func.count().label("n"))
        .group_by(ChallengeCoordinator.challenge_id)
        .subquery()
    )
    query = (
        select(Challenge)
        .join(ChallengeCoordinator, ChallengeCoordinator.challenge_id == Challenge.id)
        .join(coordinators, coordinators.c.challenge_id == Challenge.id)
        .where(ChallengeCoordinator.user_id == user_id, coordinators.c.n == 1, Challenge.status.in_(OPEN_CHALLENGE))
        .order_by(Challenge.slug)
    )
    return list(session.scalars(query))


def _open_assignments(session: Session, user_id: int) -> int:
    query = (
        select(func.count(Assignment.id))
        .join(Proposal, Proposal.id == Assignment.proposal_id)
        .join(Challenge, Challenge.id == Proposal.challenge_id)
        .outerjoin(Evaluation, Evaluation.assignment_id == Assignment.id)
        .where(
            Assignment.evaluator_id == user_id,
            Assignment.status.in_((AssignmentStatus.ASSIGNED.value, AssignmentStatus.ACCEPTED.value)),
            Challenge.status.in_(OPEN_CHALLENGE),
            (Evaluation.id.is_(None)) | (Evaluation.status != EvaluationStatus.SUBMITTED.value),
        )
    )
    return int(session.scalar(query) or 0)


def _only_administrator(session: Session, user: User) -> bool:
    if Role.ADMINISTRATOR.value not in user.role_names:
        return False
    others = (
        select(func.count())
        .select_from(UserRole)
        .where(UserRole.role == Role.ADMINISTRATOR.value, UserRole.user_id != user.id)
    )
    return not session.scalar(others)


def deletion_blockers(session: Session, *, user: User) -> list[Notice]:
    """What must be handed over before the account can go: each a reason to refuse the deletion."""
    blockers = [
        Notice(
            N_(
                "You are the last administrator of %(organisation)s, which has other members. Make one of them "
                "an administrator first."
            ),
            {"organisation": organisation.legal_name},
        )
        for organisation, membership, members, admins in _organisations(session, user.id)
        if membership.role == MemberRole.ADMIN.value and admins == 1 and members > 1
    ]
    blockers += [
        Notice(
            N_(
                "You are the only coordinator of the open challenge %(challenge)s. Ask an administrator to add "
                "another coordinator first."
            ),
            {"challenge": challenge.slug},
        )
        for challenge in _sole_coordinations(session, user.id)
    ]
    if assignments := _open_assignments(session, user.id):
        blockers.append(
            Notice(
                N_("You have %(count)s unfinished evaluation assignments. Ask the coordinator to reassign them first."),
                {"count": assignments},
            )
        )
    if _only_administrator(session, user):
        blockers.append(Notice(N_("You are the portal's only administrator. Grant another user the role first."), {}))
    return blockers


def deletion_notices(session: Session, *, user: User) -> list[Notice]:
    """What happens to the user's organisations: the ones left without any member after the deletion."""
    return [
        Notice(
            N_(
                "You are the only member of %(organisation)s. After the deletion nobody can act for it any "
                "more; its proposals stay as its record."
            ),
            {"organisation": organisation.legal_name},
        )
        for organisation, _membership, members, _admins in _organisations(session, user.id)
        if members == 1
    ]


def delete_account(session: Session, *, user_id: int, password: str, ip: str | None, now: datetime) -> None:
    """Anonymise the account after checking its password and that no duty is left open.

    Removes its memberships, evaluator pool places and affiliations, coordinator places and invitations sent to
    its address; proposals, questions and the audit trail keep the account's id and are not rewritten. Raises
    ``ValidationFailed`` (a wrong password, or each open duty). Audited as ``account.delete``; the caller commits.
    """
    user = session.get(User, user_id)
    assert user is not None
    if not passwords.verify_password(user.password_hash, password):
        raise ValidationFailed([FieldError("password", N_("Your password is not correct."))])
    blockers = deletion_blockers(session, user=user)
    if blockers:
        raise ValidationFailed([FieldError("__all__", b.message, dict(b.params)) for b in blockers])
    memberships = len(session.scalars(select(Membership.organisation_id).where(Membership.user_id == user.id)).all())
    session.execute(delete(Membership).where(Membership.user_id == user.id))
    session.execute(delete(PoolMember).where(PoolMember.user_id == user.id))
    session.execute(delete(EvaluatorAffiliation).where(EvaluatorAffiliation.user_id == user.id))
    session.execute(delete(ChallengeCoordinator).where(ChallengeCoordinator.user_id == user.id))
    session.execute(delete(Invitation).where(Invitation.email == user.email, Invitation.accepted_at.is_(None)))
    account_privacy.anonymise_account(session, user=user, now=now)
    record_event(
        session,
        actor=Actor(user.id, label=f"user {user.id}", ip=ip),
        action="account.delete",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"memberships_removed": memberships},
    )
