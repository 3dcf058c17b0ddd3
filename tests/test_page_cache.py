"""The page cache of the public pages: a kept page is served without running the view (one statement: the
version), and every change a visitor must see, or the clock passing a deadline, shows at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from app.accounts.sessions import SESSION_COOKIE
from app.audit.service import Actor, record_event
from app.challenges.models import Challenge
from app.clock import FrozenClock
from app.pagecache import accepts_gzip, etag_matches, valid_until
from tests.databases import TransactionalDatabase
from tests.factories import create_challenge, create_user, log_in
from tests.manage.helpers import form_data, post, staff
from tests.ocds.helpers import choose, decided
from tests.questions.helpers import answer, ask

DETAIL = "/challenges/test-challenge"
API = "/api/v1/challenges/test-challenge"
# The test challenge's stage closes 26 February 2027 17:00 CET.
DEADLINE = datetime(2027, 2, 26, 16, 0, tzinfo=UTC)


@contextmanager
def statements(tdb: TransactionalDatabase) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(tdb.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(tdb.engine, "before_cursor_execute", record)


class Visitor:
    """An anonymous browser on the same app as the logged-in ``client`` (its session cookie left out)."""

    def __init__(self, client: TestClient, tdb: TransactionalDatabase) -> None:
        self.client = client
        self.tdb = tdb
        self.statements = 0

    def get(self, path: str, **headers: str) -> Any:
        session = self.client.cookies.get(SESSION_COOKIE)
        if session is not None:
            self.client.cookies.delete(SESSION_COOKIE)
        try:
            with statements(self.tdb) as seen:
                response = self.client.get(path, headers=headers)
        finally:
            if session is not None:
                self.client.cookies.set(SESSION_COOKIE, session)
        self.statements = len(seen)
        return response

    def kept(self, path: str, **headers: str) -> Any:
        """The page, asserting it came from the cache: only the version was read."""
        response = self.get(path, **headers)
        assert response.status_code == 200
        assert self.statements == 1, f"{path} was rendered again ({self.statements} statements)"
        return response


@pytest.fixture
def visitor(client: TestClient, tdb: TransactionalDatabase) -> Visitor:
    return Visitor(client, tdb)


def warm(visitor: Visitor, *paths: str) -> None:
    for path in paths:
        visitor.get(path)
        visitor.kept(path)


def version(session: Session) -> int:
    return int(session.scalar(text("SELECT version FROM public_version WHERE id = 1")))


# --- served from the cache -------------------------------------------------------------------------


def test_a_kept_page_is_served_without_the_view_and_identical(
    visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    for path in ("/", DETAIL, API, "/api/v1/challenges"):
        first = visitor.get(path)
        assert first.status_code == 200 and visitor.statements > 1
        again = visitor.kept(path)
        assert again.content == first.content
        assert again.headers["etag"] == first.headers["etag"]
        assert again.headers["content-type"] == first.headers["content-type"]
        assert again.headers["cache-control"] == "private, no-cache"
        assert again.headers["content-security-policy"].startswith("default-src 'self'")
        assert again.headers["x-frame-options"] == "DENY"


def test_a_visitor_without_a_csrf_cookie_gets_one_from_a_kept_page(
    client: TestClient, visitor: Visitor, session: Session
) -> None:
    create_challenge(session)
    warm(visitor, "/")
    client.cookies.clear()
    response = visitor.kept("/")
    assert response.headers["set-cookie"].startswith("portal_csrf=")
    assert "HttpOnly" in response.headers["set-cookie"] and "SameSite=Lax" in response.headers["set-cookie"]
    assert visitor.kept("/").headers.get("set-cookie") is None  # the browser has it now


def test_unknown_challenge_is_not_kept(visitor: Visitor) -> None:
    assert visitor.get("/challenges/nothing-here").status_code == 404
    assert visitor.get("/challenges/nothing-here").status_code == 404
    assert visitor.statements > 1


# --- every change shows at once --------------------------------------------------------------------


def test_publishing_shows_the_challenge_at_once(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session, publish=False)
    warm(visitor, "/", "/api/v1/challenges")
    assert "Testchallenge sensoren" not in visitor.kept("/").text
    assert visitor.get(DETAIL).status_code == 404
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    assert post(client, "/manage/challenges/test-challenge/publish", {"reason": "Klaar"}).status_code == 303
    assert "Testchallenge sensoren" in visitor.get("/").text
    assert visitor.get(DETAIL).status_code == 200
    assert '"slug":"test-challenge"' in visitor.get("/api/v1/challenges").text


def test_a_correction_shows_at_once_in_both_languages(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    warm(visitor, "/", DETAIL, API)
    visitor.get(DETAIL, Cookie="portal_lang=en")
    english = visitor.kept(DETAIL, Cookie="portal_lang=en").text
    assert "Better sensors" not in english
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    changes = {"summary.nl": "Betere sensoren, nu.", "summary.en": "Better sensors, now.", "_reason": "Duidelijker"}
    response = post(client, "/manage/challenges/test-challenge/edit", {**form_data(), "action": "save", **changes})
    assert response.status_code == 303
    assert "Betere sensoren, nu." in visitor.get("/").text
    assert "Betere sensoren, nu." in visitor.get(DETAIL).text
    assert "Better sensors, now." in visitor.get(DETAIL, Cookie="portal_lang=en").text
    assert '"version":2' in visitor.get(API).text


def test_an_extension_shows_the_new_deadline_at_once(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    warm(visitor, "/", DETAIL, API)
    assert "12 maart 2027" not in visitor.kept(DETAIL).text
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    data = {"stage": "brief", "deadline": "2027-03-12T12:00", "reason": "Meer tijd voor consortia"}
    assert post(client, "/manage/challenges/test-challenge/extend", data).status_code == 303
    assert "12 maart 2027, 12:00 CET" in visitor.get(DETAIL).text
    assert "12 maart 2027, 12:00 CET" in visitor.get("/").text
    assert "2027-03-12T11:00:00" in visitor.get(API).text


def test_cancelling_shows_at_once(client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock) -> None:
    create_challenge(session)
    warm(visitor, "/", DETAIL, API)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    data = {"status_to": "cancelled", "status_reason": "Geen budget meer"}
    assert post(client, "/manage/challenges/test-challenge/status", data).status_code == 303
    page = visitor.get(DETAIL).text
    assert "Deze challenge is geannuleerd." in page and "Geen budget meer" in page
    assert '"status":"cancelled"' in visitor.get(API).text


def test_a_new_nota_version_shows_at_once(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    admin = staff(client, session, clock, email="adam@mindef.example", role="administrator")
    asker = create_user(session, email="vraag@alpha.example")
    answer(session, challenge, ask(session, challenge, asker, now=clock.now()), admin, now=clock.now())
    warm(visitor, DETAIL)
    assert "Ja, tot 5 kg." not in visitor.kept(DETAIL).text
    assert post(client, "/manage/challenges/test-challenge/nota/publish").status_code == 303
    assert "Ja, tot 5 kg." in visitor.get(DETAIL).text


def test_the_status_changes_the_moment_the_deadline_passes(
    visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    clock.set(DEADLINE - timedelta(minutes=2))
    assert "nog 2 minuten" in visitor.get(DETAIL).text
    clock.set(DEADLINE - timedelta(seconds=1))
    assert "nog 1 minuut" in visitor.get(DETAIL).text
    assert "nog 1 minuut" in visitor.kept(DETAIL).text
    assert '"phase":"open"' in visitor.get(API).text
    clock.set(DEADLINE)
    page = visitor.get(DETAIL).text
    assert "Deze challenge neemt geen nieuwe voorstellen meer aan." in page and "nog 1 minuut" not in page
    assert '"phase":"closed"' in visitor.get(API).text


def test_a_deadline_inside_a_minute_turns_the_page_at_that_second(
    visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    challenge: Challenge = create_challenge(session)
    deadline = DEADLINE + timedelta(seconds=30)
    challenge.stages[0].deadline_at = deadline
    session.commit()
    clock.set(deadline - timedelta(minutes=2, seconds=20))  # 2 min 20 s left
    assert "nog 2 minuten" in visitor.get(DETAIL).text
    clock.set(deadline - timedelta(minutes=2, seconds=1))
    assert "nog 2 minuten" in visitor.kept(DETAIL).text
    clock.set(deadline - timedelta(minutes=1, seconds=59))  # same minute of the clock, one minute less to go
    assert "nog 1 minuut" in visitor.get(DETAIL).text
    clock.set(deadline - timedelta(seconds=25))  # 16:00:05
    assert "nog 1 minuut" in visitor.get(DETAIL).text
    clock.set(deadline - timedelta(seconds=1))
    assert "nog 1 minuut" in visitor.kept(DETAIL).text
    clock.set(deadline)  # 16:00:30, inside the minute that started at 16:00
    assert "Deze challenge neemt geen nieuwe voorstellen meer aan." in visitor.get(DETAIL).text


def test_every_table_the_public_pages_read_bumps_the_version(
    session: Session, clock: FrozenClock, client: TestClient
) -> None:
    """Any change, whatever made it (a later migration that rebuilds one of these tables on SQLite would drop its
    triggers: this fails then)."""
    challenge = create_challenge(session)
    admin = staff(client, session, clock, email="adam@mindef.example", role="administrator")
    asker = create_user(session, email="v@a.example")
    answer(session, challenge, ask(session, challenge, asker, now=clock.now()), admin, now=clock.now())
    before = version(session)
    assert post(client, "/manage/challenges/test-challenge/nota/publish").status_code == 303  # nota_version: insert
    assert version(session) > before
    for table in ("challenge", "challenge_version", "challenge_stage", "taxonomy_term", "statement", "region"):
        before = version(session)
        session.execute(text(f"UPDATE {table} SET id = id"))
        session.commit()
        assert version(session) > before, table
    before = version(session)
    session.execute(text("DELETE FROM challenge_tag"))
    session.commit()
    assert version(session) > before
    region = session.scalar(text("SELECT id FROM region WHERE key = 'noord'"))
    for statement in (
        f"INSERT INTO challenge_region (challenge_id, region_id) VALUES ({challenge.id}, {region})",
        "DELETE FROM challenge_region",
    ):
        before = version(session)
        session.execute(text(statement))
        session.commit()
        assert version(session) > before, statement


def test_questions_asked_do_not_change_the_version(session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    before = version(session)
    ask(session, challenge, create_user(session, email="v@a.example"), now=clock.now())
    assert version(session) == before


# --- validators, compression, languages, logged-in users --------------------------------------------


def test_etag_answers_304_until_the_page_changes(visitor: Visitor, session: Session, clock: FrozenClock) -> None:
    create_challenge(session)
    etag = visitor.get(DETAIL, **{"Accept-Encoding": "identity"}).headers["etag"]
    not_modified = visitor.get(DETAIL, **{"Accept-Encoding": "identity", "If-None-Match": etag})
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified.headers["etag"] == etag
    weak = visitor.get(DETAIL, **{"Accept-Encoding": "identity", "If-None-Match": f'"other", W/{etag}'})
    assert weak.status_code == 304
    clock.set(DEADLINE + timedelta(minutes=1))
    changed = visitor.get(DETAIL, **{"Accept-Encoding": "identity", "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["etag"] != etag


def test_large_pages_are_compressed_when_accepted(visitor: Visitor, session: Session) -> None:
    create_challenge(session)
    plain = visitor.get(DETAIL, **{"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    for _ in range(2):
        packed = visitor.get(DETAIL, **{"Accept-Encoding": "gzip, deflate"})
        assert packed.headers["content-encoding"] == "gzip"
        assert packed.content == plain.content  # decoded by the client
        assert int(packed.headers["content-length"]) < len(plain.content) / 2
        assert packed.headers["etag"] != plain.headers["etag"]
        assert packed.headers["vary"] == "Accept-Encoding, Accept-Language, Cookie"
    refused = visitor.get(DETAIL, **{"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers


def test_dutch_and_english_pages_are_kept_apart(visitor: Visitor, session: Session) -> None:
    create_challenge(session)
    for _ in range(2):
        dutch = visitor.get("/")
        english = visitor.get("/", Cookie="portal_lang=en")
        assert '<html lang="nl">' in dutch.text and dutch.headers["content-language"] == "nl"
        assert '<html lang="en">' in english.text and english.headers["content-language"] == "en"
        assert "Testchallenge sensoren" in dutch.text and "Test challenge sensors" in english.text
    assert visitor.statements == 1
    assert visitor.get("/", Cookie="portal_lang=xx").headers["content-language"] == "nl"


def test_a_logged_in_user_gets_their_own_header_never_kept(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    warm(visitor, "/", DETAIL)
    assert "Uitloggen" not in visitor.kept("/").text
    user = create_user(session, email="lid@alpha.example")
    log_in(client, session, user, now=clock.now())
    for path in ("/", DETAIL):
        own = client.get(path)
        assert "Uitloggen" in own.text and "Mijn voorstellen" in own.text and 'name="csrf_token"' in own.text
        assert own.headers["cache-control"] == "no-store"
        assert "etag" not in own.headers and "content-encoding" not in own.headers
    anonymous = visitor.kept("/").text
    assert "Uitloggen" not in anonymous and "Inloggen" in anonymous


# --- pure parts ------------------------------------------------------------------------------------


def test_valid_until_stops_at_the_next_minute_and_at_minutes_before_a_stage_time() -> None:
    now = datetime(2027, 2, 26, 15, 58, 10, tzinfo=UTC)
    assert valid_until(now, []) == datetime(2027, 2, 26, 15, 59, tzinfo=UTC)
    deadline = datetime(2027, 2, 26, 16, 0, 30, tzinfo=UTC)
    assert valid_until(now, [deadline]) == datetime(2027, 2, 26, 15, 58, 30, tzinfo=UTC)
    assert valid_until(deadline - timedelta(seconds=10), [deadline]) == deadline
    assert valid_until(deadline, [deadline]) == datetime(2027, 2, 26, 16, 1, tzinfo=UTC)  # past: no longer counts
    exact = datetime(2027, 2, 26, 15, 58, 30, tzinfo=UTC)
    assert valid_until(exact, [deadline]) == datetime(2027, 2, 26, 15, 59, tzinfo=UTC)


def test_accept_encoding_and_if_none_match_parsing() -> None:
    assert accepts_gzip(b"gzip, deflate, br")
    assert accepts_gzip(b"br;q=1.0, gzip;q=0.5")
    assert accepts_gzip(b"*")
    assert not accepts_gzip(b"gzip;q=0")
    assert not accepts_gzip(b"deflate, br")
    assert etag_matches(b'"a", "b"', b'"b"')
    assert etag_matches(b'W/"b"', b'"b"')
    assert etag_matches(b"*", b'"b"')
    assert not etag_matches(b'"a"', b'"b"')


def test_a_change_of_the_publication_choice_shows_at_once(
    visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    """The outcome comes from audit events (the release, the choice of what may be published), not from the
    challenge's own tables: those events bump the version too."""
    s = decided(session, clock, names_after=False)
    path = f"/challenges/{s.challenge.slug}"
    warm(visitor, path)
    assert "Alpha Sensoren B.V." not in visitor.kept(path).text
    choose(session, s, clock.now(), names=True)
    assert "Alpha Sensoren B.V." in visitor.get(path).text


