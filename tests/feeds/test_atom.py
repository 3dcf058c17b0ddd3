"""The Atom feed of new and changed challenges, parsed back with feedparser and checked against RFC 4287."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import feedparser
from fastapi.testclient import TestClient
from lxml import etree
from sqlalchemy.orm import Session

from app.challenges.models import Challenge
from tests.factories import EARLIER, create_challenge
from tests.feeds.helpers import CANCELLED_AT, EXTENDED_AT, NOTA_AT, announce, cancel, extend

ATOM = "{http://www.w3.org/2005/Atom}"
BASE = "http://testserver/"


def _history(session: Session) -> Challenge:
    """Published (EARLIER), extended (a new version), a Nota version, then cancelled."""
    challenge = create_challenge(session)
    extend(session, challenge, until=datetime(2027, 3, 12, 17, 0))
    announce(session, challenge)
    cancel(session, challenge)
    return challenge


def _parse(response: Any) -> Any:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def _utc(struct: Any) -> datetime:
    return datetime(*struct[:6], tzinfo=UTC)


def test_feed_lists_publication_change_nota_and_cancellation_newest_first(client: TestClient, session: Session) -> None:
    _history(session)
    parsed = _parse(client.get("/feeds/challenges.atom", params={"lang": "en"}))
    titles = [entry.title for entry in parsed.entries]
    assert titles[0] == "Cancelled: Test challenge sensors"
    assert titles[-1] == "Published: Test challenge sensors"
    assert "Changed: Test challenge sensors (version 2)" in titles
    assert any(title.startswith("Nota van Inlichtingen version") for title in titles)
    times = [_utc(entry.updated_parsed) for entry in parsed.entries]
    assert times == sorted(times, reverse=True)
    assert times[0] == CANCELLED_AT and times[-1] == EARLIER
    assert EXTENDED_AT in times and NOTA_AT in times
    assert _utc(parsed.feed.updated_parsed) == CANCELLED_AT
    cancelled = parsed.entries[0]
    assert cancelled.summary == "Reason: Het budget is vervallen"
    changed = next(entry for entry in parsed.entries if entry.title.startswith("Changed"))
    assert changed.summary == "Reason: Meer tijd voor de veldproef"


def test_feed_ids_and_links_are_absolute_under_the_base_url_and_stable(client: TestClient, session: Session) -> None:
    _history(session)
    parsed = _parse(client.get("/feeds/challenges.atom", params={"lang": "en"}, headers={"host": "evil.example"}))
    assert parsed.feed.id == BASE + "feeds/challenges.atom?lang=en"
    links = {link.rel: link.href for link in parsed.feed.links}
    assert links == {"self": BASE + "feeds/challenges.atom?lang=en", "alternate": BASE}
    ids = [entry.id for entry in parsed.entries]
    assert len(set(ids)) == len(ids)
    assert all(entry_id.startswith(BASE + "challenges/test-challenge#") for entry_id in ids)
    for entry in parsed.entries:
        assert entry.link.startswith(BASE + "challenges/test-challenge")
    nota = next(entry for entry in parsed.entries if entry.title.startswith("Nota"))
    assert nota.link.startswith(BASE + "challenges/test-challenge/nota/")
    again = _parse(client.get("/feeds/challenges.atom", params={"lang": "en"}))
    assert [entry.id for entry in again.entries] == ids
    dutch = _parse(client.get("/feeds/challenges.atom", params={"lang": "nl"}))
    assert not set(ids) & {entry.id for entry in dutch.entries}


def test_feed_meets_rfc_4287_structure(client: TestClient, session: Session) -> None:
    _history(session)
    root = etree.fromstring(client.get("/feeds/challenges.atom", params={"lang": "nl"}).content)
    assert root.tag == f"{ATOM}feed"
    assert root.get("{http://www.w3.org/XML/1998/namespace}lang") == "nl"
    for name in ("id", "title", "updated"):
        assert len(root.findall(f"{ATOM}{name}")) == 1, name
    # Every entry has an author through the feed's author; one id, title, updated and summary; an alternate link.
    assert root.find(f"{ATOM}author/{ATOM}name") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 5
    for entry in entries:
        for name in ("id", "title", "updated", "summary"):
            assert len(entry.findall(f"{ATOM}{name}")) == 1, name
        # A link without rel is the alternate one (RFC 4287, 4.2.7.2).
        alternates = [link for link in entry.findall(f"{ATOM}link") if link.get("rel", "alternate") == "alternate"]
        assert len(alternates) == 1 and alternates[0].get("href").startswith(BASE)
    self_links = [link for link in root.findall(f"{ATOM}link") if link.get("rel") == "self"]
    assert self_links[0].get("type") == "application/atom+xml"


def test_feed_speaks_the_visitors_language_unless_asked(client: TestClient, session: Session) -> None:
    create_challenge(session)
    dutch = _parse(client.get("/feeds/challenges.atom"))
    assert dutch.feed.language == "nl"
    assert [entry.title for entry in dutch.entries] == ["Gepubliceerd: Testchallenge sensoren"]
    assert dutch.entries[0].summary == "Een korte samenvatting."
    client.get("/language/en?next=/")
    english = _parse(client.get("/feeds/challenges.atom"))
    assert english.feed.title == "Defence industry challenges: new and changed"
    assert [entry.title for entry in english.entries] == ["Published: Test challenge sensors"]
    assert _parse(client.get("/feeds/challenges.atom", params={"lang": "nl"})).feed.language == "nl"
    # An unknown language is the visitor's language, not an error.
    assert _parse(client.get("/feeds/challenges.atom", params={"lang": "fr"})).feed.language == "en"


def test_feed_leaves_drafts_out_and_is_valid_when_empty(client: TestClient, session: Session) -> None:
    create_challenge(session, slug="secret-draft", publish=False, title={"nl": "Geheim concept", "en": "Draft"})
    response = client.get("/feeds/challenges.atom")
    assert "Geheim concept" not in response.text and "secret-draft" not in response.text
    parsed = _parse(response)
    assert parsed.entries == []
    assert parsed.feed.updated


def test_pages_link_the_feed(client: TestClient, session: Session) -> None:
    create_challenge(session)
    for path in ("/", "/challenges/test-challenge"):
        body = client.get(path).text
        assert (
            '<link rel="alternate" type="application/atom+xml" hreflang="nl" '
            'title="Nieuwe en gewijzigde challenges (Atom-feed)"' in body
        )
        assert 'href="/feeds/challenges.atom?lang=nl"' in body
    assert ">Atom-feed</a>" in client.get("/").text
