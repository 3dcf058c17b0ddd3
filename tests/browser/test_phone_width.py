"""No page of the journeys scrolls sideways on a phone (390 by 844 pixels), in Dutch and English where the text
differs: tables reflow into stacked rows, long hashes, references and names wrap. The statement pages, their
editor and the draft conflict page also pass axe."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page
from sqlalchemy import select

from app.challenges.models import Challenge
from app.evaluations.assignments import service as assignment_service
from app.evaluations.pool import service as pool_service
from app.evaluations.schemas import DeclarationForm
from app.evaluations.scoring import service as evaluator_service
from app.organisations.models import Organisation
from app.proposals.models import Proposal
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.conftest import DEFAULT_NOW
from tests.evaluations.helpers import AFTER_DEADLINE, Scenario, actor, build_scenario
from tests.factories import LINKS, create_user

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LONG_NAME = "Koninklijke Nederlandse Sensor- en Detectietechnologie Consortium Noord-Brabant B.V."
PARTNER = {
    "legal_name": "Stichting Toegepast Wetenschappelijk Onderzoek naar Onbemande Systemen en Contra-Drone-Maatregelen",
    "kvk_number": "87654321",
    "country": "NL",
    "role": "Ontwikkeling van passieve radarsensoren en integratie",
    "share": "40",
}


@dataclass
class World:
    s: Scenario
    slug: str
    seeded: str
    proposal: Proposal
    organisation: Organisation
    admin: Any
    assignment_id: int


def _world(server: LiveServer) -> World:
    prefix = f"w{secrets.token_hex(3)}"
    with server.db.unit_of_work() as session:
        s = build_scenario(session, proposals=1, evaluators=1, prefix=prefix)
        organisation = session.get(Organisation, s.organisations[0].id)
        proposal = session.get(Proposal, s.proposals[0].id)
        assert organisation is not None and proposal is not None
        organisation.legal_name = LONG_NAME
        proposal.draft = {
            "answers": {"summary": "Passieve radar " * 20},
            "trl": "5",
            "lead": {"role": "Hoofdaannemer en systeemintegratie", "share": "60"},
            "partners": [PARTNER],
        }
        evaluator = s.evaluators[0]
        pool_service.add_to_pool(
            session, challenge=s.challenge, user_id=evaluator.id, actor=actor(s.coordinator), now=AFTER_DEADLINE
        )
        assignment = assignment_service.assign(
            session,
            challenge=s.challenge,
            stage=s.stage,
            proposal_id=proposal.id,
            evaluator_id=evaluator.id,
            actor=actor(s.coordinator),
            now=AFTER_DEADLINE,
            links=LINKS,
        )
        opened = evaluator_service.open_assignment(
            session, assignment_id=assignment.id, user=evaluator, now=AFTER_DEADLINE
        )
        evaluator_service.declare(
            session,
            opened=opened,
            form=DeclarationForm(has_conflict=False),
            actor=actor(evaluator),
            now=AFTER_DEADLINE,
            links=LINKS,
        )
        admin = create_user(session, email=f"{prefix}admin@mindef.example", name="Adam Admin", roles=("administrator",))
        seeded = session.scalar(select(Challenge.slug).where(~Challenge.slug.startswith(prefix)).order_by(Challenge.id))
        session.commit()
        world = World(s, s.challenge.slug, str(seeded), proposal, organisation, admin, assignment.id)
        session.expunge_all()
    return world


@pytest.fixture
def contexts() -> Iterator[list[BrowserContext]]:
    made: list[BrowserContext] = []
    yield made
    for context in made:
        context.close()


def _open(browser: Browser, server: LiveServer, contexts: list[BrowserContext], user: Any, language: str) -> Page:
    if user is None:
        context = browser.new_context(base_url=server.base_url, locale="nl-NL")
        context.add_cookies([{"name": "portal_lang", "value": language, "url": server.base_url}])
    else:
        context = logged_in_context(browser, server, user, language)
    contexts.append(context)
    page = context.new_page()
    page.set_viewport_size(PHONE)
    return page


def _fits(page: Page, who: str, path: str, *, status: int = 200) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, f"{who} {path}: {response and response.status}"
    width = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(
        "Array.from(document.querySelectorAll('main *')).filter(e => e.getBoundingClientRect().right > 391)"
        ".slice(0, 3).map(e => e.tagName + '.' + e.className + ': ' + (e.textContent || '').trim().slice(0, 60))"
    )
    assert width <= PHONE["width"], f"{who} {path} is {width} pixels wide on a 390-pixel phone: {wide}"


def test_no_page_of_the_journeys_scrolls_sideways_on_a_phone(
    browser: Browser, server: LiveServer, contexts: list[BrowserContext]
) -> None:
    w = _world(server)
    p = w.proposal.id
    for language in ("nl", "en"):
        anonymous = _open(browser, server, contexts, None, language)
        for path in (
            "/",
            f"/challenges/{w.seeded}",
            f"/challenges/{w.slug}",
            "/register",
            "/login",
            "/receipts",
            "/transparency",
            "/statements/privacy",
            "/statements/accessibility",
            "/statements/contact",
            "/statements/cookies",
        ):
            _fits(anonymous, f"anonymous ({language})", path)
    company = _open(browser, server, contexts, w.s.companies[0], "nl")
    for path in (
        f"/organisations/{w.organisation.id}",
        "/proposals",
        f"/proposals/{p}",
        f"/proposals/{p}/answers",
        f"/proposals/{p}/consortium",
        f"/proposals/{p}/documents",
        f"/proposals/{p}/submit",
        f"/proposals/{p}/versions/1",
        f"/challenges/{w.slug}/questions",
        f"/challenges/{w.slug}/nota",
    ):
        _fits(company, "company", path)
    coordinator = _open(browser, server, contexts, w.s.coordinator, "nl")
    for path in (
        "/manage",
        f"/manage/challenges/{w.slug}",
        f"/manage/challenges/{w.slug}/questions",
        f"/manage/challenges/{w.slug}/proposals",
    ):
        _fits(coordinator, "coordinator", path)
    _fits(_open(browser, server, contexts, w.s.evaluators[0], "nl"), "evaluator", "/evaluate")
    admin = _open(browser, server, contexts, w.admin, "nl")
    for path in ("/admin/statements", "/admin/statements/accessibility/nl", "/admin/users"):
        _fits(admin, "administrator", path)
    server.clock.set(AFTER_DEADLINE)
    try:
        coordinator = _open(browser, server, contexts, w.s.coordinator, "nl")
        base = w.s.base
        for path in (
            f"/manage/challenges/{w.slug}/evaluation",
            f"{base}/assignments",
            f"{base}/proposals/{p}",
            f"{base}/results",
            f"{base}/decisions",
            f"/manage/challenges/{w.slug}/proposals/{p}",
        ):
            _fits(coordinator, "coordinator after the deadline", path)
        evaluator = _open(browser, server, contexts, w.s.evaluators[0], "en")
        _fits(evaluator, "evaluator after the deadline", f"/evaluate/assignments/{w.assignment_id}")
        company = _open(browser, server, contexts, w.s.companies[0], "nl")
        _fits(company, "company after the deadline", f"/proposals/{p}")
    finally:
        server.clock.set(DEFAULT_NOW)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_the_statement_pages_and_their_editor_pass_axe(
    browser: Browser, server: LiveServer, contexts: list[BrowserContext], language: str
) -> None:
    w = _world(server)
    page = _open(browser, server, contexts, None, language)
    for kind in ("privacy", "accessibility", "contact", "cookies"):
        page.goto(f"/statements/{kind}")
        assert_accessible(page)
    admin = _open(browser, server, contexts, w.admin, language)
    admin.goto("/admin/statements")
    assert_accessible(admin)
    admin.goto("/admin/statements/cookies/en")
    admin.fill("#body", "<b>bold</b>")
    admin.get_by_role("button", name="Tekst opslaan" if language == "nl" else "Save the text").click()
    assert admin.locator(".error-summary a[href='#body']").count() == 1
    assert_accessible(admin)


def test_the_conflict_page_shows_both_versions_fits_a_phone_and_passes_axe(
    browser: Browser, server: LiveServer, contexts: list[BrowserContext]
) -> None:
    w = _world(server)
    page = _open(browser, server, contexts, w.s.companies[0], "nl")
    page.goto(f"/proposals/{w.proposal.id}/answers")
    with server.db.unit_of_work() as session:  # another member saves meanwhile
        stored = session.get(Proposal, w.proposal.id)
        assert stored is not None
        stored.draft = {**stored.draft, "answers": {"summary": "Tekst van het andere lid"}}
        session.commit()
    page.fill("#q_summary", "Mijn eigen tekst")
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.get_by_role("button", name="Concept opslaan").click()
    assert posted.value.status == 409
    conflict = page.locator("#conflict")
    assert "Tekst van het andere lid" in conflict.inner_text() and "Mijn eigen tekst" in conflict.inner_text()
    assert page.input_value("#q_summary") == "Mijn eigen tekst"
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert_accessible(page)


def test_the_released_decision_pages_fit_a_phone(
    browser: Browser, server: LiveServer, contexts: list[BrowserContext]
) -> None:
    from app.organisations.models import Membership
    from tests.ocds.helpers import decided

    prefix = f"d{secrets.token_hex(3)}"
    try:
        with server.db.unit_of_work() as session:
            s = decided(session, server.clock, prefix=prefix, kvk_offset=1_000_000 + secrets.randbelow(60_000) * 1_000)
            proposal = session.scalar(
                select(Proposal).where(Proposal.challenge_id == s.challenge.id).order_by(Proposal.id)
            )
            assert proposal is not None
            member = create_user(session, email=f"{prefix}member@alpha.example", name="Alma Alpha")
            session.add(
                Membership(
                    organisation_id=proposal.organisation_id,
                    user_id=member.id,
                    role="admin",
                    joined_at=server.clock.now(),
                )
            )
            session.commit()
            slug, base, proposal_id = s.challenge.slug, s.base, proposal.id
            coordinator = s.coordinator
            session.expunge_all()
        company = _open(browser, server, contexts, member, "nl")
        for path in (f"/proposals/{proposal_id}/decision", f"/proposals/{proposal_id}", "/proposals"):
            _fits(company, "company with a released decision", path)
        for language in ("nl", "en"):
            _fits(_open(browser, server, contexts, None, language), f"anonymous ({language})", f"/challenges/{slug}")
        staff = _open(browser, server, contexts, coordinator, "nl")
        for path in (f"{base}/decisions", f"{base}/proposals/{proposal_id}", f"{base}/results"):
            _fits(staff, "coordinator after the release", path)
    finally:
        server.clock.set(DEFAULT_NOW)
