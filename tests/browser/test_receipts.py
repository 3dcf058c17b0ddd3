"""Checking a receipt in a real browser, without an account, in Dutch and English, by keyboard alone, with axe on
every state of the page: the form, a malformed code, an unknown code and a received one."""

from __future__ import annotations

import hashlib
import uuid

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.challenges.models import Challenge
from app.organisations.models import Organisation
from app.proposals.models import Proposal, ProposalVersion
from tests.browser.harness import LiveServer, assert_accessible, tab_to

pytestmark = pytest.mark.browser

TEXT = {
    "nl": {
        "link": "Een ontvangstbewijs controleren",
        "field": "Ontvangstcode (SHA-256)",
        "malformed": "Een ontvangstcode heeft 64 tekens",
        "unknown": "Het portaal heeft geen versie met deze ontvangstcode ontvangen.",
        "received": "Het portaal heeft een versie met deze ontvangstcode ontvangen.",
        "challenge": "Counter-UAS",
    },
    "en": {
        "link": "Check a receipt",
        "field": "Receipt code (SHA-256)",
        "malformed": "A receipt code has 64 characters",
        "unknown": "The portal has not received a version with this receipt code.",
        "received": "The portal received a version with this receipt code.",
        "challenge": "Counter-UAS",
    },
}


def _received_version(server: LiveServer) -> tuple[str, str]:
    """A version received for the counter-drone challenge, stored as a submission stores it; its code and
    its company's name."""
    marker = uuid.uuid4().hex[:8]
    name = f"Ontvangen Drone {marker} B.V."
    code = hashlib.sha256(marker.encode()).hexdigest()
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.slug == "counter-uas"))
        assert challenge is not None
        organisation = Organisation(
            legal_name=name, kvk_number=str(int(marker, 16) % 10**8).zfill(8), country="NL", created_at=now
        )
        session.add(organisation)
        session.flush()
        proposal = Proposal(
            challenge_id=challenge.id,
            stage_id=challenge.stages[0].id,
            organisation_id=organisation.id,
            status="submitted",
            draft={},
            version_count=1,
            created_at=now,
            updated_at=now,
            submitted_at=now,
        )
        session.add(proposal)
        session.flush()
        session.add(
            ProposalVersion(
                proposal_id=proposal.id,
                number=1,
                kind="submit",
                challenge_version=challenge.current_version,
                content={"organisation": {"legal_name": name}},
                receipt_hash=code,
                received_at=now,
                idempotency_key=marker,
            )
        )
        session.commit()
    return code, name


def _check(page: Page, code: str) -> None:
    """Type the code and send the form with the keyboard only."""
    page.locator("#code").fill("")
    tab_to(page, "el.id === 'code'")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_load_state()


@pytest.mark.parametrize("language", ["nl", "en"])
def test_anyone_checks_a_receipt_by_keyboard(
    page: Page, server: LiveServer, language: str, console_errors: list[str]
) -> None:
    text = TEXT[language]
    code, company = _received_version(server)
    page.goto(f"/language/{language}?next=/")
    page.locator("footer").get_by_role("link", name=text["link"]).click()
    page.wait_for_url("**/receipts")
    expect(page.get_by_role("heading", level=1)).to_have_text(text["link"])
    expect(page.get_by_label(text["field"])).to_be_visible()
    assert_accessible(page)

    _check(page, "not-a-code")
    expect(page.locator("#code-error")).to_contain_text(text["malformed"])
    expect(page.locator("#code")).to_have_attribute("aria-invalid", "true")
    assert_accessible(page)
    # The malformed code's answer is a 422 page, which Chromium reports on the console.
    console_errors[:] = [error for error in console_errors if "status of 422" not in error]

    _check(page, "f" * 64)
    expect(page.locator("#receipt-result")).to_contain_text(text["unknown"])
    assert_accessible(page)

    _check(page, code.upper())
    result = page.locator("#receipt-result")
    expect(result).to_contain_text(text["received"])
    expect(result.get_by_role("link", name=text["challenge"])).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(company)
    assert_accessible(page)
