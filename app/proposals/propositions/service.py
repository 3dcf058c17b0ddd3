"""Use cases of propositions without a challenge: send, attach a document, triage, messages, and the counts.

Callers commit. Every step records an audit event (``proposition.submit``, ``proposition.document``,
``proposition.refer``, ``proposition.route``, ``proposition.watch``, ``proposition.decline``,
``proposition.message``; ``proposition.regions`` in ``tags``); a sent proposition is tagged with the
organisation's regional team and e-mailed to every coordinator who triages it; every triage step and every
coordinator's message e-mails the company's members through the outbox. A proposition someone may not see raises
``NotFound``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges import service as challenge_service
from app.challenges.enums import Phase, TaxonomyKind
from app.challenges.models import Challenge, TaxonomyTerm
from app.database import insert_unless_present
from app.errors import FieldError, NotFound, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.notifications.service import queue_email
from app.organisations.models import Membership, Organisation
from app.organisations.regions import service as region_service
from app.proposals.models import Blob
from app.proposals.propositions import permissions, tags
from app.proposals.propositions.enums import PROPOSITION_MACHINE, STEP_STATUS, PropositionStatus
from app.proposals.propositions.models import Proposition, PropositionMessage
from app.proposals.propositions.schemas import (
    CHOOSE_CHALLENGE,
    CHOOSE_PROGRAMME,
    REASON_REQUIRED,
    PropositionForm,
    TriageForm,
)

UNKNOWN_AREA = N_("Choose an NLD-gebied from the list.")

# --- who sees what --------------------------------------------------------------------------------


def get_own_proposition(session: Session, *, proposition_id: int, user: User) -> Proposition:
    """The proposition, for a member of its organisation; ``NotFound`` for everyone else (staff too)."""
    proposition = session.scalar(
        select(Proposition)
        .join(
            Membership,
            (Membership.organisation_id == Proposition.organisation_id) & (Membership.user_id == user.id),
        )
        .where(Proposition.id == proposition_id)
    )
    if proposition is None:
        raise NotFound()
    return proposition


def get_triage_proposition(session: Session, *, proposition_id: int, user: User) -> Proposition:
    """The proposition, for a coordinator who triages it (``permissions``); ``NotFound`` for everyone else."""
    if not permissions.is_coordinator(user):
        raise NotFound()
    proposition = session.scalar(
        select(Proposition).where(Proposition.id == proposition_id, permissions.triager_clause(user))
    )
    if proposition is None:
        raise NotFound()
    return proposition


def get_visible_proposition(session: Session, *, proposition_id: int, user: User) -> Proposition:
    """A member's or a triaging coordinator's proposition (the document download serves both)."""
    try:
        return get_own_proposition(session, proposition_id=proposition_id, user=user)
    except NotFound:
        return get_triage_proposition(session, proposition_id=proposition_id, user=user)


def list_own_propositions(session: Session, *, organisation_id: int, user: User) -> list[Proposition]:
    query = (
        select(Proposition)
        .join(Membership, (Membership.organisation_id == Proposition.organisation_id) & (Membership.user_id == user.id))
        .where(Proposition.organisation_id == organisation_id)
        .order_by(Proposition.submitted_at.desc(), Proposition.id.desc())
    )
    return list(session.scalars(query))


def list_triage(session: Session, *, user: User, status: PropositionStatus | None = None) -> list[Proposition]:
    """The propositions the coordinator triages, waiting ones first."""
    if not permissions.is_coordinator(user):
        return []
    query = select(Proposition).where(permissions.triager_clause(user))
    if status is not None:
        query = query.where(Proposition.status == status.value)
    waiting = (Proposition.status != PropositionStatus.SUBMITTED.value).asc()
    return list(session.scalars(query.order_by(waiting, Proposition.submitted_at, Proposition.id)))


@dataclass(frozen=True)
class TriageChoices:
    challenges: list[Challenge]
    programmes: list[TaxonomyTerm]


def triage_choices(session: Session, *, now: datetime) -> TriageChoices:
    """The challenges a company can be referred to (open or upcoming) and the active programmes."""
    items = challenge_service.list_public_challenges(session, now=now)
    challenges = [item.challenge for item in items if item.phase in (Phase.OPEN, Phase.UPCOMING)]
    programmes = [t for t in challenge_service.list_taxonomy(session, kind=TaxonomyKind.PROGRAMME) if t.active]
    return TriageChoices(challenges=challenges, programmes=programmes)


# --- sending --------------------------------------------------------------------------------------


def _area(session: Session, key: str) -> TaxonomyTerm:
    term = session.scalar(
        select(TaxonomyTerm).where(
            TaxonomyTerm.kind == TaxonomyKind.NLD.value, TaxonomyTerm.key == key, TaxonomyTerm.active
        )
    )
    if term is None:
        raise ValidationFailed([FieldError("nld_area", UNKNOWN_AREA)])
    return term


def submit_proposition(
    session: Session,
    *,
    organisation: Organisation,
    user: User,
    form: PropositionForm,
    actor: Actor,
    now: datetime,
    links: Links,
) -> Proposition:
    """Send a proposition for the organisation (the user is a member): its regional team is fixed now ("sent
    from") and is its first region tag; every coordinator who then triages it is e-mailed."""
    if session.get(Membership, (organisation.id, user.id)) is None:
        raise NotFound()
    term = _area(session, form.nld_area)
    proposition = Proposition(
        organisation_id=organisation.id,
        submitted_by_id=user.id,
        title=form.title,
        effect=form.effect,
        nld_term_id=term.id,
        region_id=region_service.region_id_of_organisation(session, organisation_id=organisation.id),
        trl=form.trl,
        description=form.description,
        status=PropositionStatus.SUBMITTED.value,
        submitted_at=now,
    )
    session.add(proposition)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="proposition.submit",
        object_type="proposition",
        object_id=proposition.id,
        at=now,
        data={"organisation_id": organisation.id, "nld_area": term.key, "trl": form.trl},
    )
    tags.tag_at_sending(session, proposition=proposition)
    _email_triagers(session, proposition, now=now, links=links)
    return proposition


