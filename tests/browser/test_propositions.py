"""A proposition without a challenge in a real browser: a company sends one with a document, its regional team's
coordinator tags it with a second team and declines it with a reason, the company reads both; Dutch and English,
axe on every page."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from app.accounts import sessions
from app.challenges.models import Challenge
from app.organisations.models import Membership, Organisation
from app.organisations.regions.models import Region, RegionMember
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context, watch_responses
from tests.factories import create_user
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.browser


def _company_context(browser: Browser, server: LiveServer, unique: str, language: str):  # type: ignore[no-untyped-def]
    """A member of a company in Delft (ODIN Zuidwest), acting for it."""
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        user = create_user(session, email=f"company-{unique}@browser.example", name="Carla", at=now - timedelta(days=1))
        organisation = Organisation(
            legal_name=f"Propositie {unique} B.V.", kvk_number=str(int(unique, 16) % 100_000_000).zfill(8),
            country="NL", postcode="2628 EB", province="NL-ZH", created_at=now,
        )  # fmt: skip
        session.add(organisation)
        session.flush()
        session.add(Membership(organisation_id=organisation.id, user_id=user.id, role="admin", joined_at=now))
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, auth = sessions.start_session(
            session, user=user, now=now, policy=policy, ip="127.0.0.1", user_agent="pw"
        )
        auth.acting_organisation_id = organisation.id
        session.commit()
    context = browser.new_context(base_url=server.base_url, locale="nl-NL")
    watch_responses(context, server.errors)
    context.add_cookies(
        [
            {"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url},
            {"name": "portal_lang", "value": language, "url": server.base_url},
        ]
    )
    return context


def _regional_coordinator(server: LiveServer, unique: str):  # type: ignore[no-untyped-def]
    with server.db.unit_of_work() as session:
        user = create_user(session, email=f"zw-{unique}@mindef.example", name="Ziggy", roles=("coordinator",))
        region_id = session.scalars(select(Region.id).where(Region.key == "zuidwest")).one()
        session.merge(RegionMember(user_id=user.id, region_id=region_id, assigned_at=server.clock.now()))
        session.commit()
        return user


@pytest.mark.parametrize("language", ["nl", "en"])
def test_proposition_sent_declined_and_read(
    browser: Browser, server: LiveServer, language: str, tmp_path: Path
) -> None:
    unique = uuid.uuid4().hex[:8]
    title = f"Kwantumradar {unique}"
    company = _company_context(browser, server, unique, language)
    coordinator = logged_in_context(browser, server, _regional_coordinator(server, unique), language)
    try:
        page = company.new_page()
        page.goto("/propositions/new")
        assert_accessible(page)
        page.locator("#title").fill(title)
        page.locator("#effect").fill("Ziet kleine drones op 5 km.")
        page.locator("#nld_area").select_option("quantum")
        page.locator("#trl").fill("12")
        page.locator("#description").fill("Een radar op kwantumprincipes.")
        page.locator("#description").press("Tab")
        page.get_by_role(
            "button", name="De propositie versturen" if language == "nl" else "Send the proposition"
        ).click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert_accessible(page)
        page.locator("#trl").fill("5")
        page.get_by_role(
            "button", name="De propositie versturen" if language == "nl" else "Send the proposition"
        ).click()
        expect(page.locator("h1")).to_have_text(title)
        assert_accessible(page)
        pdf = tmp_path / "plan.pdf"
        pdf.write_bytes(pdf_bytes())
        page.locator("#file").set_input_files(str(pdf))
        page.get_by_role("button", name="Uploaden" if language == "nl" else "Upload").click()
        expect(page.get_by_role("link", name="plan.pdf")).to_be_visible()
        proposition_url = page.url

        staff = coordinator.new_page()
        staff.goto("/manage/propositions")
        assert_accessible(staff)
        staff.get_by_role("link", name=title).click()
        assert_accessible(staff)
        noord = "ODIN Noord (MindBase Groningen)" if language == "nl" else "ODIN North (MindBase Groningen)"
        staff.get_by_label(noord).check()
        staff.get_by_role(
            "button", name="Regionale teams opslaan" if language == "nl" else "Save the regional teams"
        ).click()
        expect(staff.locator("#proposition-regions")).to_contain_text(noord)
        expect(staff.get_by_label(noord)).to_be_checked()
        assert_accessible(staff)
        staff.locator("#step-4").check()
        staff.get_by_role("button", name="De triage opslaan" if language == "nl" else "Save the triage").click()
        expect(staff.locator(".error-summary")).to_be_visible()
        assert_accessible(staff)
        staff.locator("#step-4").check()
        staff.locator("#message").fill("Geen toepassing binnen Defensie.")
        staff.get_by_role("button", name="De triage opslaan" if language == "nl" else "Save the triage").click()
        expect(staff.locator(".badge").first).to_have_text("Afgewezen" if language == "nl" else "Declined")

        page.goto(proposition_url)
        expect(page.get_by_text("Geen toepassing binnen Defensie.")).to_be_visible()
        expect(page.locator("#proposition-regions")).to_contain_text(noord)
        assert_accessible(page)
    finally:
        company.close()
        coordinator.close()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_regional_team_pages_accessible(browser: Browser, server: LiveServer, language: str) -> None:
    unique = uuid.uuid4().hex[:8]
    with server.db.unit_of_work() as session:
        admin = create_user(session, email=f"admin-{unique}@mindef.example", name="Adam", roles=("administrator",))
        slug = session.scalars(select(Challenge.slug).order_by(Challenge.id)).first()
    context = logged_in_context(browser, server, admin, language)
    try:
        page = context.new_page()
        page.goto("/admin/regions")
        assert_accessible(page)
        page.get_by_role("link", name="noord", exact=True).click()
        expect(page.locator("#key")).to_have_value("noord")
        assert_accessible(page)
        page.locator("#member_email").fill("nobody@mindef.example")
        page.get_by_role("button", name="Aan het team toevoegen" if language == "nl" else "Add to the team").click()
        expect(page.locator(".error-summary")).to_be_visible()
        assert_accessible(page)
        page.goto(f"/manage/challenges/{slug}")
        page.locator("#challenge-regions").click()
        expect(page.locator("#regions-1")).to_be_visible()
        assert_accessible(page)
    finally:
        context.close()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_admin_gives_areas_and_the_coordinator_reads_them(browser: Browser, server: LiveServer, language: str) -> None:
    """The NLD-gebieden form on the user's page, posted through the page; the coordinator's account page shows the
    team and the areas."""
    unique = uuid.uuid4().hex[:8]
    with server.db.unit_of_work() as session:
        admin = create_user(session, email=f"admin-{unique}@mindef.example", name="Adam", roles=("administrator",))
    coordinator = _regional_coordinator(server, unique)
    staff = logged_in_context(browser, server, admin, language)
    own = logged_in_context(browser, server, coordinator, language)
    try:
        page = staff.new_page()
        page.goto(f"/admin/users/{coordinator.id}")
        assert_accessible(page)
        page.get_by_label("Quantum", exact=True).check()
        page.get_by_role("button", name="NLD-gebieden opslaan" if language == "nl" else "Save the NLD-gebieden").click()
        expect(page.get_by_role("status")).to_contain_text(
            "De NLD-gebieden zijn opgeslagen." if language == "nl" else "The NLD-gebieden were saved."
        )
        expect(page.get_by_label("Quantum", exact=True)).to_be_checked()
        assert_accessible(page)
        account = own.new_page()
        account.goto("/account")
        expect(account.locator("#section-team + ul")).to_contain_text(
            "ODIN Zuidwest (MindBase Delft)" if language == "nl" else "ODIN South-West (MindBase Delft)"
        )
        expect(account.locator("#section-areas + ul")).to_have_text("Quantum")
        assert_accessible(account)
    finally:
        staff.close()
        own.close()
