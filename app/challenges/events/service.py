"""Market dialogue: a challenge's events (published by its coordinators), registrations with a waiting list.

A registration is per person: each company user registers once per event, for the organisation they act for,
and takes one place. When the places are taken, later registrations go on the waiting list in the order they
came; a cancelled place goes to the first on the list, who is e-mailed. Registering and cancelling lock the
event's row (``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite serialises writers), so two registrations for the
last place never both get it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.challenges.events import mail, permissions
from app.challenges.events.enums import (
    EVENT_MACHINE,
    KIND_LABELS,
    REGISTRATION_MACHINE,
    EventStatus,
    RegistrationStatus,
)
from app.challenges.events.models import MarketEvent, MarketEventRegistration
from app.challenges.events.schemas import EventForm, SummaryForm
from app.challenges.models import Challenge
from app.errors import DeadlinePassed, FieldError, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from app.i18n import N_
from app.links import Links
from app.organisations.models import Membership, Organisation

MSG_NO_ORGANISATION = N_("Choose the organisation you register for first (under Organisations).")
MSG_ALREADY = N_("You are already registered for this event.")
MSG_CLOSED = N_("Registration for this event has closed.")
MSG_CAPACITY_BELOW = N_("%(taken)s places are taken already: enter %(taken)s or more.")
MSG_NOT_HELD = N_("A summary can be published once the event has been held.")
MSG_NOT_SCHEDULED = N_("This event can no longer be changed.")


@dataclass(frozen=True)
class Attendee:
    registration: MarketEventRegistration
    email: str
    organisation: str


# --- queries ----------------------------------------------------------------------------------------


def list_events(session: Session, *, challenge_id: int) -> list[MarketEvent]:
    """A challenge's events, soonest first."""
    query = select(MarketEvent).where(MarketEvent.challenge_id == challenge_id)
    return list(session.scalars(query.order_by(MarketEvent.starts_at, MarketEvent.id)))


@dataclass(frozen=True)
class Section:
    """The market-dialogue section of the public challenge page."""

    items: list[MarketEvent]
    taken: dict[int, int]
    machine: object = EVENT_MACHINE
    kind_labels: object = field(default_factory=lambda: KIND_LABELS)


def challenge_section(session: Session, *, challenge_id: int) -> Section:
    events = list_events(session, challenge_id=challenge_id)
    return Section(events, places_taken(session, event_ids=[event.id for event in events]))


def get_event(session: Session, *, challenge_id: int, event_id: int) -> MarketEvent:
    event = session.get(MarketEvent, event_id)
    if event is None or event.challenge_id != challenge_id:
        raise NotFound()
    return event


def places_taken(session: Session, *, event_ids: list[int]) -> dict[int, int]:
    """Confirmed registrations per event (events without any are left out)."""
    rows = session.execute(
        select(MarketEventRegistration.event_id, func.count())
        .where(
            MarketEventRegistration.event_id.in_(event_ids or [0]),
            MarketEventRegistration.status == RegistrationStatus.CONFIRMED.value,
        )
        .group_by(MarketEventRegistration.event_id)
    )
    return {int(event_id): int(count) for event_id, count in rows}


def get_registration(session: Session, *, event_id: int, user_id: int) -> MarketEventRegistration | None:
    return session.scalar(
        select(MarketEventRegistration).where(
            MarketEventRegistration.event_id == event_id, MarketEventRegistration.user_id == user_id
        )
    )


def list_attendees(session: Session, *, event_id: int) -> list[Attendee]:
    """Every registration of an event with its e-mail and organisation: confirmed, waiting (in order), cancelled."""
    order = {RegistrationStatus.CONFIRMED.value: 0, RegistrationStatus.WAITING.value: 1}
    rows = session.execute(
        select(MarketEventRegistration, User.email, Organisation.legal_name)
        .join(User, User.id == MarketEventRegistration.user_id)
        .join(Organisation, Organisation.id == MarketEventRegistration.organisation_id)
        .where(MarketEventRegistration.event_id == event_id)
        .order_by(MarketEventRegistration.registered_at, MarketEventRegistration.id)
    )
    attendees = [Attendee(registration, email, name) for registration, email, name in rows]
    return sorted(attendees, key=lambda a: order.get(a.registration.status, 2))


# --- the coordinator's side ----------------------------------------------------------------------


