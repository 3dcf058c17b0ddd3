"""The market dialogue's e-mails, queued in the outbox in the transaction of the change that causes them.

A registrant with a confirmed place gets the event's calendar file attached (``text/calendar``, in their
language; it holds the online link): with the confirmation, with the place that came from the waiting list,
with every change of the event's time, place or online link (the file's ``SEQUENCE`` has risen, so calendars
replace the entry) and with a cancellation (the file says ``CANCELLED``). Someone on the waiting list is told of
a change of the time or place without the online link and without a file; a change of the online link alone is
nothing for them. A change of anything else (titles, descriptions, places, the registration deadline) sends nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.challenges.events.enums import RegistrationStatus
from app.challenges.events.models import MarketEvent, MarketEventRegistration
from app.challenges.models import Challenge
from app.formatting import format_local_datetime
from app.i18n import N_, translate
from app.links import Links
from app.notifications.attachments import Attachment
from app.notifications.service import queue_email

CALENDAR_ATTACHMENT_TYPE = "text/calendar; charset=utf-8; method=PUBLISH"  # ics.CALENDAR_MEDIA_TYPE, with its method
# What a registrant is told about when it changes, with the label the coordinator's form gives it.
NOTIFIED_FIELDS: dict[str, str] = {
    "starts_at": N_("Starts"),
    "ends_at": N_("Ends"),
    "place": N_("Place"),
    "online_url": N_("Online link"),
}
PRIVATE_FIELDS = frozenset({"online_url"})  # for confirmed registrants only


@dataclass(frozen=True)
class Change:
    field: str
    old: object
    new: object


def snapshot(event: MarketEvent) -> dict[str, object]:
    """The event's time, place and online link, to compare after a change."""
    return {name: getattr(event, name) for name in NOTIFIED_FIELDS}


def changes_since(before: dict[str, object], event: MarketEvent) -> list[Change]:
    """What changed of the time, place and online link since ``snapshot``, in the form's order."""
    return [
        Change(name, before[name], getattr(event, name))
        for name in NOTIFIED_FIELDS
        if before[name] != getattr(event, name)
    ]


def message_context(session: Session, event: MarketEvent, language: str, *, links: Links) -> dict[str, object]:
    """What every market-dialogue e-mail says: the event, when and where (Dutch time), and its links."""
    challenge = session.get_one(Challenge, event.challenge_id)
    return {
        "title": event.title(language),
        "challenge_title": challenge.title(language),
        "when": format_local_datetime(event.starts_at, language),
        "place": event.place,
        "online_url": event.online_url,
        "link": links.url("market_event", slug=challenge.slug, event_id=event.id),
        "calendar_link": links.url("market_event_calendar", slug=challenge.slug, event_id=event.id),
    }


class _Calendars:
    """The event's calendar file per language, made once for all the registrants of one change."""

    def __init__(self, session: Session, event: MarketEvent, links: Links) -> None:
        self.event, self.links = event, links
        self.challenge = session.get_one(Challenge, event.challenge_id)
        self._made: dict[str, Attachment] = {}

    def attachment(self, language: str) -> Attachment:
        if language not in self._made:
            from app.challenges.events import ics  # icalendar (3 MB) only when a calendar file is written

            content = ics.event_calendar(self.event, self.challenge, language=language, links=self.links)
            self._made[language] = Attachment(f"event-{self.event.id}.ics", CALENDAR_ATTACHMENT_TYPE, content)
        return self._made[language]


def tell_registration(
    session: Session,
    registration: MarketEventRegistration,
    event: MarketEvent,
    user: User,
    *,
    now: datetime,
    links: Links,
    promoted: bool = False,
) -> None:
    """The confirmation of a place (with the calendar file), of a place from the waiting list, or of the waiting
    list itself."""
    confirmed = registration.status == RegistrationStatus.CONFIRMED
    template = "market_event_waiting"
    if confirmed:
        template = "market_event_promoted" if promoted else "market_event_registered"
    queue_email(
        session,
        to=user.email,
        template=template,
        language=user.language,
        context=message_context(session, event, user.language, links=links),
        now=now,
        user_id=user.id,
        attachments=[_Calendars(session, event, links).attachment(user.language)] if confirmed else [],
    )


def _active(session: Session, event_id: int) -> list[tuple[MarketEventRegistration, User]]:
    """Registrations with a place or on the waiting list, with their users, in the order they came."""
    rows = session.execute(
        select(MarketEventRegistration, User)
        .join(User, User.id == MarketEventRegistration.user_id)
        .where(
            MarketEventRegistration.event_id == event_id,
            MarketEventRegistration.status.in_([RegistrationStatus.CONFIRMED.value, RegistrationStatus.WAITING.value]),
        )
        .order_by(MarketEventRegistration.id)
    )
    return [(registration, user) for registration, user in rows]


def _shown(change: Change, language: str) -> dict[str, str]:
    def value(raw: object) -> str:
        if isinstance(raw, datetime):
            return format_local_datetime(raw, language)
        return str(raw) if raw else translate(language, "none")

    return {
        "label": translate(language, NOTIFIED_FIELDS[change.field]),
        "old": value(change.old),
        "new": value(change.new),
    }


def tell_change(session: Session, event: MarketEvent, changes: list[Change], *, now: datetime, links: Links) -> int:
    """E-mail each active registrant once about a change of the time, place or online link (old and new values in
    their language): with a place, with the changed calendar file; on the waiting list, a plain notice without the
    online link. Returns how many messages were queued."""
    calendars = _Calendars(session, event, links)
    queued = 0
    for registration, user in _active(session, event.id):
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        visible = [change for change in changes if confirmed or change.field not in PRIVATE_FIELDS]
        if not visible:
            continue
        context = message_context(session, event, user.language, links=links)
        context["changes"] = [_shown(change, user.language) for change in visible]
        if not confirmed:
            context["online_url"] = ""
        queue_email(
            session, to=user.email, template="market_event_changed" if confirmed else "market_event_changed_waiting",
            language=user.language, context=context, now=now, user_id=user.id,
            attachments=[calendars.attachment(user.language)] if confirmed else [],
        )  # fmt: skip
        queued += 1
    return queued


def tell_cancellation(session: Session, event: MarketEvent, *, now: datetime, links: Links) -> int:
    """E-mail everyone with a place or on the waiting list that the event is cancelled; those with a place get the
    calendar file that says ``CANCELLED`` (it removes the entry). Returns how many messages were queued."""
    calendars = _Calendars(session, event, links)
    active = _active(session, event.id)
    for registration, user in active:
        confirmed = registration.status == RegistrationStatus.CONFIRMED
        context = message_context(session, event, user.language, links=links)
        context["calendar_attached"] = confirmed
        queue_email(
            session, to=user.email, template="market_event_cancelled", language=user.language, context=context,
            now=now, user_id=user.id, attachments=[calendars.attachment(user.language)] if confirmed else [],
        )  # fmt: skip
    return len(active)
