"""A new company's whole journey in a real browser, in Dutch and English, with an accessibility check on
every page: register, confirm, log in, register the organisation, start a proposal for the counter-drone
challenge, add a partner, save a draft, upload the solution brief, submit, read the receipt, amend,
withdraw, submit again; then the clock passes the deadline and everything is read-only.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.notifications.models import OutboxMessage
from tests.browser.harness import LiveServer, assert_accessible
from tests.factories import LINKS
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.browser
PASSWORD = "a long and unusual passphrase 42"

TEXT = {
    "nl": {
        "write": "Een voorstel schrijven",
        "start": "Het voorstel beginnen",
        "add_partner": "Partner toevoegen",
        "save_shares": "Rollen en aandelen opslaan",
        "save_draft": "Concept opslaan",
        "upload": "Uploaden",
        "submit": "Het voorstel indienen",
        "amend": "De gewijzigde versie indienen",
        "withdraw": "Het voorstel intrekken",
        "received": "Wij hebben uw voorstel ontvangen.",
        "withdrawn": "Uw voorstel is ingetrokken.",
        "sum": "De aandelen in het werk tellen op tot 90%, niet 100%.",
        "words": "Gebruik hoogstens 250 woorden",
        "closed": "Dit voorstel kan niet meer worden gewijzigd.",
        "check": "Controleren",
        "intact": "De inhoud en elk document zijn precies zoals ontvangen.",
    },
    "en": {
        "write": "Write a proposal",
        "start": "Start the proposal",
        "add_partner": "Add partner",
        "save_shares": "Save roles and shares",
        "save_draft": "Save draft",
        "upload": "Upload",
        "submit": "Submit the proposal",
        "amend": "Submit the amended version",
        "withdraw": "Withdraw the proposal",
        "received": "We have received your proposal.",
        "withdrawn": "Your proposal has been withdrawn.",
        "sum": "The shares of the work add up to 90%, not 100%.",
        "words": "Use at most 250 words",
        "closed": "This proposal can no longer be changed.",
        "check": "Check",
        "intact": "The content and every document are exactly as received.",
    },
}


def _confirmation_path(server: LiveServer, email: str) -> str:
    with server.db.session() as session:
        body = session.scalar(
            select(OutboxMessage.body_text).where(OutboxMessage.to_address == email).order_by(OutboxMessage.id.desc())
        )
    assert body is not None
    match = re.search(r"/confirm/[A-Za-z0-9_\-]+", body)
    assert match
    return match.group(0)


def _register_and_log_in(page: Page, server: LiveServer, email: str, language: str) -> None:
    page.goto(f"/language/{language}?next=/register")
    assert_accessible(page)
    page.locator("#email").fill(email)
    page.locator("#name").fill("Sanne Start")
    page.locator("#password").fill(PASSWORD)
    page.locator("#password_confirm").fill(PASSWORD)
    page.locator("#password_confirm").press("Enter")
    page.goto(_confirmation_path(server, email))
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(r".*/(account|challenges|)$"))


def _register_organisation(page: Page, name: str, kvk: str) -> None:
    page.goto("/organisations/new")
    page.locator("#legal_name").fill(name)
    page.locator("#kvk_number").fill(kvk)
    page.locator("#street").fill("Kanaalweg 1")
    page.locator("#postcode").fill("2628 EB")
    page.locator("#city").fill("Delft")
    page.locator("#is_sme-1").check()
    page.locator("#new_to_defence-2").check()
    page.locator("#ownership-1").check()
    page.locator("#kvk_number").press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_company_journey_from_registration_to_receipt(
    page: Page, server: LiveServer, language: str, tmp_path: Path, console_errors: list[str]
) -> None:
    text = TEXT[language]
    unique = uuid.uuid4().hex[:8]
    kvk = str(int(unique, 16) % 100_000_000).zfill(8)
    organisation = f"Drone Stop {unique} B.V."
    _register_and_log_in(page, server, f"sanne-{unique}@dronestop.example", language)
    _register_organisation(page, organisation, kvk)

    # From the public challenge page into a proposal.
    page.goto("/challenges/counter-uas")
    page.get_by_role("link", name=text["write"]).click()
    assert_accessible(page)
    page.get_by_role("button", name=text["start"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"P-[2-9A-Z]{4}-[2-9A-Z]{4}"))
    assert_accessible(page)
    overview = page.url

    # Consortium: a named German partner, then shares that do not add up, then shares that do.
    page.locator("a[href$='/consortium']").first.click()
    assert_accessible(page)
    page.locator("#partner_country").select_option("DE")
    page.locator("#partner_registry_id").fill("HRB 98765")
    page.locator("#partner_legal_name").fill("Abwehr Sensorik GmbH")
    page.locator("#partner_role").fill("Radar")
    page.get_by_role("button", name=text["add_partner"]).click()
    page.locator("#lead_share").fill("60")
    page.locator("#partner_0_share").fill("30")
    page.get_by_role("button", name=text["save_shares"]).click()
    expect(page.locator(".error-summary")).to_contain_text(text["sum"])
    assert_accessible(page)
    page.locator("#partner_0_share").fill("40")
    page.get_by_role("button", name=text["save_shares"]).click()
    expect(page).to_have_url(re.compile(r"/proposals/\d+\?saved=consortium$"))

    # Answers: too many words are kept and flagged; a draft is saved as typed.
    page.goto(overview + "/answers")
    assert_accessible(page)
    page.locator("#q_solution-name").fill("Drone Stop")
    page.locator("#q_effects-addressed-1").check()
    page.locator("#q_solution-summary").fill("Wij detecteren kleine drones met passieve radar.")
    page.locator("#q_differentiator").fill("woord " * 260)
    expect(page.locator("#q_differentiator-count")).to_contain_text("260")
    page.locator("#trl").select_option("6")
    page.get_by_role("button", name=text["save_draft"]).click()
    page.goto(overview + "/answers")
    expect(page.locator("#q_differentiator-error")).to_contain_text(text["words"])
    expect(page.locator("#q_differentiator")).to_have_value(re.compile(r"^(woord ){259}woord"))
    page.locator("#q_differentiator").fill("Passieve radar, geen eigen uitzending, dus niet te peilen.")
    page.get_by_role("button", name=text["save_draft"]).click()

    # The solution brief, checked by its bytes.
    brief = tmp_path / "solution-brief.pdf"
    brief.write_bytes(pdf_bytes(pages=3, text=f"Drone Stop {unique}"))
    page.goto(overview + "/documents")
    assert_accessible(page)
    page.locator("#document_solution-brief-document").set_input_files(str(brief))
    page.get_by_role("button", name=text["upload"]).click()
    expect(page.locator(".notice-success")).to_be_visible()
    expect(page.get_by_role("link", name="solution-brief.pdf")).to_be_visible()
    assert_accessible(page)

    # Submit, by keyboard: tick the three declarations with Space, press Enter on the button.
    page.goto(overview + "/submit")
    assert_accessible(page)
    for declaration in ("unclassified", "truthful", "consent"):
        page.locator(f"#declaration_{declaration}").focus()
        page.keyboard.press("Space")
    page.get_by_role("button", name=text["submit"]).focus()
    page.keyboard.press("Enter")
    expect(page.locator(".notice-success")).to_contain_text(text["received"])
    receipt = page.locator("dl.receipt code.hash").inner_text()
    assert re.fullmatch(r"[0-9a-f]{64}", receipt)
    expect(page.locator("dl.receipt")).to_contain_text("CET")
    assert_accessible(page)

    # Amend: a second version.
    page.goto(overview + "/answers")
    page.locator("#q_solution-name").fill("Drone Stop Mk II")
    page.get_by_role("button", name=text["save_draft"]).click()
    page.goto(overview + "/submit")
    for declaration in ("unclassified", "truthful", "consent"):
        page.locator(f"#declaration_{declaration}").check()
    page.get_by_role("button", name=text["amend"]).click()
    expect(page).to_have_url(re.compile(r"/versions/2$"))

    # The first receipt still checks out on the proposal page.
    page.goto(overview)
    page.locator("#receipt").fill(receipt)
    page.get_by_role("button", name=text["check"]).click()
    expect(page.get_by_role("status")).to_contain_text(text["intact"])
    assert_accessible(page)

    # Withdraw, then submit again.
    page.goto(overview + "/withdraw")
    assert_accessible(page)
    page.get_by_role("button", name=text["withdraw"]).click()
    expect(page.locator(".notice-success")).to_contain_text(text["withdrawn"])
    page.goto(overview + "/submit")
    for declaration in ("unclassified", "truthful", "consent"):
        page.locator(f"#declaration_{declaration}").check()
    page.get_by_role("button", name=text["submit"]).click()
    expect(page).to_have_url(re.compile(r"/versions/3$"))

    page.goto("/proposals")
    expect(page.get_by_role("cell", name=organisation)).to_have_count(0)  # the organisation is a heading
    expect(page.get_by_role("heading", name=organisation)).to_be_visible()
    assert_accessible(page)

    # Past the deadline: read-only everywhere, the versions stay.
    saved = server.clock.now()
    with server.db.session() as session:
        from app.challenges.models import Challenge

        challenge = session.scalars(select(Challenge).where(Challenge.slug == "counter-uas")).one()
        deadline = challenge.stages[0].deadline_at
    try:
        server.clock.set(deadline)
        page.goto(f"/login?next={overview.split(server.base_url)[1]}")
        page.locator("#email").fill(f"sanne-{unique}@dronestop.example")
        page.locator("#password").fill(PASSWORD)
        page.locator("#password").press("Enter")
        expect(page.locator(".notice").first).to_contain_text(text["closed"])
        expect(page.locator("a[href$='/withdraw']")).to_have_count(0)
        assert_accessible(page)
        page.goto(overview + "/answers")
        expect(page.locator("form[method=post] #q_solution-name")).to_have_count(0)
        assert_accessible(page)
    finally:
        server.clock.set(saved)
    # The refused consortium form answered 422 on purpose; nothing else may have gone wrong.
    console_errors[:] = [error for error in console_errors if "status of 422" not in error]


def _staff_session(page: Page, server: LiveServer, email: str) -> None:
    """An administrator whose session passed the second factor, at the server's current time."""
    from datetime import timedelta

    from app.accounts import sessions
    from tests.factories import create_user

    now = server.clock.now()
    with server.db.unit_of_work() as session:
        admin = create_user(session, email=email, name="Browser Admin", roles=("administrator",))
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, auth = sessions.start_session(
            session, user=admin, now=now, policy=policy, ip="127.0.0.1", user_agent="pw"
        )
        auth.mfa_verified_at = now
        session.commit()
    page.context.add_cookies([{"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url}])


@pytest.mark.parametrize("language", ["nl", "en"])
def test_staff_see_counts_before_the_deadline_and_proposals_after_it(
    page: Page, server: LiveServer, language: str
) -> None:
    from datetime import timedelta

    from app.audit.service import Actor
    from app.proposals.documents import service as document_service
    from app.proposals.drafts import service as draft_service
    from app.proposals.submissions import service as submission_service
    from tests.factories import create_challenge
    from tests.proposals.helpers import create_company

    unique = uuid.uuid4().hex[:8]
    slug = f"staff-view-{unique}"
    with server.db.unit_of_work() as session:
        challenge = create_challenge(session, slug=slug, at=server.clock.now() - timedelta(days=1))
        user, organisation = create_company(
            session,
            email=f"staff-{unique}@company.example",
            name=f"Zichtbaar {unique} B.V.",
            kvk=str(int(unique, 16) % 100_000_000).zfill(8),
            at=server.clock.now(),
        )
        actor, now = Actor(user.id, label=user.email), server.clock.now()
        stage = challenge.stages[0]
        proposal = draft_service.start_proposal(
            session, challenge=challenge, stage=stage, organisation=organisation, user=user, actor=actor, now=now
        )
        draft_service.save_answers(
            session,
            proposal=proposal,
            values={"q_summary": "Zichtbaar na de deadline", "trl": "5"},
            actor=actor,
            now=now,
        )
        data = pdf_bytes(text=unique)
        stored = document_service.StoredDocument(
            server_blobs(server).put_bytes(data), len(data), "brief.pdf", "pdf", "application/pdf", 1
        )
        document_service.attach_document(
            session, proposal=proposal, question_key="brief", document=stored, actor=actor, now=now
        )
        submission_service.submit_proposal(
            session,
            proposal=proposal,
            declarations={"unclassified", "truthful", "consent"},
            idempotency_key="k",
            store=server_blobs(server),
            user=user,
            actor=actor,
            now=now,
            links=LINKS,
        )
        session.commit()
        reference, proposal_id, deadline = proposal.reference, proposal.id, stage.deadline_at

    _staff_session(page, server, f"staff-admin-{unique}@mindef.example")
    page.goto(f"/language/{language}?next=/manage/challenges/{slug}/proposals")
    expect(page.locator("main")).to_contain_text("alleen aantallen" if language == "nl" else "only counts are shown")
    expect(page.locator("main")).not_to_contain_text(f"Zichtbaar {unique}")
    assert_accessible(page)

    saved = server.clock.now()
    try:
        server.clock.set(deadline + timedelta(hours=1))
        _staff_session(page, server, f"staff-admin2-{unique}@mindef.example")
        page.goto(f"/manage/challenges/{slug}/proposals")
        page.get_by_role("link", name=reference).click()
        page.wait_for_url(f"**/manage/challenges/{slug}/proposals/{proposal_id}")
        expect(page.locator("main")).to_contain_text("Zichtbaar na de deadline")
        expect(page.get_by_role("link", name="brief.pdf")).to_be_visible()
        assert_accessible(page)
    finally:
        server.clock.set(saved)


def server_blobs(server: LiveServer):  # type: ignore[no-untyped-def]
    from app.storage import LocalBlobStore

    return LocalBlobStore(server.settings.effective_blob_dir)
