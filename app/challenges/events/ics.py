"""The calendar file (RFC 5545) of one market-dialogue event for a registrant, written with icalendar.

Times carry ``TZID=Europe/Amsterdam`` with the zone's ``VTIMEZONE``; the UID names the event, so a changed event
replaces the one a calendar already has (``SEQUENCE`` rises with every change); a cancelled event is
``CANCELLED``. The online link is in it: the file is for confirmed registrants only.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from urllib.parse import urlsplit

from icalendar import Calendar, Event, Timezone

from app.challenges.events.enums import EventStatus
from app.challenges.events.models import MarketEvent
from app.challenges.models import Challenge
from app.clock import ensure_utc, to_local
from app.links import Links

CALENDAR_MEDIA_TYPE = "text/calendar"
TZID = "Europe/Amsterdam"
PRODID = "-//Ministerie van Defensie//Defensie Challengeportaal//NL"


@lru_cache(maxsize=8)
def _timezone(year: int) -> Timezone:
    return Timezone.from_tzid(TZID, first_date=date(year, 1, 1), last_date=date(year + 1, 1, 1))


def event_calendar(event: MarketEvent, challenge: Challenge, *, language: str, links: Links) -> bytes:
    """One calendar holding the event, in ``language``."""
    url = links.url("market_event", slug=challenge.slug, event_id=event.id)
    item = Event()
    item.add("uid", f"market-event.{event.id}@{urlsplit(links.base_url).hostname or 'localhost'}")
    item.add("dtstamp", ensure_utc(event.updated_at))
    item.add("last-modified", ensure_utc(event.updated_at))
    item.add("sequence", event.sequence)
    item.add("dtstart", to_local(event.starts_at))
    item.add("dtend", to_local(event.ends_at))
    item.add("summary", f"{event.title(language)} ({challenge.title(language)})")
    item.add("description", "\n".join(part for part in (event.description(language), event.online_url, url) if part))
    if event.place or event.online_url:
        item.add("location", event.place or event.online_url)
    item.add("url", url)
    item.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add_component(_timezone(to_local(event.starts_at).year))
    calendar.add_component(item)
    result: bytes = calendar.to_ical()
    return result
