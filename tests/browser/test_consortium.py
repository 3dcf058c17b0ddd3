"""The consortium page as a company fills it in, in Dutch and English, with an accessibility check on every
page: two partners added through the form, then the shares typed and Enter pressed in the lead's share field,
as a person does. Enter must save the shares (the form's first button was once a partner's "Remove")."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from app.audit.service import Actor
from app.challenges import service as challenge_service
from app.i18n import translate
from app.proposals.drafts import service as draft_service
from app.proposals.models import Proposal
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.evaluations.helpers import make_organisation
from tests.factories import create_user

pytestmark = pytest.mark.browser
PARTNERS = (("DE", "HRB 98765", "Abwehr Sensorik GmbH", "Radar"), ("BE", "0456.789.123", "Vlaamse Optiek NV", "Camera"))


def _field(page: Page, label: str) -> Locator:
    """A field by the start of its label (labels of optional fields end in "(optional)")."""
    return page.get_by_label(re.compile(rf"^{re.escape(label)}"))


def _draft_proposal(server: LiveServer, language: str) -> tuple[Any, Any, int]:
    """A company user, its organisation (the lead) and a fresh draft for the counter-drone challenge."""
    unique = secrets.token_hex(4)
    with server.db.unit_of_work() as session:
        user = create_user(session, email=f"lotte-{unique}@consortium.example", name="Lotte Lead", language=language)
        kvk = str(int(unique, 16) % 100_000_000).zfill(8)
        organisation = make_organisation(session, name=f"Lead {unique} B.V.", kvk=kvk, member=user)
        challenge = challenge_service.get_challenge_by_slug(session, slug="counter-uas")
        proposal = draft_service.start_proposal(
            session,
            challenge=challenge,
            stage=challenge.stages[0],
            organisation=organisation,
            user=user,
            actor=Actor(user.id, label=user.email),
            now=server.clock.now(),
        )
        session.commit()
        session.expunge_all()
        return user, organisation, proposal.id


@pytest.mark.parametrize("language", ["nl", "en"])
def test_enter_in_the_lead_share_saves_the_shares_and_keeps_every_partner(
    browser: Browser, server: LiveServer, language: str
) -> None:
    def t(message: str, **params: object) -> str:
        return translate(language, message, **params)

    user, organisation, proposal_id = _draft_proposal(server, language)
    context = logged_in_context(browser, server, user, language)
    try:
        page = context.new_page()
        page.goto(f"/proposals/{proposal_id}/consortium")
        assert_accessible(page)
        for country, registry, name, role in PARTNERS:
            _field(page, t("Country")).select_option(country)
            _field(page, t("Registry number")).fill(registry)
            _field(page, t("Legal name")).fill(name)
            _field(page, t("Role in the consortium")).fill(role)
            page.get_by_role("button", name=t("Add partner"), exact=True).click()
            expect(page.get_by_role("rowheader", name=re.compile(re.escape(name)))).to_be_visible()
            assert_accessible(page)

        _field(page, t("Share of %(name)s", name=PARTNERS[0][2])).fill("30")
        _field(page, t("Share of %(name)s", name=PARTNERS[1][2])).fill("20")
        lead_share = _field(page, t("Share of %(name)s", name=organisation.legal_name))
        lead_share.fill("50")
        lead_share.press("Enter")
        expect(page).to_have_url(re.compile(rf"/proposals/{proposal_id}\?saved=consortium$"))
        assert_accessible(page)

        with server.db.session() as session:
            proposal = session.get(Proposal, proposal_id)
            assert proposal is not None
            draft = proposal.draft
        assert draft["lead"]["share"] == "50"
        assert [(p["legal_name"], p["role"], p["share"]) for p in draft["partners"]] == [
            ("Abwehr Sensorik GmbH", "Radar", "30"),
            ("Vlaamse Optiek NV", "Camera", "20"),
        ]
        page.goto(f"/proposals/{proposal_id}/consortium")
        for (_country, _registry, name, _role), share in zip(PARTNERS, ("30", "20"), strict=True):
            expect(_field(page, t("Share of %(name)s", name=name))).to_have_value(share)
        expect(lead_share).to_have_value("50")
        assert_accessible(page)
    finally:
        context.close()
