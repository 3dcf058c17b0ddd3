"""The transparency page in a real browser: reached from the footer, both languages, zero axe violations."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.harness import LiveServer, assert_accessible

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("language", "link", "heading"),
    [
        ("nl", "Transparantie: het audittrail", "Transparantie: het audittrail"),
        ("en", "Transparency: the audit trail", "Transparency: the audit trail"),
    ],
)
def test_transparency_page_from_the_footer_is_accessible(
    page: Page, server: LiveServer, language: str, link: str, heading: str
) -> None:
    page.goto(f"/language/{language}?next=/")
    page.locator("footer").get_by_role("link", name=link).click()
    page.wait_for_url("**/transparency")
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    expect(page.locator("code.audit-head").first).to_have_text(re.compile(r"^\d+:[0-9a-f]{64}$"))
    assert_accessible(page)
