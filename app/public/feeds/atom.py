"""The Atom 1.0 feed (RFC 4287) of the public events, written with feedgen in one language.

Every id and link is absolute under ``PORTAL_BASE_URL`` (``Links``), never taken from the request. An entry's id
names the event and the feed's language (``...#published-nl``), so the Dutch and the English feed never share
an entry id, and an entry keeps its id from one fetch to the next.
"""

from __future__ import annotations

import re
from datetime import datetime

from feedgen.feed import FeedGenerator

from app import i18n
from app.formatting import format_local_datetime
from app.links import Links
from app.public.feeds.service import EventKind, FeedEvent

ATOM_MEDIA_TYPE = "application/atom+xml"
# Characters XML 1.0 does not allow (a coordinator's reason is free text); lxml refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: str) -> str:
    return _NOT_XML.sub(" ", value)


def feed_url(links: Links, language: str) -> str:
    return f"{links.url('challenge_feed')}?lang={language}"


def _title(event: FeedEvent, language: str) -> str:
    title = event.challenge.title(language)
    if event.kind == EventKind.PUBLISHED:
        return i18n.translate(language, "Published: %(title)s", title=title)
    if event.kind == EventKind.CHANGED:
        return i18n.translate(language, "Changed: %(title)s (version %(n)s)", title=title, n=event.number)
    if event.kind == EventKind.CANCELLED:
        return i18n.translate(language, "Cancelled: %(title)s", title=title)
    return i18n.translate(language, "Nota van Inlichtingen version %(n)s: %(title)s", title=title, n=event.number)


def _summary(event: FeedEvent, language: str) -> str:
    if event.kind == EventKind.PUBLISHED:
        return event.challenge.summary(language)
    if event.kind == EventKind.NOTA:
        return i18n.translate(
            language,
            "Version %(n)s of the Nota van Inlichtingen of this challenge was published on %(when)s.",
            n=event.number,
            when=format_local_datetime(event.at, language),
        )
    return i18n.translate(language, "Reason: %(reason)s", reason=event.reason or "-")


def _link(event: FeedEvent, links: Links) -> str:
    if event.kind == EventKind.NOTA:
        return links.url("nota_version", slug=event.challenge.slug, number=event.number)
    return links.url("challenge_detail", slug=event.challenge.slug)


def _entry_id(event: FeedEvent, links: Links, language: str) -> str:
    page = links.url("challenge_detail", slug=event.challenge.slug)
    suffix = f"{event.kind.value}-{event.number}" if event.number is not None else event.kind.value
    return f"{page}#{suffix}-{language}"


def build_feed(events: list[FeedEvent], *, language: str, links: Links, now: datetime) -> bytes:
    """The feed of ``events`` (newest first) in ``language``; ``updated`` is the newest event's time, or ``now``
    when there is none."""
    feed = FeedGenerator()
    self_url = feed_url(links, language)
    feed.id(self_url)
    feed.title(i18n.translate(language, "Defence industry challenges: new and changed"))
    feed.subtitle(
        i18n.translate(
            language,
            "Published, changed and cancelled challenges of the Ministry of Defence, and new versions of their Nota van Inlichtingen.",
        )
    )
    feed.language(language)
    feed.author({"name": i18n.translate(language, "Ministry of Defence")})
    feed.link(href=self_url, rel="self", type=ATOM_MEDIA_TYPE)
    feed.link(href=links.url("challenge_list"), rel="alternate", type="text/html")
    feed.generator(i18n.translate(language, "Defence challenge portal"), uri=links.url("challenge_list"))
    feed.updated(events[0].at if events else now)
    for event in events:
        entry = feed.add_entry(order="append")
        entry.id(_entry_id(event, links, language))
        entry.title(_text(_title(event, language)))
        entry.updated(event.at)
        entry.published(event.at)
        # feedgen writes an entry's link with its href only: a link without rel is the alternate (RFC 4287, 4.2.7.2).
        entry.link(href=_link(event, links), rel="alternate")
        entry.summary(_text(_summary(event, language)), type="text")
        entry.category(term=event.kind.value)
    result: bytes = feed.atom_str(pretty=True)
    return result
