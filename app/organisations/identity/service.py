"""Who an organisation is: administrators verify registrations, and settle disputes over a number that
someone else registered first.

A KvK number goes to whoever registers it first, and nothing checks it at that moment: a rival could register
a competitor's number to keep it out or to act in its name. So every organisation starts unverified and
staff see that; the administrators' queue lists what waits; and a second registration of a number already
taken becomes a dispute for the administrators instead of a dead end. Unverified organisations can still
submit, so nobody misses a deadline over it.

Callers commit. Every change records an audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.enums import Role
from app.accounts.models import AuthSession, User, UserRole
from app.audit.service import Actor, record_event
from app.errors import FieldError, NotFound, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.enums import (
    DISPUTE_MACHINE,
    ORGANISATION_MACHINE,
    DisputeStatus,
    MemberRole,
    OrganisationStatus,
)
from app.organisations.models import Membership, Organisation, OrganisationDispute
from app.organisations.schemas import normalise_kvk

MAX_EXPLANATION = 2000
MAX_OPEN_PER_CLAIMANT = 3
"""Open disputes one account may have at once: enough for a real owner, too few to flood the queue."""

MSG_NOT_KVK = N_("Enter the 8 digits of the KvK number.")
MSG_NOT_REGISTERED = N_("No organisation is registered under this number: you can register it yourself.")
MSG_MEMBER = N_("You are already a member of the organisation registered under this number.")
MSG_ALREADY_OPEN = N_("You have already reported this registration; the administrators will answer by e-mail.")
MSG_TOO_MANY = N_("You have %(count)s reports waiting for the administrators. Wait for their answer first.")
MSG_NAME = N_("Enter the legal name of your organisation (at most 300 characters).")
MSG_EXPLANATION = N_("Explain in at most %(max)s characters why the registration is not right.")
MSG_NOTE = N_("Write the reason for your decision (at most %(max)s characters); the reporter receives it.")


@dataclass(frozen=True)
class DisputeClaim:
    kvk_number: str
    claimed_name: str
    explanation: str


def parse_claim(values: dict[str, str]) -> tuple[DisputeClaim | None, list[FieldError]]:
    """The claim as typed: a KvK number, a name and an explanation; names and texts without control characters."""
    errors: list[FieldError] = []
    kvk = normalise_kvk(values.get("kvk_number", ""))
    if kvk is None:
        errors.append(FieldError("kvk_number", MSG_NOT_KVK))
    name = " ".join(values.get("claimed_name", "").split())
    if not name or len(name) > 300:
        errors.append(FieldError("claimed_name", MSG_NAME))
    explanation = "".join(c for c in values.get("explanation", "") if c in "\n\t" or c.isprintable()).strip()
    if not explanation or len(explanation) > MAX_EXPLANATION:
        errors.append(FieldError("explanation", MSG_EXPLANATION, {"max": MAX_EXPLANATION}))
    if errors or kvk is None:
        return None, errors
    return DisputeClaim(kvk_number=kvk, claimed_name=name, explanation=explanation), []


def open_dispute(
    session: Session, *, claim: DisputeClaim, claimant: User, actor: Actor, now: datetime, links: Links
) -> OrganisationDispute:
    """Report that the organisation registered under a number belongs to the claimant's organisation.

    Side effects: the dispute row, an audit event, and one e-mail to every active administrator. The
    claimant learns nothing about the registered organisation (not its name, not its members)."""
    organisation = session.scalar(select(Organisation).where(Organisation.kvk_number == claim.kvk_number))
    if organisation is None:
        raise ValidationFailed(errors=[FieldError("kvk_number", MSG_NOT_REGISTERED)])
    member = session.get(Membership, (organisation.id, claimant.id))
    if member is not None:
        raise ValidationFailed(errors=[FieldError("kvk_number", MSG_MEMBER)])
    open_claims = list(
        session.scalars(
            select(OrganisationDispute.organisation_id).where(
                OrganisationDispute.claimant_id == claimant.id,
                OrganisationDispute.status == DisputeStatus.OPEN.value,
            )
        )
    )
    if organisation.id in open_claims:
        raise ValidationFailed(errors=[FieldError("kvk_number", MSG_ALREADY_OPEN)])
    if len(open_claims) >= MAX_OPEN_PER_CLAIMANT:
        raise ValidationFailed(errors=[FieldError("kvk_number", MSG_TOO_MANY, {"count": len(open_claims)})])
    dispute = OrganisationDispute(
        organisation_id=organisation.id,
        claimant_id=claimant.id,
        claimed_name=claim.claimed_name,
        explanation=claim.explanation,
        status=DisputeStatus.OPEN.value,
        created_at=now,
    )
    session.add(dispute)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="organisation_dispute.open",
        object_type="organisation_dispute",
        object_id=dispute.id,
        at=now,
        data={"organisation_id": organisation.id, "kvk_number": claim.kvk_number, "claimed_name": claim.claimed_name},
    )
    for admin in _administrators(session):
        queue_email(
            session,
            to=admin.email,
            user_id=admin.id,
            template="organisation_dispute_opened",
            language=admin.language,
            context={"kvk_number": claim.kvk_number, "link": links.url("admin_organisations")},
            now=now,
        )
    return dispute


def _administrators(session: Session) -> list[User]:
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMINISTRATOR.value, User.is_active.is_(True))
        .order_by(User.id)
    )
    return list(session.scalars(query))


# --- the administrators' queue -----------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """An unverified organisation as the queue shows it: who registered it and when."""

    organisation: Organisation
    registered_by: User | None
    members: int


def list_unverified(session: Session, *, limit: int = 200) -> list[Waiting]:
    """Unverified organisations, oldest registration first."""
    members = (
        select(Membership.organisation_id, func.count().label("n")).group_by(Membership.organisation_id).subquery()
    )
    query = (
        select(Organisation, User, func.coalesce(members.c.n, 0))
        .outerjoin(User, User.id == Organisation.created_by_id)
        .outerjoin(members, members.c.organisation_id == Organisation.id)
        .where(Organisation.status == OrganisationStatus.UNVERIFIED.value)
        .order_by(Organisation.created_at, Organisation.id)
        .limit(limit)
    )
    return [Waiting(organisation, user, int(count)) for organisation, user, count in session.execute(query)]


def list_open_disputes(session: Session) -> list[tuple[OrganisationDispute, User]]:
    """Open disputes with their claimant, oldest first."""
    query = (
        select(OrganisationDispute, User)
        .join(User, User.id == OrganisationDispute.claimant_id)
        .where(OrganisationDispute.status == DisputeStatus.OPEN.value)
        .order_by(OrganisationDispute.created_at, OrganisationDispute.id)
    )
    return [(dispute, user) for dispute, user in session.execute(query)]


def verify_organisation(session: Session, *, organisation_id: int, actor: Actor, now: datetime) -> Organisation:
    """An administrator has checked the number and the name in the company register."""
    organisation = session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound()
    ORGANISATION_MACHINE.move(
        session,
        organisation,
        OrganisationStatus.VERIFIED,
        actor=actor,
        now=now,
        data={"kvk_number": organisation.kvk_number, "legal_name": organisation.legal_name},
    )
    organisation.verified_at = now
    organisation.verified_by_id = actor.user_id
    return organisation


def resolve_dispute(
    session: Session, *, dispute_id: int, uphold: bool, note: str, actor: Actor, now: datetime, links: Links
) -> OrganisationDispute:
    """Settle a dispute. Upheld: the claimant becomes the organisation's administrator and every other
    member loses their membership (they registered a number that was not theirs), and the organisation is
    unverified until an administrator checks it again. Dismissed: the registration stands. Either way the
    claimant is e-mailed the decision with the note, and everything is audited."""
    dispute = session.get(OrganisationDispute, dispute_id)
    if dispute is None:
        raise NotFound()
    note = note.strip()
    if not note or len(note) > MAX_EXPLANATION:
        raise ValidationFailed(errors=[FieldError("note", MSG_NOTE, {"max": MAX_EXPLANATION})])
    target = DisputeStatus.UPHELD if uphold else DisputeStatus.DISMISSED
    DISPUTE_MACHINE.move(session, dispute, target, actor=actor, now=now, data={"note": note})
    dispute.resolved_at, dispute.resolved_by_id, dispute.resolution_note = now, actor.user_id, note
    if uphold:
        _hand_over(session, dispute, actor=actor, now=now)
    claimant = session.get_one(User, dispute.claimant_id)
    queue_email(
        session,
        to=claimant.email,
        user_id=claimant.id,
        template="organisation_dispute_resolved",
        language=claimant.language,
        context={"upheld": uphold, "note": note, "link": links.url("organisation_list")},
        now=now,
    )
    return dispute


def _hand_over(session: Session, dispute: OrganisationDispute, *, actor: Actor, now: datetime) -> None:
    organisation = session.get_one(Organisation, dispute.organisation_id)
    removed = []
    for membership in list(organisation.memberships):
        if membership.user_id != dispute.claimant_id:
            removed.append(membership.user_id)
            session.delete(membership)
    for auth in session.scalars(
        select(AuthSession).where(
            AuthSession.user_id.in_(removed or [0]), AuthSession.acting_organisation_id == organisation.id
        )
    ):
        auth.acting_organisation_id = None  # they no longer act for it, from their next request on
    session.flush()
    if session.get(Membership, (organisation.id, dispute.claimant_id)) is None:
        session.add(
            Membership(
                organisation_id=organisation.id,
                user_id=dispute.claimant_id,
                role=MemberRole.ADMIN.value,
                joined_at=now,
            )
        )
    if organisation.status == OrganisationStatus.VERIFIED.value:
        ORGANISATION_MACHINE.move(session, organisation, OrganisationStatus.UNVERIFIED, actor=actor, now=now)
        organisation.verified_at = organisation.verified_by_id = None
    record_event(
        session,
        actor=actor,
        action="organisation.handed_over",
        object_type="organisation",
        object_id=organisation.id,
        at=now,
        data={"dispute_id": dispute.id, "to_user_id": dispute.claimant_id, "removed_user_ids": removed},
    )
    session.flush()
