"""The public pages in a real browser: both languages, zero axe violations, and usable by keyboard alone."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import LiveServer, assert_accessible, tab_to

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["nl", "en"])
def test_challenge_list_is_accessible(page: Page, server: LiveServer, language: str) -> None:
    if language == "en":
        page.goto("/language/en?next=/")
    else:
        page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    heading = "Industriechallenges van Defensie" if language == "nl" else "Defence industry challenges"
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    # The three seeded challenges (other browser tests on the same server may have published more).
    for slug in ("counter-uas", "drone-munitions", "ammunition-reuse"):
        expect(page.locator(f".card a[href$='/challenges/{slug}']")).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize("language", ["nl", "en"])
@pytest.mark.parametrize("slug", ["counter-uas", "drone-munitions", "ammunition-reuse"])
def test_challenge_page_is_accessible(page: Page, server: LiveServer, slug: str, language: str) -> None:
    page.goto(f"/language/{language}?next=/challenges/{slug}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.locator("time").first).to_contain_text("CET")
    assert_accessible(page)


def test_not_found_page_is_accessible(page: Page, server: LiveServer, console_errors: list[str]) -> None:
    response = page.goto("/challenges/no-such-challenge")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Pagina niet gevonden")
    assert_accessible(page)
    # The browser reports the page's own 404 status on the console; nothing else may be there.
    assert [e for e in console_errors if "/challenges/no-such-challenge" not in e] == []
    console_errors.clear()


def test_keyboard_only_search_filter_and_open_challenge(page: Page, server: LiveServer) -> None:
    page.goto("/")
    # The first Tab reaches the skip link; Enter moves focus to the main content.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("Direct naar de inhoud")
    page.keyboard.press("Enter")
    tab_to(page, "el.id === 'q'")
    page.keyboard.type("dronemunitie")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=dronemunitie*")
    expect(page.locator(".card")).to_have_count(1)
    tab_to(page, "el.tagName === 'A' && el.closest('.card') !== null")
    page.keyboard.press("Enter")
    page.wait_for_url("**/challenges/drone-munitions")
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_keyboard_only_filter_by_focus_area(page: Page, server: LiveServer) -> None:
    page.goto("/")
    tab_to(page, "el.id === 'tag'")
    # A native select changes its value with the arrow keys while focused.
    page.keyboard.press("ArrowDown")
    value = page.eval_on_selector("#tag", "el => el.value")
    assert value == "slimme-materialen"
    tab_to(page, "el.tagName === 'BUTTON'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?*tag=slimme-materialen*")
    expect(page.get_by_role("status")).to_be_visible()


def test_keyboard_only_language_switch_sticks(page: Page, server: LiveServer) -> None:
    page.goto("/challenges/counter-uas")
    tab_to(page, "el.getAttribute('hreflang') === 'en'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/challenges/counter-uas")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Defence industry challenges")
