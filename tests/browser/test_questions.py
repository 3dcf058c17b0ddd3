"""A company asks a question, a coordinator answers and publishes, the public Nota shows it anonymously."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from app.accounts import sessions
from app.challenges import service as challenge_service
from app.challenges.models import ChallengeCoordinator
from tests.browser.harness import LiveServer, assert_accessible, tab_to
from tests.factories import create_user

pytestmark = pytest.mark.browser

SLUG = "ammunition-reuse"


def _context(
    browser: Browser, server: LiveServer, email: str, name: str, *, coordinator: bool = False
) -> BrowserContext:
    """A browser context with a live session (past the second factor for staff), made in the server's database."""
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        roles = ("coordinator",) if coordinator else ()
        user = create_user(session, email=email, name=name, roles=roles, at=now - timedelta(days=1))
        if coordinator:
            challenge = challenge_service.get_challenge_by_slug(session, slug=SLUG)
            session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=user.id, assigned_at=now))
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, auth = sessions.start_session(
            session, user=user, now=now, policy=policy, ip="127.0.0.1", user_agent="pw"
        )
        if coordinator:
            auth.mfa_verified_at = now
        session.commit()
    context = browser.new_context(base_url=server.base_url, locale="nl-NL")
    context.add_cookies([{"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url}])
    return context


def _ask(page: Page, language: str, question: str) -> None:
    page.goto(f"/language/{language}?next=/challenges/{SLUG}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_accessible(page)
    page.get_by_role("button", name="Deze challenge volgen" if language == "nl" else "Follow this challenge").click()
    expect(
        page.get_by_text("U volgt deze challenge." if language == "nl" else "You follow this challenge.")
    ).to_be_visible()
    page.get_by_role("link", name="Een vraag stellen" if language == "nl" else "Ask a question").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Een vraag stellen" if language == "nl" else "Ask a question"
    )
    assert_accessible(page)

    # Sent empty first: the form comes back with the message at the field and the chosen part kept.
    page.locator("#section").select_option("criteria")
    tab_to(page, "el.tagName === 'BUTTON' && el.type === 'submit' && el.form && el.form.action.endsWith('/questions')")
    page.keyboard.press("Enter")
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator("#text-error")).to_be_visible()
    expect(page.locator("#section")).to_have_value("criteria")
    assert_accessible(page)

    page.locator("#text").fill(question)
    page.get_by_role("button", name="De vraag versturen" if language == "nl" else "Send the question").click()
    expect(page.get_by_role("status")).to_be_visible()
    expect(page.get_by_role("cell", name=question)).to_be_visible()
    expect(page.get_by_role("cell", name="Ontvangen" if language == "nl" else "Received")).to_be_visible()
    assert_accessible(page)


def _answer_and_publish(page: Page, language: str, question: str, published: dict[str, str]) -> None:
    page.goto(f"/language/{language}?next=/manage/challenges/{SLUG}/questions")
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        "Vragen over" if language == "nl" else "Questions about"
    )
    assert_accessible(page)
    page.get_by_role("link", name=question).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Een vraag beantwoorden" if language == "nl" else "Answer a question"
    )
    assert_accessible(page)

    # Marking for publication without the English texts: refused, messages at the fields, input kept.
    page.locator("#question_nl").fill(published["question_nl"])
    page.locator("#question_en").fill("")  # the asker's wording (prefilled in their language) goes
    page.locator("#answer_nl").fill(published["answer_nl"])
    approve = "Opslaan en markeren voor publicatie" if language == "nl" else "Save and mark for publication"
    page.get_by_role("button", name=approve).click()
    expect(page.locator("#question_en-error")).to_be_visible()
    expect(page.locator("#answer_nl")).to_have_value(published["answer_nl"])
    assert_accessible(page)

    page.locator("#question_en").fill(published["question_en"])
    page.locator("#answer_en").fill(published["answer_en"])
    page.get_by_role("button", name=approve).click()
    expect(page.get_by_role("status")).to_have_text(
        "De vermelding is gemarkeerd voor publicatie." if language == "nl" else "The entry is marked for publication."
    )
    assert_accessible(page)
    page.get_by_role(
        "button", name="Een nieuwe versie publiceren" if language == "nl" else "Publish a new version"
    ).click()
    expect(page.get_by_role("status")).to_have_text(
        "Er is een nieuwe versie van de Nota van Inlichtingen gepubliceerd."
        if language == "nl"
        else "A new version of the Nota van Inlichtingen was published."
    )
    assert_accessible(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_question_answered_and_published_anonymously(browser: Browser, server: LiveServer, language: str) -> None:
    unique = uuid.uuid4().hex[:8]
    company_email = f"vrager-{unique}@browser.example"
    company_name = f"Vrager {unique}"
    question = f"Mag Bedrijf {unique} B.V. munitie van 1970 aanleveren?"
    published = {
        "question_nl": f"Mag munitie van 1970 worden aangeleverd? ({unique})",
        "question_en": f"May ammunition from 1970 be supplied? ({unique})",
        "answer_nl": f"Ja, mits gedocumenteerd ({unique}).",
        "answer_en": f"Yes, if documented ({unique}).",
    }
    company = _context(browser, server, company_email, company_name)
    coordinator = _context(browser, server, f"coord-{unique}@mindef.example", f"Coord {unique}", coordinator=True)
    public = browser.new_context(base_url=server.base_url, locale="nl-NL")
    try:
        _ask(company.new_page(), language, question)
        _answer_and_publish(coordinator.new_page(), language, question, published)

        page = public.new_page()
        page.goto(f"/language/{language}?next=/challenges/{SLUG}")
        shown_question = published["question_nl"] if language == "nl" else published["question_en"]
        expect(page.get_by_text(shown_question)).to_be_visible()
        assert_accessible(page)
        page.get_by_role(
            "link",
            name="Afdrukbare Nota van Inlichtingen met alle versies"
            if language == "nl"
            else "Printable Nota van Inlichtingen with all versions",
        ).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Nota van Inlichtingen")
        expect(page.get_by_text(shown_question)).to_be_visible()
        expect(page.get_by_text(published["answer_nl"] if language == "nl" else published["answer_en"])).to_be_visible()
        body = page.locator("body").inner_text()
        for identity in (company_email, company_name, f"Bedrijf {unique}", question):
            assert identity not in body
        assert_accessible(page)

        asker = company.new_page()
        asker.goto(f"/challenges/{SLUG}/questions")
        expect(
            asker.get_by_role(
                "link",
                name="Beantwoord en gepubliceerd als vermelding"
                if language == "nl"
                else "Answered and published as entry",
            )
        ).to_be_visible()
        assert_accessible(asker)
    finally:
        company.close()
        coordinator.close()
        public.close()