def _email_triagers(session: Session, proposition: Proposition, *, now: datetime, links: Links) -> None:
    """Tell every coordinator who triages the new proposition (``permissions.triagers_query``)."""
    with session.no_autoflush:
        triagers = session.scalars(permissions.triagers_query(proposition.id).options(lazyload(User.roles))).all()
    context: dict[str, Any] = {
        "title": proposition.title,
        "reference": f"P-{proposition.id}",
        "link": links.url("manage_proposition", proposition_id=proposition.id),
    }
    for triager in triagers:
        queue_email(
            session,
            to=triager.email,
            template="proposition_received",
            language=triager.language,
            context=context,
            now=now,
            user_id=triager.id,
        )


@dataclass(frozen=True)
class PropositionDocument:
    sha256: str
    size_bytes: int
    original_name: str
    kind: str
    media_type: str


def attach_document(
    session: Session, *, proposition: Proposition, document: PropositionDocument, actor: Actor, now: datetime
) -> None:
    """Put the checked document on a proposition still waiting for triage (replacing one). A replaced file stays
    in the blob store until ``portal blobs gc`` finds that no row names it."""
    if proposition.status != PropositionStatus.SUBMITTED.value:
        raise ValidationFailed([FieldError("file", N_("A document can only be added before the triage."))])
    # The same bytes may already be stored (a proposal's document): one row per hash.
    insert_unless_present(
        session,
        Blob,
        key="sha256",
        values={
            "sha256": document.sha256,
            "size_bytes": document.size_bytes,
            "media_type": document.media_type,
            "created_at": now,
        },
    )
    proposition.document_sha256, proposition.document_size = document.sha256, document.size_bytes
    proposition.document_name, proposition.document_kind = document.original_name, document.kind
    record_event(
        session,
        actor=actor,
        action="proposition.document",
        object_type="proposition",
        object_id=proposition.id,
        at=now,
        data={"sha256": document.sha256, "size": document.size_bytes},
    )
    session.flush()


# --- triage and messages --------------------------------------------------------------------------


def _step_errors(session: Session, form: TriageForm, choices: TriageChoices) -> list[FieldError]:
    if form.step == "refer" and form.challenge_id not in {c.id for c in choices.challenges}:
        return [FieldError("challenge_id", CHOOSE_CHALLENGE)]
    if form.step == "route" and form.programme_id not in {p.id for p in choices.programmes}:
        return [FieldError("programme_id", CHOOSE_PROGRAMME)]
    if form.step == "decline" and not form.message:
        return [FieldError("message", REASON_REQUIRED)]
    return []