def _checked(form: EventForm, *, taken: int = 0) -> None:
    errors = [FieldError(path, message) for path, message in form.problems()]
    if form.capacity < taken:
        errors.append(FieldError("capacity", MSG_CAPACITY_BELOW, {"taken": taken}))
    if errors:
        raise ValidationFailed(errors)


def _apply(event: MarketEvent, form: EventForm) -> None:
    for name in (
        "kind", "title_nl", "title_en", "description_nl", "description_en", "starts_at", "ends_at",
        "place", "online_url", "capacity", "registration_deadline_at",
    ):  # fmt: skip
        value = getattr(form, name)
        setattr(event, name, value.value if name == "kind" else value)


def create_event(
    session: Session, *, challenge: Challenge, form: EventForm, actor: Actor, now: datetime
) -> MarketEvent:
    """Publish an event for a challenge (scheduled, registration open until its deadline); audited."""
    _checked(form)
    event = MarketEvent(
        challenge_id=challenge.id, status=EventStatus.SCHEDULED.value, created_at=now, updated_at=now, sequence=0
    )
    _apply(event, form)
    session.add(event)
    session.flush()
    record_event(
        session, actor=actor, action="market_event.create", object_type="market_event", object_id=event.id, at=now,
        data={"challenge": challenge.slug, "kind": event.kind, "starts_at": event.starts_at.isoformat()},
    )  # fmt: skip
    return event


def update_event(
    session: Session, *, event: MarketEvent, form: EventForm, actor: Actor, now: datetime, links: Links
) -> MarketEvent:
    """Change a scheduled event; a larger capacity gives places to the waiting list (who are e-mailed). A change of
    the time, place or online link is e-mailed to every registrant first (``mail.tell_change``); audited with the
    fields that changed and how many were told."""
    locked = _lock(session, event.id)
    if locked.status != EventStatus.SCHEDULED:
        raise InvalidTransition(MSG_NOT_SCHEDULED)
    _checked(form, taken=places_taken(session, event_ids=[locked.id]).get(locked.id, 0))
    before = mail.snapshot(locked)
    _apply(locked, form)
    locked.updated_at = now
    locked.sequence += 1
    changes = mail.changes_since(before, locked)
    told = mail.tell_change(session, locked, changes, now=now, links=links) if changes else 0
    record_event(
        session, actor=actor, action="market_event.update", object_type="market_event", object_id=locked.id, at=now,
        data={
            "capacity": locked.capacity, "starts_at": locked.starts_at.isoformat(),
            "changed": [change.field for change in changes], "told": told,
        },
    )  # fmt: skip
    _fill_places(session, locked, actor=actor, now=now, links=links)
    return locked


def change_event_status(
    session: Session, *, event: MarketEvent, target: EventStatus, actor: Actor, now: datetime, links: Links
) -> None:
    """Cancel a scheduled event, or mark it held; through ``EVENT_MACHINE`` (audited). A cancellation is e-mailed
    to everyone with a place or on the waiting list, with the calendar file that says ``CANCELLED`` for a place."""
    locked = _lock(session, event.id)
    EVENT_MACHINE.move(session, locked, target, actor=actor, now=now)
    locked.updated_at = now
    locked.sequence += 1
    if target == EventStatus.CANCELLED:
        mail.tell_cancellation(session, locked, now=now, links=links)


def publish_summary(session: Session, *, event: MarketEvent, form: SummaryForm, actor: Actor, now: datetime) -> None:
    """Publish (or correct) the summary of a held event, in Dutch and English; audited."""
    if event.status != EventStatus.HELD:
        raise ValidationFailed([FieldError("summary_nl", MSG_NOT_HELD)])
    event.summary_nl, event.summary_en = form.summary_nl, form.summary_en
    event.summary_published_at = now
    event.updated_at = now
    record_event(
        session, actor=actor, action="market_event.summary", object_type="market_event", object_id=event.id, at=now
    )


# --- registration ---------------------------------------------------------------------------------


def _lock(session: Session, event_id: int) -> MarketEvent:
    """The event's row, locked until the commit on PostgreSQL, and read afresh."""
    query = select(MarketEvent).where(MarketEvent.id == event_id).with_for_update()
    event = session.scalar(query.execution_options(populate_existing=True))
    if event is None:
        raise NotFound()
    return event


