"""Kinds and statuses of market-dialogue events and of registrations for them, with their allowed changes."""

from __future__ import annotations

from enum import StrEnum

from app.i18n import N_
from app.statemachine import StateMachine


class EventKind(StrEnum):
    INDUSTRY_DAY = "industry_day"
    MARKET_CONSULTATION = "market_consultation"


KIND_LABELS: dict[str, str] = {
    EventKind.INDUSTRY_DAY.value: N_("Industry day"),
    EventKind.MARKET_CONSULTATION.value: N_("Market consultation"),
}


class EventStatus(StrEnum):
    SCHEDULED = "scheduled"  # published, registration possible until its deadline
    CANCELLED = "cancelled"  # will not take place
    HELD = "held"  # took place; the coordinator may publish its summary


EVENT_MACHINE: StateMachine[EventStatus] = StateMachine(
    name="market_event",
    states=EventStatus,
    transitions={
        EventStatus.SCHEDULED: frozenset({EventStatus.CANCELLED, EventStatus.HELD}),
        EventStatus.CANCELLED: frozenset(),
        EventStatus.HELD: frozenset(),
    },
    labels={
        EventStatus.SCHEDULED: N_("Scheduled"),
        EventStatus.CANCELLED: N_("Cancelled"),
        EventStatus.HELD: N_("Held"),
    },
    classes={
        EventStatus.SCHEDULED: "badge-open",
        EventStatus.CANCELLED: "badge-closed",
        EventStatus.HELD: "badge-closed",
    },
)


class RegistrationStatus(StrEnum):
    CONFIRMED = "confirmed"  # has a place
    WAITING = "waiting"  # on the waiting list, in order of registration
    CANCELLED = "cancelled"  # gave up the place (or the place on the waiting list)


REGISTRATION_MACHINE: StateMachine[RegistrationStatus] = StateMachine(
    name="market_event_registration",
    states=RegistrationStatus,
    transitions={
        RegistrationStatus.CONFIRMED: frozenset({RegistrationStatus.CANCELLED}),
        # Promoted when a place frees up.
        RegistrationStatus.WAITING: frozenset({RegistrationStatus.CONFIRMED, RegistrationStatus.CANCELLED}),
        # Registering again after cancelling (before the registration deadline).
        RegistrationStatus.CANCELLED: frozenset({RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING}),
    },
    labels={
        RegistrationStatus.CONFIRMED: N_("Registered"),
        RegistrationStatus.WAITING: N_("On the waiting list"),
        RegistrationStatus.CANCELLED: N_("Registration cancelled"),
    },
    classes={
        RegistrationStatus.CONFIRMED: "badge-open",
        RegistrationStatus.WAITING: "badge-upcoming",
        RegistrationStatus.CANCELLED: "badge-closed",
    },
)
