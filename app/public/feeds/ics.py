"""iCalendar files (RFC 5545) of challenge deadlines, written with the icalendar library in one language.

Each stage gives two events: its last moment for questions and its deadline for proposals, at the exact time
(a ``DTSTART`` without an end: RFC 5545 reads that as an instant). Times carry ``TZID=Europe/Amsterdam`` with the
zone's ``VTIMEZONE`` in the file, so a calendar anywhere shows the Dutch deadline at the right moment. A UID names
the challenge and the stage (``{slug}.{stage}.deadline@{host}``), so an extension moves the event a subscriber
already has instead of adding one; ``SEQUENCE`` is the definition's version, which every extension raises.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from icalendar import Calendar, Event, Timezone

from app import i18n
from app.challenges import service as challenge_service
from app.challenges.models import Challenge, ChallengeStage
from app.clock import ensure_utc, to_local
from app.formatting import format_local_datetime
from app.links import Links

CALENDAR_MEDIA_TYPE = "text/calendar"
TZID = "Europe/Amsterdam"
PRODID = "-//Ministerie van Defensie//Defensie Challengeportaal//NL"


@lru_cache(maxsize=16)
def _timezone(first_year: int, last_year: int) -> Timezone:
    """The VTIMEZONE for the years the events fall in (building one takes a while: kept per range)."""
    return Timezone.from_tzid(TZID, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


def _uid(challenge: Challenge, stage: ChallengeStage, what: str, links: Links) -> str:
    host = urlsplit(links.base_url).hostname or "localhost"
    return f"{challenge.slug}.{stage.key}.{what}@{host}"


def _event(
    challenge: Challenge, stage: ChallengeStage, what: str, at: datetime, *, language: str, links: Links
) -> Event:
    title, stage_title = challenge.title(language), challenge_service.stage_title(stage, language)
    url = links.url("challenge_detail", slug=challenge.slug)
    if what == "deadline":
        summary = i18n.translate(language, "Deadline: %(title)s, %(stage)s", title=title, stage=stage_title)
    else:
        summary = i18n.translate(
            language, "Last day for questions: %(title)s, %(stage)s", title=title, stage=stage_title
        )
    description = i18n.translate(
        language, "Dutch time (Europe/Amsterdam): %(when)s.", when=format_local_datetime(at, language)
    )
    event = Event()
    event.add("uid", _uid(challenge, stage, what, links))
    event.add("dtstamp", ensure_utc(challenge.updated_at))
    event.add("last-modified", ensure_utc(challenge.updated_at))
    event.add("sequence", challenge.current_version)
    event.add("dtstart", to_local(at))
    event.add("summary", summary)
    event.add("description", f"{description}\n{url}")
    event.add("url", url)
    event.add("transp", "TRANSPARENT")
    event.add("status", "CANCELLED" if challenge.is_cancelled else "CONFIRMED")
    return event


def _events(challenge: Challenge, *, language: str, links: Links) -> list[Event]:
    events: list[Event] = []
    for stage in challenge.stages:
        if stage.question_deadline_at < stage.deadline_at:
            events.append(
                _event(challenge, stage, "questions", stage.question_deadline_at, language=language, links=links)
            )
        events.append(_event(challenge, stage, "deadline", stage.deadline_at, language=language, links=links))
    return events


def build_calendar(challenges: list[Challenge], *, name: str, language: str, links: Links, now: datetime) -> bytes:
    """One calendar with the deadlines of ``challenges``, named ``name``, in ``language``."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    events = [event for challenge in challenges for event in _events(challenge, language=language, links=links)]
    years = [to_local(stage.opens_at).year for c in challenges for stage in c.stages] + [
        to_local(stage.deadline_at).year for c in challenges for stage in c.stages
    ]
    calendar.add_component(_timezone(min(years, default=now.year), max(years, default=now.year)))
    for event in events:
        calendar.add_component(event)
    result: bytes = calendar.to_ical()
    return result
