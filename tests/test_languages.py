"""Which language a page is in: ``?lang=`` (a shareable address per language), else the language cookie, else the
browser's ``Accept-Language``, else Dutch; the ``hreflang`` alternates of every page; and the page cache keyed
on the language so resolved, with ``Vary`` saying what the language came from."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.i18n import alternate_urls, negotiate_language, query_language, without_language
from tests.factories import create_challenge
from tests.test_page_cache import DETAIL, Visitor, visitor  # noqa: F401 - the anonymous visitor fixture


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en", "en"),
        ("en-GB,en;q=0.9", "en"),
        ("nl-NL,nl;q=0.9,en;q=0.8", "nl"),
        ("de-DE,de;q=0.9,en;q=0.5", "en"),
        ("en;q=0.3, nl;q=0.8", "nl"),
        ("nl;q=0, en;q=0.1", "en"),
        ("EN-us", "en"),
        ("fr, de", "nl"),
        ("*", "nl"),
        ("", "nl"),
        ("en;q=zero", "nl"),
        ("en;q=2", "nl"),
        ("en;q=0", "nl"),
    ],
)
def test_negotiate_language_honours_quality_and_falls_back_to_the_default(header: str, expected: str) -> None:
    assert negotiate_language(header, default="nl") == expected


def test_negotiate_language_reads_a_bounded_part_of_a_huge_header() -> None:
    assert negotiate_language("fr;q=0.1," * 100_000 + "en", default="nl") == "nl"


def test_query_language_takes_the_last_supported_lang() -> None:
    assert query_language("q=x&lang=nl&lang=en") == "en"
    assert query_language("lang=fr") is None
    assert without_language("lang=en&q=drones&tag=quantum") == "q=drones&tag=quantum"


def test_alternate_urls_are_absolute_per_language_and_keep_the_query() -> None:
    assert alternate_urls("https://portal.example/", "/", "q=drones&lang=en") == {
        "nl": "https://portal.example/?q=drones&lang=nl",
        "en": "https://portal.example/?q=drones&lang=en",
        "x-default": "https://portal.example/?q=drones",
    }


# --- over HTTP --------------------------------------------------------------------------------------------


def _language(response: object) -> str:
    match = re.search(r'<html lang="(\w+)">', response.text)  # type: ignore[attr-defined]
    assert match
    assert response.headers["content-language"] == match.group(1)  # type: ignore[attr-defined]
    return match.group(1)


@pytest.mark.parametrize(
    ("header", "expected"), [("en-US,en;q=0.9", "en"), ("nl-BE", "nl"), ("fr-FR, de;q=0.8", "nl"), (None, "nl")]
)
def test_first_visit_follows_accept_language(client: TestClient, header: str | None, expected: str) -> None:
    response = client.get("/login", headers={"Accept-Language": header} if header else {})
    assert response.status_code == 200
    assert _language(response) == expected


def test_the_language_cookie_outweighs_accept_language(client: TestClient) -> None:
    client.get("/language/nl")
    assert client.cookies.get("portal_lang") == "nl"
    assert _language(client.get("/login", headers={"Accept-Language": "en"})) == "nl"


def test_an_english_address_shows_english_whatever_cookie_and_browser_say(client: TestClient) -> None:
    client.get("/language/nl")
    response = client.get("/login?lang=en", headers={"Accept-Language": "nl"})
    assert _language(response) == "en"
    assert "portal_lang" not in response.headers.get("set-cookie", "")
    assert _language(client.get("/login", headers={"Accept-Language": "en"})) == "nl"  # nothing else changed


def test_an_unknown_lang_in_the_address_is_ignored(client: TestClient) -> None:
    assert _language(client.get("/login?lang=fr", headers={"Accept-Language": "en"})) == "en"


@pytest.mark.parametrize(
    "path", ["/", DETAIL, "/archive", "/transparency", "/login", "/register", "/receipts", f"{DETAIL}/nota"]
)
def test_every_public_page_names_its_address_per_language(client: TestClient, session: Session, path: str) -> None:
    create_challenge(session)
    page = client.get(path, headers={"Host": "evil.example"})
    assert page.status_code == 200
    for code, url in (("nl", f"{path}?lang=nl"), ("en", f"{path}?lang=en"), ("x-default", path)):
        assert f'<link rel="alternate" hreflang="{code}" href="http://testserver{url}">' in page.text
    assert "evil.example" not in page.text


def test_alternates_keep_the_query_and_the_switch_drops_lang(client: TestClient, session: Session) -> None:
    create_challenge(session)
    page = client.get("/?q=sensoren&lang=en").text
    assert '<link rel="alternate" hreflang="nl" href="http://testserver/?q=sensoren&amp;lang=nl">' in page
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/?q=sensoren">' in page
    # The switch to Dutch sets the cookie and returns to the page without ?lang=en, which would outweigh it.
    assert 'href="/language/nl?next=%2F%3Fq%3Dsensoren"' in page
    switched = client.get("/language/nl?next=%2F%3Fq%3Dsensoren")
    assert switched.headers["location"] == "/?q=sensoren"
    assert _language(client.get(switched.headers["location"], headers={"Accept-Language": "en"})) == "nl"


def test_pages_outside_the_cache_vary_on_accept_language_unless_the_address_names_one(client: TestClient) -> None:
    assert client.get("/login").headers["vary"] == "Accept-Language, Cookie"
    assert client.get("/login?lang=en").headers["vary"] == "Cookie"


# --- the page cache ---------------------------------------------------------------------------------------


def test_cached_dutch_page_is_never_served_to_an_english_first_visit(visitor: Visitor, session: Session) -> None:  # noqa: F811
    create_challenge(session)
    for path in ("/", DETAIL):
        visitor.get(path)
        dutch = visitor.kept(path)
        assert _language(dutch) == "nl"
        assert dutch.headers["vary"] == "Accept-Encoding, Accept-Language, Cookie"
        english = visitor.get(path, **{"Accept-Language": "en-GB,en;q=0.9"})
        assert _language(english) == "en"
        assert "Test challenge sensors" in english.text
        assert _language(visitor.kept(path, **{"Accept-Language": "en"})) == "en"
        assert _language(visitor.kept(path, **{"Accept-Language": "fr"})) == "nl"


def test_cached_dutch_page_is_never_served_for_an_english_address(visitor: Visitor, session: Session) -> None:  # noqa: F811
    create_challenge(session)
    visitor.get(DETAIL)
    assert _language(visitor.kept(DETAIL, Cookie="portal_lang=nl")) == "nl"
    english = visitor.get(f"{DETAIL}?lang=en", Cookie="portal_lang=nl", **{"Accept-Language": "nl"})
    assert _language(english) == "en"
    assert english.headers["vary"] == "Accept-Encoding, Cookie"
    kept = visitor.kept(f"{DETAIL}?lang=en", Cookie="portal_lang=nl")
    assert _language(kept) == "en"
    assert kept.headers["vary"] == "Accept-Encoding, Cookie"
    assert "portal_lang" not in kept.headers.get("set-cookie", "")
    # And the English page kept for the address is not served for the bare one.
    assert _language(visitor.kept(DETAIL)) == "nl"


def test_cached_english_page_is_never_served_to_a_dutch_cookie(visitor: Visitor, session: Session) -> None:  # noqa: F811
    create_challenge(session)
    visitor.get("/", **{"Accept-Language": "en"})
    assert _language(visitor.kept("/", **{"Accept-Language": "en"})) == "en"
    assert _language(visitor.get("/", Cookie="portal_lang=nl", **{"Accept-Language": "en"})) == "nl"
