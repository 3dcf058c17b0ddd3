"""A partner declines through its pages and the lead cannot submit, in a real browser, Dutch and English, with an
accessibility check on every page: the lead's complete proposal names a registered partner; the partner's
member opens "proposals we are a partner in" from the e-mail's link, declines with a reason by keyboard; the
lead sees the refusal on the overview and the consortium page, and the submission is refused naming the partner.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from app.audit.service import Actor
from app.challenges import service as challenge_service
from app.i18n import translate
from app.notifications.models import OutboxMessage
from app.proposals.documents import service as document_service
from app.proposals.drafts import service as draft_service
from app.proposals.models import Proposal, ProposalVersion
from app.proposals.submissions import service as submission_service
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context, tab_to
from tests.evaluations.helpers import make_organisation
from tests.factories import LINKS, create_user
from tests.pdfs import pdf_bytes

pytestmark = pytest.mark.browser
ANSWERS = {
    "q_solution-name": "Drone Stop",
    "q_effects-addressed": ["detect"],
    "q_solution-summary": "Wij detecteren kleine drones met passieve radar.",
    "q_differentiator": "Passieve radar, dus niet te peilen.",
    "trl": "6",
}


def _kvk(unique: str, salt: int) -> str:
    return str((int(unique, 16) * 7 + salt) % 100_000_000).zfill(8)


def _consortium(server: LiveServer, language: str) -> tuple[Any, Any, Any, int]:
    """A lead with a complete draft for the counter-drone challenge that names a registered partner (40%)."""
    unique = secrets.token_hex(4)
    actor_now = server.clock.now()
    with server.db.unit_of_work() as session:
        lead_user = create_user(session, email=f"lotte-{unique}@lead.example", name="Lotte Lead", language=language)
        partner_user = create_user(session, email=f"piet-{unique}@partner.example", name="Piet", language=language)
        lead = make_organisation(session, name=f"Lead {unique} B.V.", kvk=_kvk(unique, 1), member=lead_user)
        partner = make_organisation(session, name=f"Partner {unique} B.V.", kvk=_kvk(unique, 2), member=partner_user)
        challenge = challenge_service.get_challenge_by_slug(session, slug="counter-uas")
        actor = Actor(lead_user.id, label=lead_user.email)
        proposal = draft_service.start_proposal(
            session,
            challenge=challenge,
            stage=challenge.stages[0],
            organisation=lead,
            user=lead_user,
            actor=actor,
            now=actor_now,
        )
        draft_service.save_answers(session, proposal=proposal, values=dict(ANSWERS), actor=actor, now=actor_now)
        values = {"partner_kvk_number": partner.kvk_number, "partner_role": "Radar"}
        draft_service.add_partner(session, proposal=proposal, values=values, actor=actor, now=actor_now, links=LINKS)
        shares = {"lead_role": "Integratie", "lead_share": "60", "partner_0_role": "Radar", "partner_0_share": "40"}
        assert draft_service.save_shares(session, proposal=proposal, values=shares, actor=actor, now=actor_now) == []
        data = pdf_bytes(pages=2)
        document = document_service.StoredDocument(
            sha256=_blob(server, data),
            size_bytes=len(data),
            original_name="brief.pdf",
            kind="pdf",
            media_type="application/pdf",
            pages=2,
        )
        document_service.attach_document(
            session,
            proposal=proposal,
            question_key="solution-brief-document",
            document=document,
            actor=actor,
            now=actor_now,
        )
        # Complete: nothing but a partner's refusal can block it.
        assert submission_service.submission_problems(session, proposal=proposal) == []
        session.commit()
        session.expunge_all()
        return lead_user, partner_user, partner, proposal.id


def _blob(server: LiveServer, data: bytes) -> str:
    return str(_store(server).put_bytes(data))


def _link_in_mail(server: LiveServer, email: str) -> str:
    with server.db.session() as session:
        body = session.scalar(
            select(OutboxMessage.body_text)
            .where(OutboxMessage.to_address == email, OutboxMessage.template == "partner_named")
            .order_by(OutboxMessage.id.desc())
        )
    assert body is not None
    match = re.search(r"/partnerships/\d+", body)
    assert match
    return match.group(0)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_partner_declines_and_the_lead_cannot_submit(browser: Browser, server: LiveServer, language: str) -> None:
    def t(message: str, **params: object) -> str:
        return translate(language, message, **params)

    lead_user, partner_user, partner, proposal_id = _consortium(server, language)
    reason = "Wij hebben hier nooit mee ingestemd"

    partner_context = logged_in_context(browser, server, partner_user, language)
    try:
        page = partner_context.new_page()
        page.goto("/partnerships")
        assert_accessible(page)
        link = _link_in_mail(server, partner_user.email)
        expect(page.locator(f"a[href$='{link}']")).to_be_visible()
        page.locator(f"a[href$='{link}']").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"P-[2-9A-Z]{4}-[2-9A-Z]{4}"))
        expect(page.locator("main")).not_to_contain_text(ANSWERS["q_solution-summary"])
        assert_accessible(page)
        # By keyboard: Tab to the reason, type it, Tab to the decline button, Enter.
        tab_to(page, "el.id === 'reason'")
        page.keyboard.type(reason)
        tab_to(page, f"el.textContent.trim() === {t('Decline: we do not take part')!r}")
        page.keyboard.press("Enter")
        expect(page.get_by_role("status")).to_contain_text(
            t("Your answer has been saved. The lead organisation sees it.")
        )
        expect(page.locator("main .badge")).to_have_text(t("Declined"))
        assert_accessible(page)
    finally:
        partner_context.close()

    lead_context = logged_in_context(browser, server, lead_user, language)
    try:
        page = lead_context.new_page()
        page.goto(f"/proposals/{proposal_id}")
        refusal = page.locator("#partner-refusals")
        expect(refusal).to_contain_text(t("A partner declined to take part"))
        expect(refusal).to_contain_text(reason)
        assert_accessible(page)
        page.get_by_role("link", name=t("Go to the consortium")).click()
        expect(page.get_by_role("rowheader", name=re.compile(re.escape(partner.legal_name)))).to_contain_text(
            t("Declined")
        )
        assert_accessible(page)

        page.goto(f"/proposals/{proposal_id}/submit")
        blocked = t(
            "%(name)s declined to take part. Remove it from the consortium before submitting.", name=partner.legal_name
        )
        expect(page.locator("main")).to_contain_text(blocked)
        for declaration in ("unclassified", "truthful", "consent"):
            page.locator(f"#declaration_{declaration}").check()
        page.get_by_role("button", name=t("Submit the proposal")).click()
        expect(page.locator("main")).to_contain_text(blocked)
        assert_accessible(page)
        with server.db.session() as session:
            proposal = session.get(Proposal, proposal_id)
            assert proposal is not None and proposal.status == "draft"
            assert session.scalar(select(ProposalVersion).where(ProposalVersion.proposal_id == proposal_id)) is None
    finally:
        lead_context.close()


def test_the_partner_accepts_and_reads_the_submitted_version(browser: Browser, server: LiveServer) -> None:
    lead_user, partner_user, partner, proposal_id = _consortium(server, "nl")
    with server.db.unit_of_work() as session:
        proposal = session.get(Proposal, proposal_id)
        assert proposal is not None
        submission_service.submit_proposal(
            session,
            proposal=proposal,
            declarations={"unclassified", "truthful", "consent"},
            idempotency_key="browser",
            store=_store(server),
            user=session.merge(lead_user),
            actor=Actor(lead_user.id, label=lead_user.email),
            now=server.clock.now(),
            links=LINKS,
        )
        session.commit()
    outsider = _outsider(server)
    context = logged_in_context(browser, server, outsider, "nl")
    try:
        page = context.new_page()
        page.goto("/partnerships")
        expect(page.locator("main")).to_contain_text(
            translate("nl", "No organisation has named one of your organisations as a partner.")
        )
        assert_accessible(page)
    finally:
        context.close()
    context = logged_in_context(browser, server, partner_user, "nl")
    try:
        page = context.new_page()
        page.goto(_link_in_mail(server, partner_user.email))
        expect(page.locator("main")).not_to_contain_text(ANSWERS["q_solution-summary"])
        page.get_by_role("button", name=translate("nl", "Accept: we take part")).click()
        expect(page.locator("main .badge")).to_have_text(translate("nl", "Takes part"))
        assert_accessible(page)
        page.get_by_role("link", name=translate("nl", "Version %(n)s", n=1)).click()
        expect(page.locator("main")).to_contain_text(ANSWERS["q_solution-summary"])
        expect(page.locator("main")).to_contain_text(partner.legal_name)
        assert_accessible(page)
    finally:
        context.close()


def _store(server: LiveServer) -> Any:
    from app.storage import LocalBlobStore

    return LocalBlobStore(server.settings.effective_blob_dir)


def _outsider(server: LiveServer) -> Any:
    with server.db.unit_of_work() as session:
        user = create_user(session, email=f"bob-{secrets.token_hex(4)}@rival.example", name="Bob")
        session.expunge_all()
        return user
