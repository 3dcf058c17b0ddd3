"""A whole challenge in a real browser, in Dutch and English, with zero axe violations on every page visited.

A coordinator publishes the challenge; two companies write and submit proposals (a PDF made in code); the
coordinator corrects the published challenge with a reason, the Nota van Inlichtingen shows the correction and
the companies re-confirm; the deadline passes; the coordinator fills the pool and assigns; the evaluators
declare, score with a justification per criterion and submit; the coordinator records consensus and prepares
one award and one rejection; a second coordinator approves them (the preparer has no approve button); the
first releases them through the confirmation page; /transparency shows the audit head and the release, and
each company reads its decision. Everything a person does is posted through the page itself; only the people,
the draft challenge and the organisations are made with the services.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import select

from app.challenges import service
from app.challenges.models import ChallengeCoordinator
from app.evaluations.enums import OUTCOME_LABELS
from app.evaluations.models import Assignment, Decision
from app.i18n import translate
from app.proposals.models import Proposal
from tests.browser.harness import LiveServer, assert_accessible, logged_in_context
from tests.browser.test_challenge_lifecycle import TEXT as LIFECYCLE
from tests.browser.test_challenge_lifecycle import _context, _log_in, _log_in_staff
from tests.browser.test_evaluations import TEXT as EVALUATION
from tests.browser.test_evaluations import _score
from tests.evaluations.helpers import AFTER_DEADLINE
from tests.factories import create_challenge, create_user
from tests.pdfs import pdf_bytes
from tests.proposals.helpers import create_company

pytestmark = pytest.mark.browser


def _t(language: str, message: str, **params: object) -> str:
    return translate(language, message, **params)


def _visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200, f"{path}: {response.status if response else None}"
    assert_accessible(page)


def _propose(page: Page, language: str, slug: str, organisation: str, pdf: Path) -> int:
    """A company (logged in) acts for its organisation, answers, uploads the PDF and submits: version 1."""
    text = LIFECYCLE[language]
    _visit(page, f"/challenges/{slug}/apply")
    page.get_by_role("button", name=text["act_for"].format(name=organisation)).click()
    page.wait_for_url(re.compile(rf"/challenges/{slug}/apply$"))
    page.get_by_role("button", name=text["start"]).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"P-[0-9A-Z-]+"))
    assert_accessible(page)
    overview = page.url
    proposal_id = int(overview.rsplit("/", 1)[1])
    _visit(page, overview + "/answers")
    page.locator("#q_summary").fill(f"{organisation} detecteert drones met passieve radar tot 5 km.")
    page.locator("#trl").select_option("5")
    page.get_by_role("button", name=text["save_answers"]).click()
    expect(page).to_have_url(re.compile(rf"/proposals/{proposal_id}(\?.*)?$"))
    _visit(page, overview + "/documents")
    page.locator("#document_brief").set_input_files(str(pdf))
    page.get_by_role("button", name=text["upload"]).click()
    expect(page.get_by_role("link", name=pdf.name)).to_be_visible()
    assert_accessible(page)
    _visit(page, overview + "/submit")
    for declaration in ("unclassified", "truthful", "consent"):
        page.locator(f"#declaration_{declaration}").check()
    page.get_by_role("button", name=text["submit"]).click()
    expect(page).to_have_url(re.compile(rf"/proposals/{proposal_id}/versions/1$"))
    expect(page.locator(".notice-success")).to_contain_text(text["received"])
    assert_accessible(page)
    return proposal_id


def _reconfirm(page: Page, language: str, proposal_id: int) -> None:
    text = LIFECYCLE[language]
    _visit(page, f"/proposals/{proposal_id}")
    page.locator(f"a[href$='/proposals/{proposal_id}/reconfirm']").click()
    assert_accessible(page)
    page.get_by_role("button", name=text["reconfirm"]).click()
    expect(page).to_have_url(re.compile(rf"/proposals/{proposal_id}/versions/2$"))
    expect(page.locator("main")).to_contain_text(text["reconfirmed"])
    assert_accessible(page)


def _people(server: LiveServer, language: str, suffix: str) -> dict[str, Any]:
    """A draft challenge with two coordinators, two evaluators and two companies with their organisations."""
    at = server.clock.now() - timedelta(days=1)
    slug = f"whole-{language}-{suffix}"
    title = {"nl": f"Hele challenge {suffix}", "en": f"Whole challenge {suffix}"}
    with server.db.unit_of_work() as session:
        challenge = create_challenge(session, publish=False, slug=slug, title=title)
        coordinators = [
            create_user(
                session,
                email=f"{name}-{suffix}@mindef.example",
                name=f"{name.title()} Coördinator {suffix}",
                roles=("coordinator",),
                language=language,
                at=at,
            )
            for name in ("eerste", "tweede")
        ]
        for coordinator in coordinators:
            session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=coordinator.id, assigned_at=at))
        evaluators = [
            create_user(
                session,
                email=f"beoordelaar{i}-{suffix}@mindef.example",
                name=f"Beoordelaar {i} {suffix}",
                roles=("evaluator",),
                language=language,
                at=at,
            )
            for i in range(2)
        ]
        companies = []
        for i in range(2):
            name = f"Firma{i} {suffix} B.V."
            user, _organisation = create_company(
                session,
                email=f"indiener{i}-{suffix}@firma{i}.example",
                name=name,
                kvk=str((int(suffix, 16) * 2 + i) % 100_000_000).zfill(8),
                at=at,
                language=language,
            )
            companies.append((user, name))
        session.commit()
        people = {
            "slug": slug,
            "title": title[language],
            "coordinator": (coordinators[0], coordinators[0].email, coordinators[0].totp_secret),
            "approver": coordinators[1],
            "evaluators": evaluators,
            "companies": companies,
        }
        session.expunge_all()
    return people


@pytest.mark.parametrize("language", ["nl", "en"])
def test_a_whole_challenge_from_publication_to_released_decisions_and_transparency(
    browser: Browser, page: Page, server: LiveServer, language: str, tmp_path: Path, console_errors: list[str]
) -> None:
    text, evaluation = LIFECYCLE[language], EVALUATION[language]
    suffix = secrets.token_hex(4)
    people = _people(server, language, suffix)
    slug = people["slug"]
    coordinator, coordinator_email, secret = people["coordinator"]
    manage = f"/manage/challenges/{slug}"
    base = f"{manage}/evaluation/brief"
    contexts: list[BrowserContext] = []
    saved = server.clock.now()
    try:
        # 1. The coordinator logs in (password and authenticator code) and publishes the draft with a reason.
        _log_in_staff(page, server, language, coordinator_email, secret, manage)
        assert_accessible(page)
        page.locator("#reason").fill("Goedgekeurd door de programmaraad")
        page.get_by_role("button", name=text["publish"]).click()
        page.wait_for_url(re.compile(rf".*{manage}$"))
        expect(page.locator("#challenge-status")).to_contain_text(text["published"])
        assert_accessible(page)

        # 2. Two companies log in, write their proposals, upload a PDF and submit them.
        proposals: list[int] = []
        company_pages: list[Page] = []
        for index, (user, organisation) in enumerate(people["companies"]):
            context = _context(browser, server, console_errors)
            contexts.append(context)
            company_page = context.new_page()
            _log_in(company_page, language, user.email, f"/challenges/{slug}/apply")
            pdf = tmp_path / f"schets-{index}.pdf"
            pdf.write_bytes(pdf_bytes(pages=2, text=f"Voorstel {organisation}"))
            proposals.append(_propose(company_page, language, slug, organisation, pdf))
            company_pages.append(company_page)

        # 3. The coordinator corrects a criterion text with a reason; the Nota van Inlichtingen shows it publicly
        # and the companies re-confirm their proposals.
        _visit(page, f"{manage}/edit")
        reason = "Het criterium noemt nu ook de snelheid." if language == "nl" else "The criterion now names speed."
        page.locator('[id="criteria.0.description.nl"]').fill("Hoe goed en hoe snel het effect is.")
        page.locator('[id="criteria.0.description.en"]').fill("How good and fast the effect is.")
        page.locator('[id="_reason"]').fill(reason)
        page.get_by_role("button", name=text["save_correction"]).first.click()
        page.wait_for_url(re.compile(rf".*{manage}$"))
        assert_accessible(page)
        public = _context(browser, server, console_errors)
        contexts.append(public)
        reader = public.new_page()
        reader.goto(f"/language/{language}?next=/challenges/{slug}/nota")
        expect(reader.get_by_role("heading", level=1)).to_have_text("Nota van Inlichtingen")
        expect(reader.get_by_text(text["correction"])).to_be_visible()
        expect(reader.get_by_text(reason)).to_be_visible()
        assert_accessible(reader)
        _visit(reader, f"/challenges/{slug}")
        corrected = {"nl": "Hoe goed en hoe snel het effect is.", "en": "How good and fast the effect is."}
        expect(reader.locator("main")).to_contain_text(corrected[language])
        for company_page, proposal_id in zip(company_pages, proposals, strict=True):
            _reconfirm(company_page, language, proposal_id)

        # 4. The deadline passes; the coordinator logs in again at the new time.
        server.clock.set(AFTER_DEADLINE)
        _log_in_staff(page, server, language, coordinator_email, secret, f"{manage}/evaluation")
        assert_accessible(page)

        # 5. Both evaluators join the pool; each is assigned both proposals.
        _visit(page, base + "/assignments")
        for evaluator in people["evaluators"]:
            page.locator("#pool_evaluator").select_option(str(evaluator.id))
            page.get_by_role("button", name=evaluation["pool"]).click()
            page.wait_for_url(f"**{base}/assignments")
        page.locator("#per_proposal").fill("2")
        page.get_by_role("button", name=evaluation["auto"], exact=True).click()
        page.wait_for_url(f"**{base}/assignments")
        assert_accessible(page)
        with server.db.session() as session:
            assignments = list(
                session.scalars(select(Assignment).where(Assignment.proposal_id.in_(proposals)).order_by(Assignment.id))
            )
        assert sorted((a.proposal_id, a.evaluator_id) for a in assignments) == sorted(
            (p, e.id) for p in proposals for e in people["evaluators"]
        )

        # 6. Each evaluator declares no conflict, scores with a justification per criterion and submits.
        for evaluator in people["evaluators"]:
            context = logged_in_context(browser, server, evaluator, language)
            contexts.append(context)
            evaluator_page = context.new_page()
            _visit(evaluator_page, "/evaluate")
            for assignment in (a for a in assignments if a.evaluator_id == evaluator.id):
                scores = (
                    {"effect": 2, "safety": 2} if assignment.proposal_id == proposals[0] else {"effect": 1, "safety": 1}
                )
                _score(evaluator_page, assignment.id, scores, evaluation)

        # 7. Consensus per proposal, then one award and one rejection prepared.
        _visit(page, base + "/results")
        for proposal_id, (effect, safety), outcome in (
            (proposals[0], (2, 2), "award"),
            (proposals[1], (1, 1), "reject"),
        ):
            _visit(page, f"{base}/proposals/{proposal_id}")
            page.locator(f"#score_effect-{effect + 1}").check()
            page.locator("#rationale_effect").fill("Besproken in het consensusoverleg.")
            page.locator(f"#score_safety-{safety + 1}").check()
            page.locator("#rationale_safety").fill("Besproken.")
            page.get_by_role("button", name=evaluation["consensus"]).click()
            page.wait_for_url(f"**{base}/proposals/{proposal_id}?done=consensus")
            expect(page.get_by_role("status")).to_contain_text(evaluation["consensus_recorded"])
            assert_accessible(page)
            page.locator(f"#outcome-{outcome}").check()
            page.locator("#feedback").fill(f"Terugkoppeling voor voorstel {proposal_id}.")
            page.get_by_role("button", name=evaluation["prepare"]).click()
            page.wait_for_url(f"**{base}/proposals/{proposal_id}")
            assert_accessible(page)

        # 8. Four eyes: the preparer has no approve button; the second coordinator approves.
        _visit(page, base + "/decisions")
        expect(page.locator("#approval-preparer")).to_be_visible()
        expect(page.get_by_role("button", name=evaluation["approve"])).to_have_count(0)
        _visit(page, base + "/decisions/release")  # not yet approved: the confirmation page says why, no button
        expect(page.locator("#release-problems")).to_be_visible()
        expect(page.get_by_role("button", name=evaluation["release_confirm"])).to_have_count(0)
        second = logged_in_context(browser, server, people["approver"], language)
        contexts.append(second)
        second_page = second.new_page()
        _visit(second_page, base + "/decisions")
        second_page.get_by_role("button", name=evaluation["approve"]).click()
        second_page.wait_for_url(f"**{base}/decisions")
        expect(second_page.locator("#approval-record")).to_contain_text(people["approver"].name)
        assert_accessible(second_page)

        # 9. The first coordinator releases through the confirmation page.
        _visit(page, base + "/decisions")
        page.get_by_role("link", name=evaluation["release"]).click()
        page.wait_for_url(f"**{base}/decisions/release")
        assert_accessible(page)
        page.get_by_role("button", name=evaluation["release_confirm"]).click()
        page.wait_for_url(f"**{base}/decisions")
        expect(page.locator("#release-record")).to_contain_text(coordinator.name)
        expect(page.locator("#release-record")).to_contain_text(people["approver"].name)
        assert_accessible(page)
        with server.db.session() as session:
            released = session.scalars(select(Decision).where(Decision.proposal_id.in_(proposals)))
            assert sorted((d.proposal_id, d.outcome, d.status) for d in released) == [
                (proposals[0], "award", "released"),
                (proposals[1], "reject", "released"),
            ]
            challenge = service.get_challenge_by_slug(session, slug=slug)
            assert challenge.current_version == 2
            assert challenge.status == "decided"
            pending = session.scalars(select(Proposal.reconfirmation_required_at).where(Proposal.id.in_(proposals)))
            assert list(pending) == [None, None]

        # 10. The transparency page shows the head and the release; each company reads its decision.
        reader.goto("/transparency")
        expect(reader.locator("code.audit-head").first).to_have_text(re.compile(r"^\d+:[0-9a-f]{64}$"))
        release_row = (
            reader.get_by_role("row")
            .filter(has_text=people["title"])
            .filter(has_text=_t(language, "Decisions released"))
        )
        expect(release_row).to_have_count(1)
        expect(release_row.locator("code.audit-head")).to_have_text(re.compile(r"^\d+:[0-9a-f]{64}$"))
        assert_accessible(reader)
        outcomes = ("award", "reject")
        for company_page, (user, _name), proposal_id, outcome in zip(
            company_pages, people["companies"], proposals, outcomes, strict=True
        ):
            _log_in(company_page, language, user.email, f"/proposals/{proposal_id}/decision")
            main = company_page.locator("main")
            expect(company_page.get_by_role("heading", level=1)).to_contain_text(re.compile(r"P-[0-9A-Z-]+"))
            expect(main).to_contain_text(f"Terugkoppeling voor voorstel {proposal_id}.")
            expect(main).to_contain_text(_t(language, OUTCOME_LABELS[outcome]))
            for evaluator in people["evaluators"]:
                expect(main).not_to_contain_text(evaluator.name)
            assert_accessible(company_page)
    finally:
        server.clock.set(saved)
        for context in contexts:
            context.close()