def test_only_audit_events_that_change_an_outcome_bump_the_version(session: Session, clock: FrozenClock) -> None:
    actor = Actor(user_id=None, label="test")
    for action, bumps in (("challenge.publication", True), ("decision.release", True), ("user.login", False)):
        before = version(session)
        record_event(session, actor=actor, action=action, object_type="challenge", object_id=1, at=clock.now())
        session.commit()
        assert (version(session) > before) is bumps, action


# --- market dialogue (migration 0032) ----------------------------------------------------------------


def test_event_pages_are_kept_and_a_registration_shows_the_places_left_at_once(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    from tests.events.helpers import PUBLIC, as_user, company_user, coordinator, publish_event

    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    event = publish_event(client, session)
    page = f"{PUBLIC}/{event.id}"
    warm(visitor, page, PUBLIC, DETAIL)
    assert '<dd id="places">2 / 2</dd>' in visitor.kept(page).text
    as_user(client, session, clock, company_user(session, clock, email="a@alpha.example", kvk="90000001"))
    assert post(client, f"{page}/register").status_code == 303
    assert '<dd id="places">1 / 2</dd>' in visitor.get(page).text
    assert visitor.statements > 1
    assert "1 / 2" in visitor.get(PUBLIC).text


def test_registration_closing_turns_a_kept_event_page_at_that_second(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    from tests.events.helpers import PUBLIC, coordinator, publish_event

    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    event = publish_event(client, session)
    page = f"{PUBLIC}/{event.id}"
    clock.set(event.registration_deadline_at - timedelta(seconds=20))
    assert "Log in om u aan te melden voor deze bijeenkomst" in visitor.get(page).text
    clock.set(event.registration_deadline_at - timedelta(seconds=1))
    assert "Log in om u aan te melden voor deze bijeenkomst" in visitor.kept(page).text
    clock.set(event.registration_deadline_at)
    assert "Aanmelden voor deze bijeenkomst is gesloten." in visitor.get(page).text


def test_every_market_dialogue_table_bumps_the_version(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from tests.events.helpers import PUBLIC, as_user, company_user, coordinator, publish_event

    challenge = create_challenge(session)
    coordinator(client, session, clock, challenge)
    before = version(session)
    event = publish_event(client, session)
    assert version(session) > before
    as_user(client, session, clock, company_user(session, clock, email="a@alpha.example", kvk="90000001"))
    before = version(session)
    assert post(client, f"{PUBLIC}/{event.id}/register").status_code == 303
    assert version(session) > before
    for table in ("market_event", "market_event_registration"):
        before = version(session)
        session.execute(text(f"UPDATE {table} SET id = id"))
        session.commit()
        assert version(session) > before, table


# --- the archive -------------------------------------------------------------------------------------------


def test_the_archive_is_kept_and_a_cancellation_shows_in_it_at_once(
    client: TestClient, visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    warm(visitor, "/archive")
    assert 'id="archive-test-challenge"' not in visitor.kept("/archive").text
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    data = {"status_to": "cancelled", "status_reason": "Geen budget meer"}
    assert post(client, "/manage/challenges/test-challenge/status", data).status_code == 303
    page = visitor.get("/archive").text
    assert 'id="archive-test-challenge"' in page and "Geen budget meer" in page


def test_a_challenge_enters_the_kept_archive_the_moment_its_deadline_passes(
    visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    clock.set(DEADLINE - timedelta(seconds=30))
    warm(visitor, "/archive")
    assert 'id="archive-test-challenge"' not in visitor.kept("/archive").text
    clock.set(DEADLINE)
    assert 'id="archive-test-challenge"' in visitor.get("/archive").text


def test_a_change_of_the_publication_choice_shows_in_the_kept_archive_at_once(
    visitor: Visitor, session: Session, clock: FrozenClock
) -> None:
    s = decided(session, clock, names_after=False)
    warm(visitor, "/archive")
    assert f'id="archive-{s.challenge.slug}"' in visitor.kept("/archive").text
    assert "Alpha Sensoren B.V." not in visitor.kept("/archive").text
    choose(session, s, clock.now(), names=True)
    assert "Alpha Sensoren B.V." in visitor.get("/archive").text
