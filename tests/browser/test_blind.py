"""Blind scoring in a real browser against a served portal: the evaluator's declaration, proposal and security
assessment pages pass axe and name no organisation, and the document they download (through the real
database and blob store, where the first download writes the copy) carries no metadata."""

from __future__ import annotations

import io
import secrets

import pytest
from playwright.sync_api import Browser
from pypdf import PdfReader

from app.audit.service import Actor
from app.evaluations.assignments import service as assignment_service
from app.evaluations.pool import service as pool_service
from app.storage import LocalBlobStore
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.blind_documents import BODY_TEXT, pdf_with_metadata
from tests.evaluations.helpers import AFTER_DEADLINE, build_scenario, make_organisation, submit_proposal
from tests.factories import LINKS

pytestmark = pytest.mark.browser

TEXT = {
    "nl": {"declare": "Verklaren", "lead": "Penvoerder (NL)", "partner": "Partner 1 (DE)"},
    "en": {"declare": "Declare", "lead": "Lead organisation (NL)", "partner": "Partner 1 (DE)"},
}


@pytest.mark.parametrize("language", ["nl", "en"])
def test_blind_evaluation_pages_and_download(browser: Browser, server: LiveServer, language: str) -> None:
    text = TEXT[language]
    prefix = f"b{secrets.token_hex(3)}"
    kvk = f"{secrets.randbelow(10**8):08d}"
    original = pdf_with_metadata(author="Jan Jansen", creator="Zulu Radar B.V.", title="Zulu", producer="Zulu")
    sha = LocalBlobStore(server.settings.effective_blob_dir).put_bytes(original)
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=0, evaluators=1, blind=True, prefix=prefix)
        organisation = make_organisation(session, name="Zulu Radar B.V.", kvk=kvk)
        partner = {"legal_name": "Yankee Optik GmbH", "country": "DE", "registry_id": "HRB 555111", "share": 20}
        documents = {"brief": {"sha256": sha, "name": "Zulu.pdf", "size": len(original), "kind": "pdf", "pages": 1}}
        summary = f"ZULU radar (KvK {kvk}) en Yankee-Optik meten tot 5 km."
        proposal = submit_proposal(
            session,
            challenge=s.challenge,
            organisation=organisation,
            partners=[partner],
            summary=summary,
            documents=documents,
        )
        by = Actor(s.coordinator.id, label="coordinator")
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=s.evaluators[0].id, actor=by, now=AFTER_DEADLINE
        )
        assignment = assignment_service.assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            evaluator_id=s.evaluators[0].id,
            actor=by,
            now=AFTER_DEADLINE,
            links=LINKS,
        )
        session.commit()
        assignment_id = assignment.id
        reference = proposal.reference
        session.expunge_all()
    server.clock.set(AFTER_DEADLINE)
    context = logged_in_context(browser, server, s.evaluators[0], language)
    try:
        page = context.new_page()
        url = f"/evaluate/assignments/{assignment_id}"
        visited = []
        page.goto(url)
        assert_accessible(page)
        visited.append(page.content())
        page.locator("#has_conflict-none").check()
        page.get_by_role("button", name=text["declare"], exact=True).click()
        page.wait_for_url(f"**{url}")
        assert_accessible(page)
        visited.append(page.content())
        assert "meten tot 5 km" in visited[-1]
        page.goto(f"{url}/security")
        assert_accessible(page)
        visited.append(page.content())
        assert text["lead"] in visited[-1] and text["partner"] in visited[-1]
        for content in visited:
            lowered = content.lower()
            assert "zulu" not in lowered and "yankee" not in lowered and kvk not in content and "555111" not in content
        download = context.request.get(server.url(f"{url}/documents/brief"))
        assert download.status == 200
        assert download.headers["content-disposition"] == f'attachment; filename="{reference}-brief.pdf"'
        body = download.body()
        assert b"Zulu" not in body and b"Jan Jansen" not in body
        reader = PdfReader(io.BytesIO(body))
        assert reader.metadata is None and BODY_TEXT in reader.pages[0].extract_text()
        assert context.request.get(server.url(f"{url}/documents/brief")).body() == body
    finally:
        context.close()
        server.clock.set(DEFAULT_NOW)  # the server is shared: later journeys start before the deadline