def register(
    session: Session,
    *,
    event: MarketEvent,
    user: User,
    organisation_id: int | None,
    actor: Actor,
    now: datetime,
    links: Links,
) -> MarketEventRegistration:
    """Register the user for the organisation they act for (or their only one): a place while there is one, else the waiting list.

    Refused after the registration deadline (server clock), for a user already registered, and without an
    organisation. E-mails the confirmation (with the calendar file attached) or the waiting-list notice."""
    organisation_id = _organisation_for(session, user, organisation_id)
    locked = _lock(session, event.id)
    if not permissions.registration_open(locked, now):
        raise DeadlinePassed(MSG_CLOSED)
    registration = get_registration(session, event_id=locked.id, user_id=user.id)
    if permissions.is_active(registration):
        raise NotPermitted(MSG_ALREADY)
    taken = places_taken(session, event_ids=[locked.id]).get(locked.id, 0)
    target = RegistrationStatus.CONFIRMED if taken < locked.capacity else RegistrationStatus.WAITING
    data = {"event": locked.id, "organisation": organisation_id}
    if registration is None:  # a new row starts in its state
        registration = MarketEventRegistration(event_id=locked.id, user_id=user.id, status=target.value)
        _fill_in(registration, user, organisation_id, now)
        session.add(registration)
        session.flush()
        record_event(
            session, actor=actor, action=f"market_event_registration.{target.value}",
            object_type="market_event_registration", object_id=registration.id, at=now, data=data,
        )  # fmt: skip
    else:
        _fill_in(registration, user, organisation_id, now)
        REGISTRATION_MACHINE.move(session, registration, target, actor=actor, now=now, data=data)
    mail.tell_registration(session, registration, locked, user, now=now, links=links)
    return registration


def _organisation_for(session: Session, user: User, acting_id: int | None) -> int:
    """The organisation a registration is for: the one the user acts for, or their only one."""
    if acting_id is None:
        memberships = session.scalars(select(Membership).where(Membership.user_id == user.id).limit(2)).all()
        acting_id = memberships[0].organisation_id if len(memberships) == 1 else None
    if acting_id is None or session.get(Membership, (acting_id, user.id)) is None:
        raise NotPermitted(MSG_NO_ORGANISATION)
    return acting_id


def _fill_in(registration: MarketEventRegistration, user: User, organisation_id: int, now: datetime) -> None:
    registration.organisation_id = organisation_id
    registration.attendee_name = user.name
    registration.registered_at = registration.updated_at = now


def cancel_registration(
    session: Session, *, event: MarketEvent, user: User, actor: Actor, now: datetime, links: Links
) -> None:
    """Give up one's place (or place on the waiting list); a freed place goes to the first on the waiting list."""
    locked = _lock(session, event.id)
    registration = get_registration(session, event_id=locked.id, user_id=user.id)
    if registration is None or not permissions.is_active(registration):
        raise NotFound()
    REGISTRATION_MACHINE.move(session, registration, RegistrationStatus.CANCELLED, actor=actor, now=now)
    registration.updated_at = now
    session.flush()
    _fill_places(session, locked, actor=actor, now=now, links=links)


def _fill_places(session: Session, event: MarketEvent, *, actor: Actor, now: datetime, links: Links) -> None:
    """Give free places to the waiting list in order, while the event is still ahead; each promoted is e-mailed."""
    if event.status != EventStatus.SCHEDULED or now >= event.starts_at:
        return
    free = event.capacity - places_taken(session, event_ids=[event.id]).get(event.id, 0)
    if free <= 0:
        return
    waiting = session.scalars(
        select(MarketEventRegistration)
        .where(
            MarketEventRegistration.event_id == event.id,
            MarketEventRegistration.status == RegistrationStatus.WAITING.value,
        )
        .order_by(MarketEventRegistration.registered_at, MarketEventRegistration.id)
        .limit(free)
    ).all()
    for registration in waiting:
        REGISTRATION_MACHINE.move(
            session, registration, RegistrationStatus.CONFIRMED, actor=actor, now=now, action="market_event_registration.promote"
        )  # fmt: skip
        registration.updated_at = now
        person = session.get_one(User, registration.user_id)
        mail.tell_registration(session, registration, event, person, now=now, links=links, promoted=True)