def triage_proposition(
    session: Session,
    *,
    proposition: Proposition,
    form: TriageForm,
    user: User,
    actor: Actor,
    now: datetime,
    links: Links,
) -> None:
    """One triage step (refer, route, watch, decline) by a coordinator who triages the proposition.

    Side effects: the status moves through ``PROPOSITION_MACHINE`` (audited as ``proposition.<step>``), the
    step's message is kept for the company, and the company's members are e-mailed.
    """
    get_triage_proposition(session, proposition_id=proposition.id, user=user)
    PROPOSITION_MACHINE.check(proposition.status, STEP_STATUS[form.step])
    errors = _step_errors(session, form, triage_choices(session, now=now))
    if errors:
        raise ValidationFailed(errors)
    target = STEP_STATUS[form.step]
    proposition.referred_challenge_id = form.challenge_id if form.step == "refer" else None
    proposition.programme_term_id = form.programme_id if form.step == "route" else None
    proposition.triaged_at = now
    session.add(
        PropositionMessage(
            proposition_id=proposition.id, author_id=user.id, step=form.step, body=form.message, created_at=now
        )
    )
    PROPOSITION_MACHINE.move(
        session,
        proposition,
        target,
        actor=actor,
        now=now,
        action=f"proposition.{form.step}",
        data={"challenge_id": form.challenge_id, "programme_id": form.programme_id},
    )
    _email_company(session, proposition, template="proposition_triaged", now=now, links=links)
    session.flush()


def add_message(
    session: Session,
    *,
    proposition: Proposition,
    user: User,
    body: str,
    from_company: bool,
    actor: Actor,
    now: datetime,
    links: Links,
) -> PropositionMessage:
    """A message on the proposition, from the company (a member) or from a coordinator who triages it (the
    company is e-mailed)."""
    if from_company:
        get_own_proposition(session, proposition_id=proposition.id, user=user)
    else:
        get_triage_proposition(session, proposition_id=proposition.id, user=user)
    message = PropositionMessage(
        proposition_id=proposition.id, author_id=user.id, from_company=from_company, body=body, created_at=now
    )
    session.add(message)
    session.flush()
    record_event(
        session,
        actor=actor,
        action="proposition.message",
        object_type="proposition",
        object_id=proposition.id,
        at=now,
        data={"message_id": message.id, "from_company": from_company},
    )
    if not from_company:
        _email_company(session, proposition, template="proposition_message", now=now, links=links)
    return message


def _email_company(session: Session, proposition: Proposition, *, template: str, now: datetime, links: Links) -> None:
    with session.no_autoflush:
        members = session.scalars(
            select(User)
            .options(lazyload(User.roles))
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == proposition.organisation_id, User.is_active.is_(True))
            .order_by(User.id)
        ).all()
    context: dict[str, Any] = {
        "title": proposition.title,
        "reference": f"P-{proposition.id}",
        "status": PROPOSITION_MACHINE.label(proposition.status),
        "link": links.url("proposition_detail", proposition_id=proposition.id),
    }
    for member in members:
        queue_email(
            session,
            to=member.email,
            template=template,
            language=member.language,
            context=context,
            now=now,
            user_id=member.id,
        )


@dataclass(frozen=True)
class PropositionDetails:
    organisation: Organisation
    area: TaxonomyTerm
    region: Any  # the organisation's team when it was sent
    regions: list[Any]  # its region tags
    challenge: Challenge | None
    programme: TaxonomyTerm | None


def details_of(session: Session, proposition: Proposition) -> PropositionDetails:
    """What the pages show beside the proposition's own fields."""
    return PropositionDetails(
        organisation=session.get_one(Organisation, proposition.organisation_id),
        area=session.get_one(TaxonomyTerm, proposition.nld_term_id),
        region=region_service.get_region(session, region_id=proposition.region_id) if proposition.region_id else None,
        regions=tags.list_proposition_regions(session, proposition_id=proposition.id),
        challenge=session.get(Challenge, proposition.referred_challenge_id)
        if proposition.referred_challenge_id
        else None,
        programme=session.get(TaxonomyTerm, proposition.programme_term_id) if proposition.programme_term_id else None,
    )
