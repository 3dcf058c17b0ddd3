"""Market dialogue in the browser: a coordinator publishes an event (a mistake first), a company registers and gets
the calendar file, the coordinator marks it held and publishes the summary, which the public pages show; every page
checked with axe, in Dutch and English."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.accounts import sessions
from app.accounts.models import User
from app.challenges import service as challenge_service
from app.clock import to_local
from app.evaluations.models import Decision
from tests.browser.harness import LiveServer, assert_accessible
from tests.browser.test_questions import SLUG, _context
from tests.manage.helpers import proposal_for
from tests.organisations.helpers import create_organisation

pytestmark = pytest.mark.browser


def _publish(page: Page, server: LiveServer, language: str, title: str) -> str:
    page.goto(f"/language/{language}?next=/manage/challenges/{SLUG}/events")
    assert_accessible(page)
    page.get_by_role("link", name="Nieuwe bijeenkomst" if language == "nl" else "New event").click()
    assert_accessible(page)
    starts = to_local(server.clock.now() + timedelta(days=30)).replace(hour=10, minute=0)
    page.locator("#kind").select_option("industry_day")
    page.locator("#title_nl").fill(f"{title} NL")
    page.locator("#title_en").fill(f"{title} EN")
    page.locator("#starts_at").fill(starts.strftime("%Y-%m-%dT%H:%M"))
    page.locator("#ends_at").fill((starts + timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"))
    page.locator("#online_url").fill("http://meet.example/room")
    page.locator("#capacity").fill("20")
    page.locator("#registration_deadline_at").fill((starts - timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    publish = "Bijeenkomst publiceren" if language == "nl" else "Publish the event"
    page.get_by_role("button", name=publish).click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#online_url-error")).to_be_visible()
    expect(page.locator("#title_nl")).to_have_value(f"{title} NL")
    assert_accessible(page)
    page.locator("#online_url").fill("https://meet.example/room")
    page.get_by_role("button", name=publish).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"{title} NL" if language == "nl" else f"{title} EN")
    assert_accessible(page)
    return page.url.rsplit("/", 1)[-1]


def _register(page: Page, language: str, event_id: str) -> None:
    page.goto(f"/language/{language}?next=/challenges/{SLUG}/events/{event_id}")
    assert_accessible(page)
    page.get_by_role("button", name="Aanmelden" if language == "nl" else "Register").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_role("link", name="https://meet.example/room")).to_be_visible()
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role(
            "link", name="bijeenkomst in uw agenda" if language == "nl" else "event to your calendar"
        ).click()
    assert download.value.suggested_filename == f"event-{event_id}.ics"


def _hold_and_summarise(page: Page, language: str, event_id: str, summary: str) -> None:
    page.goto(f"/language/{language}?next=/manage/challenges/{SLUG}/events/{event_id}")
    expect(page.get_by_role("cell", name="Aangemeld" if language == "nl" else "Registered")).to_be_visible()
    page.get_by_role("button", name="Markeren als gehouden" if language == "nl" else "Mark as held").click()
    assert_accessible(page)
    page.locator("#summary_nl").fill(f"{summary} (nl)")
    page.locator("#summary_en").fill(f"{summary} (en)")
    page.get_by_role("button", name="Samenvatting publiceren" if language == "nl" else "Publish the summary").click()
    expect(page.locator("#summary_nl")).to_have_value(f"{summary} (nl)")
    assert_accessible(page)


def _organisation(server: LiveServer, email: str, unique: str) -> None:
    with server.db.unit_of_work() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        kvk = str(int(unique, 16) % 90_000_000 + 10_000_000)
        create_organisation(session, user, now=server.clock.now(), legal_name=f"Bedrijf {unique} B.V.", kvk_number=kvk)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_event_published_registered_held_and_summarised(browser: Browser, server: LiveServer, language: str) -> None:
    unique = uuid.uuid4().hex[:8]
    coordinator = _context(browser, server, f"coord-ev-{unique}@mindef.example", f"Coord {unique}", coordinator=True)
    company = _context(browser, server, f"company-ev-{unique}@browser.example", f"Company {unique}")
    company.set_default_timeout(10000)
    public = browser.new_context(base_url=server.base_url, locale="nl-NL", accept_downloads=True)
    company_page = company.new_page()
    try:
        _organisation(server, f"company-ev-{unique}@browser.example", unique)
        event_id = _publish(coordinator.new_page(), server, language, f"Industriedag {unique}")
        _register(company_page, language, event_id)
        _hold_and_summarise(coordinator.new_page(), language, event_id, f"Samenvatting {unique}")
        page = public.new_page()
        page.goto(f"/language/{language}?next=/challenges/{SLUG}")
        expect(page.get_by_text(f"Samenvatting {unique} ({language})")).to_be_visible()
        assert_accessible(page)
        page.get_by_role("link", name="Alle bijeenkomsten" if language == "nl" else "All events").click()
        assert_accessible(page)
    finally:
        coordinator.close()
        company.close()
        public.close()


def _awarded(server: LiveServer, unique: str) -> tuple[int, str]:
    """A released award of the seeded challenge, made in the server's database; returns its id and member's e-mail."""

    email = f"winner-{unique}@browser.example"
    with server.db.unit_of_work() as session:
        challenge = challenge_service.get_challenge_by_slug(session, slug=SLUG)
        proposal = proposal_for(session, challenge, email=email, status="submitted", clock=server.clock)
        now = server.clock.now()
        session.add(
            Decision(
                proposal_id=proposal.id, outcome="award", feedback="Goed.", status="released", prepared_at=now,
                released_at=now,
            )
        )  # fmt: skip
        session.commit()
        return proposal.id, email


@pytest.mark.parametrize("language", ["nl", "en"])
def test_follow_up_kept_by_the_coordinator_and_read_by_the_company(
    browser: Browser, server: LiveServer, language: str
) -> None:
    unique = uuid.uuid4().hex[:8]
    proposal_id, email = _awarded(server, unique)
    coordinator = _context(browser, server, f"coord-fu-{unique}@mindef.example", f"Coord {unique}", coordinator=True)
    try:
        page = coordinator.new_page()
        page.goto(f"/language/{language}?next=/manage/challenges/{SLUG}/follow-up/{proposal_id}")
        assert_accessible(page)
        page.locator("#contract_route").select_option("adv")
        page.locator("#contract_reference").fill(f"DMO-{unique}")
        page.get_by_role("button", name="Contract opslaan" if language == "nl" else "Save the contract").click()
        expect(page.get_by_text(f"DMO-{unique}").first).to_be_visible()
        page.get_by_role("button", name="Mijlpaal toevoegen" if language == "nl" else "Add the milestone").click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert_accessible(page)
        page.locator("#title").fill(f"Prototype {unique}")
        page.locator("#due_on").fill("2027-09-01")
        page.get_by_role("button", name="Mijlpaal toevoegen" if language == "nl" else "Add the milestone").click()
        expect(page.get_by_role("cell", name=f"Prototype {unique}")).to_be_visible()
        assert_accessible(page)
    finally:
        coordinator.close()
    with server.db.unit_of_work() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        user_id = user.id
    company = browser.new_context(base_url=server.base_url, locale="nl-NL")
    try:
        with server.db.unit_of_work() as session:
            policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
            user = session.get_one(User, user_id)
            token, _auth = sessions.start_session(
                session, user=user, now=server.clock.now(), policy=policy, ip="127.0.0.1", user_agent="pw"
            )
            session.commit()
        company.add_cookies([{"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url}])
        page = company.new_page()
        page.goto(f"/language/{language}?next=/proposals/{proposal_id}/follow-up")
        expect(page.get_by_role("cell", name=f"Prototype {unique}")).to_be_visible()
        expect(page.get_by_text(f"DMO-{unique}")).to_be_visible()
        assert_accessible(page)
    finally:
        company.close()
