"""Issue 6 from end to end in a real browser, in Dutch and English, with zero axe violations on every page.

A coordinator opens a two-stage challenge from a blank form and publishes it; a company asks a question, the
coordinator answers it and publishes the Nota van Inlichtingen; the company submits a proposal; close to the
deadline the coordinator corrects a criterion text, which needs an extension in the same step; the company
re-confirms; the challenge's definition file goes out and comes back as the same challenge.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import pyotp
import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect
from sqlalchemy import select

from app.challenges import service
from app.cli import main
from app.proposals.models import Proposal, ProposalVersion
from tests.browser.harness import LiveServer, assert_accessible
from tests.factories import DEFAULT_PASSWORD, create_user
from tests.pdfs import pdf_bytes
from tests.proposals.helpers import create_company

pytestmark = pytest.mark.browser

TEXT = {
    "nl": {
        "add_stage": "Fase toevoegen",
        "add_question": "Vraag toevoegen aan fase 1",
        "save_draft": "Concept opslaan",
        "publish": "De challenge publiceren",
        "published": "Gepubliceerd",
        "send_question": "De vraag versturen",
        "approve": "Opslaan en markeren voor publicatie",
        "publish_nota": "Een nieuwe versie publiceren",
        "nota_published": "Er is een nieuwe versie van de Nota van Inlichtingen gepubliceerd.",
        "act_for": "Handelen namens {name}",
        "start": "Het voorstel beginnen",
        "save_answers": "Concept opslaan",
        "upload": "Uploaden",
        "submit": "Het voorstel indienen",
        "received": "Wij hebben uw voorstel ontvangen.",
        "save_correction": "Correctie opslaan",
        "too_close": "moet de deadline verlengen tot ten minste 6 dagen vanaf nu",
        "correction": "Correctie van de challenge (versie 2)",
        "extended": "De deadline is verlengd",
        "needed": "Herbevestiging nodig",
        "reconfirm": "Versie 1 opnieuw bevestigen",
        "reconfirmed": "Opnieuw bevestigd",
        "download": "Definitiebestand downloaden",
        "fill_from_file": "Formulier uit het bestand invullen",
    },
    "en": {
        "add_stage": "Add a stage",
        "add_question": "Add a question to stage 1",
        "save_draft": "Save the draft",
        "publish": "Publish the challenge",
        "published": "Published",
        "send_question": "Send the question",
        "approve": "Save and mark for publication",
        "publish_nota": "Publish a new version",
        "nota_published": "A new version of the Nota van Inlichtingen was published.",
        "act_for": "Act for {name}",
        "start": "Start the proposal",
        "save_answers": "Save draft",
        "upload": "Upload",
        "submit": "Submit the proposal",
        "received": "We have received your proposal.",
        "save_correction": "Save the correction",
        "too_close": "must extend it to at least 6 days from now",
        "correction": "Correction of the challenge (version 2)",
        "extended": "The deadline is extended",
        "needed": "Re-confirmation needed",
        "reconfirm": "Re-confirm version 1",
        "reconfirmed": "Re-confirmed",
        "download": "Download the definition file",
        "fill_from_file": "Fill the form from the file",
    },
}


# --- browser contexts and logging in ----------------------------------------------------------------


def _context(browser: Browser, server: LiveServer, console_errors: list[str]) -> BrowserContext:
    """Another browser (a second person), whose console errors count like the ``page`` fixture's."""
    context = browser.new_context(base_url=server.base_url, locale="nl-NL")

    def on_console(message) -> None:  # type: ignore[no-untyped-def]
        if message.type == "error":
            console_errors.append(f"{message.text} ({message.location.get('url')})")

    context.on("console", on_console)
    return context


def _log_in(page: Page, language: str, email: str, next_path: str) -> None:
    """A company user through the login page, in the given language, ending at next_path."""
    page.goto(f"/language/{language}?next=/login?next={next_path}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEFAULT_PASSWORD)
    page.locator("#password").press("Enter")
    page.wait_for_url(re.compile(re.escape(next_path) + r"$"))


def _log_in_staff(page: Page, server: LiveServer, language: str, email: str, secret: str, next_path: str) -> None:
    """A staff user through the login page with password and an authenticator code at the server's time."""
    page.goto(f"/language/{language}?next=/login?next={next_path}")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEFAULT_PASSWORD)
    page.locator("#password").press("Enter")
    expect(page.locator("#code")).to_be_visible()
    assert_accessible(page)
    page.locator("#code").fill(pyotp.TOTP(secret).at(server.clock.now()))
    page.locator("#code").press("Enter")
    page.wait_for_url(re.compile(re.escape(next_path) + r"$"))


# --- the challenge form ---------------------------------------------------------------------------


def _field(page: Page, name: str) -> Locator:
    return page.locator(f'[id="{name}"]')


def _fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        _field(page, name).fill(value)


def _pair(prefix: str, nl: str, en: str) -> dict[str, str]:
    return {f"{prefix}.nl": nl, f"{prefix}.en": en}


def _stage(index: int, key: str, opens: str, deadline: str) -> dict[str, str]:
    s = f"stages.{index}"
    q = f"{s}.questions.0"
    return {
        f"{s}.key": key,
        **_pair(f"{s}.title", f"Fase {key}", f"Stage {key}"),
        **_pair(f"{s}.description", f"Beschrijving {key}", f"Description {key}"),
        f"{s}.opens_at": opens,
        f"{s}.deadline": deadline,
        f"{q}.key": "plan",
        **_pair(f"{q}.label", "Uw plan", "Your plan"),
        f"{q}.max_words": "500",
    }


def _create_and_publish(page: Page, language: str, slug: str, suffix: str) -> None:
    """Fill a blank form with two stages (the first with a PDF slot), save it, publish it."""
    text = TEXT[language]
    page.goto("/manage/challenges/new")
    assert_accessible(page)
    _fill(
        page,
        {
            "slug": slug,
            **_pair("title", f"Levenscyclus {suffix}", f"Lifecycle {suffix}"),
            **_pair("summary", "Korte samenvatting.", "Short summary."),
            **_pair("problem_statement", "Het probleem.", "The problem."),
            "effects.0.key": "detect",
            **_pair("effects.0.title", "Detecteren", "Detect"),
            **_pair("effects.0.description", "Vroeg detecteren.", "Detect early."),
            **_pair("effects.0.success_measure", "90% binnen 2 km.", "90% within 2 km."),
            **_pair("eligibility.text", "Iedereen.", "Everyone."),
            **_stage(0, "brief", "2026-11-30T09:00", "2027-03-01T17:00"),
        },
    )
    page.locator('[id="tags.nld-sensoren"]').check()
    # A second question in stage 1, a document: the form comes back with one more group, nothing lost.
    page.get_by_role("button", name=text["add_question"]).click()
    expect(_field(page, "stages.0.questions.1.key")).to_be_visible()
    expect(_field(page, "slug")).to_have_value(slug)
    document = "stages.0.questions.1"
    _field(page, f"{document}.type").select_option("document")
    _fill(page, {f"{document}.key": "brief", **_pair(f"{document}.label", "Uw schets", "Your brief")})
    _field(page, document).locator("details").nth(3).locator("summary").click()
    _field(page, f"{document}.allowed_types-pdf").check()
    _fill(page, {f"{document}.max_size_mb": "5", f"{document}.max_pages": "5"})
    page.get_by_role("button", name=text["add_stage"]).click()
    expect(_field(page, "stages.1.key")).to_be_visible()
    expect(_field(page, f"{document}.key")).to_have_value("brief")
    assert_accessible(page)
    _fill(page, _stage(1, "full", "2027-04-01T09:00", "2027-06-01T17:00"))
    _field(page, "stages.1.invitation_only").check()
    for index in range(5):
        _fill(
            page,
            {
                **_pair(f"scale.levels.{index}.label", f"Niveau {index}", f"Level {index}"),
                **_pair(f"scale.levels.{index}.descriptor", f"Uitleg {index}", f"Meaning {index}"),
            },
        )
    _fill(
        page,
        {
            "criteria.0.key": "effect",
            **_pair("criteria.0.title", "Effect", "Effect"),
            **_pair("criteria.0.description", "Hoe goed het effect is.", "How good the effect is."),
            "criteria.0.weight": "100",
        },
    )
    page.get_by_role("button", name=text["save_draft"]).first.click()
    page.wait_for_url(re.compile(rf".*/manage/challenges/{slug}$"))
    assert_accessible(page)

    page.locator("#reason").fill("Goedgekeurd door de programmaraad" if language == "nl" else "Approved by the board")
    page.get_by_role("button", name=text["publish"]).click()
    page.wait_for_url(re.compile(rf".*/manage/challenges/{slug}$"))
    expect(page.locator("#challenge-status")).to_contain_text(text["published"])
    assert_accessible(page)


def _reconfirmation_due(page: Page) -> Locator:
    """The 'Re-confirmation due' cell of stage 1 on the coordinator's dashboard."""
    return page.locator("section[aria-labelledby=timeline-heading] tbody tr").first.locator("td").nth(5)


# --- the journey ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "en"])
def test_challenge_lifecycle_from_blank_form_to_reconfirmation_and_file_round_trip(
    browser: Browser, page: Page, server: LiveServer, language: str, tmp_path: Path, console_errors: list[str]
) -> None:
    text = TEXT[language]
    suffix = secrets.token_hex(4)
    slug = f"lifecycle-{language}-{suffix}"
    coordinator_email = f"coordinator-{suffix}@mindef.example"
    company_email = f"vrager-{suffix}@lifecycle.example"
    organisation_name = f"Vraagbaak {suffix} B.V."
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        coordinator = create_user(
            session,
            email=coordinator_email,
            name=f"Coördinator {suffix}",
            roles=("coordinator",),
            language=language,
            at=now - timedelta(days=1),
        )
        secret = coordinator.totp_secret
        create_company(
            session,
            email=company_email,
            name=organisation_name,
            kvk=str(int(suffix, 16) % 100_000_000).zfill(8),
            at=now - timedelta(days=1),
            language=language,
        )

    # 1. The coordinator opens a two-stage challenge from a blank form and publishes it.
    _log_in_staff(page, server, language, coordinator_email, secret, "/manage/challenges/new")
    _create_and_publish(page, language, slug, suffix)
    with server.db.session() as session:
        challenge = service.get_challenge_by_slug(session, slug=slug)
        definition = service.current_definition(challenge)
        assert challenge.status == "published"
        assert [s.key for s in definition.stages] == ["brief", "full"]
        assert [q.key for q in definition.stages[0].questions] == ["plan", "brief"]
        assert definition.stages[1].invitation_only is True
        deadline = challenge.stages[0].deadline_at

    company = _context(browser, server, console_errors)
    public = _context(browser, server, console_errors)
    saved = server.clock.now()
    try:
        # 2. The company asks a question; the coordinator answers it and publishes the Nota van Inlichtingen.
        asker = company.new_page()
        _log_in(asker, language, company_email, f"/challenges/{slug}/questions")
        assert_accessible(asker)
        question = f"Mag {organisation_name} een prototype van 2019 aanbieden?"
        asker.locator("#text").fill(question)
        asker.get_by_role("button", name=text["send_question"]).click()
        expect(asker.get_by_role("status")).to_be_visible()
        expect(asker.get_by_role("cell", name=question)).to_be_visible()
        assert_accessible(asker)

        published = {
            "question_nl": f"Mag een prototype van 2019 worden aangeboden? ({suffix})",
            "question_en": f"May a prototype from 2019 be offered? ({suffix})",
            "answer_nl": f"Ja, als het TRL 6 haalt ({suffix}).",
            "answer_en": f"Yes, if it reaches TRL 6 ({suffix}).",
        }
        page.goto(f"/manage/challenges/{slug}/questions")
        assert_accessible(page)
        page.get_by_role("link", name=question).click()
        assert_accessible(page)
        for name, value in published.items():
            page.locator(f"#{name}").fill(value)
        page.get_by_role("button", name=text["approve"]).click()
        expect(page.get_by_role("status")).to_be_visible()
        page.get_by_role("button", name=text["publish_nota"]).click()
        expect(page.get_by_role("status")).to_have_text(text["nota_published"])
        assert_accessible(page)

        reader = public.new_page()
        reader.goto(f"/language/{language}?next=/challenges/{slug}/nota")
        expect(reader.get_by_role("heading", level=1)).to_have_text("Nota van Inlichtingen")
        expect(reader.get_by_text(published[f"question_{language}"])).to_be_visible()
        expect(reader.get_by_text(published[f"answer_{language}"])).to_be_visible()
        body = reader.locator("body").inner_text()
        for identity in (company_email, organisation_name, question, "Vraagbaak"):
            assert identity not in body
        assert_accessible(reader)

        # 3. The company writes and submits a proposal for stage 1: version 1.
        asker.goto(f"/challenges/{slug}/apply")
        assert_accessible(asker)
        asker.get_by_role("button", name=text["act_for"].format(name=organisation_name)).click()
        # Back on the start page, now acting for the organisation.
        asker.wait_for_url(re.compile(rf"/challenges/{slug}/apply$"))
        asker.get_by_role("button", name=text["start"]).click()
        expect(asker.get_by_role("heading", level=1)).to_contain_text(re.compile(r"P-[2-9A-Z]{4}-[2-9A-Z]{4}"))
        assert_accessible(asker)
        overview = asker.url
        proposal_id = int(overview.rsplit("/", 1)[1])
        asker.goto(overview + "/answers")
        assert_accessible(asker)
        asker.locator("#q_plan").fill("Wij bouwen een passieve radar op een mast.")
        asker.locator("#trl").select_option("6")
        asker.get_by_role("button", name=text["save_answers"]).click()
        expect(asker).to_have_url(re.compile(rf"/proposals/{proposal_id}(\?.*)?$"))
        brief = tmp_path / "schets.pdf"
        brief.write_bytes(pdf_bytes(pages=2, text=f"Levenscyclus {suffix}"))
        asker.goto(overview + "/documents")
        asker.locator("#document_brief").set_input_files(str(brief))
        asker.get_by_role("button", name=text["upload"]).click()
        expect(asker.get_by_role("link", name="schets.pdf")).to_be_visible()
        assert_accessible(asker)
        asker.goto(overview + "/submit")
        assert_accessible(asker)
        for declaration in ("unclassified", "truthful", "consent"):
            asker.locator(f"#declaration_{declaration}").check()
        asker.get_by_role("button", name=text["submit"]).click()
        expect(asker).to_have_url(re.compile(rf"/proposals/{proposal_id}/versions/1$"))
        expect(asker.locator(".notice-success")).to_contain_text(text["received"])
        assert_accessible(asker)

        # 4. Four days before the deadline the coordinator corrects a criterion text: refused without an
        # extension (the message at the deadline field), accepted with one.
        server.clock.set(deadline - timedelta(days=4))
        edit = f"/manage/challenges/{slug}/edit"
        _log_in_staff(page, server, language, coordinator_email, secret, edit)
        assert_accessible(page)
        reason = "Het criterium noemt nu ook de snelheid." if language == "nl" else "The criterion now names speed."
        _fill(
            page,
            {
                **_pair(
                    "criteria.0.description", "Hoe goed en hoe snel het effect is.", "How good and fast the effect is."
                ),
                "_reason": reason,
            },
        )
        page.get_by_role("button", name=text["save_correction"]).first.click()
        expect(_field(page, "stages.0.deadline-error")).to_contain_text(text["too_close"])
        expect(_field(page, "criteria.0.description.en")).to_have_value("How good and fast the effect is.")
        assert_accessible(page)
        _fill(page, {"stages.0.deadline": "2027-03-08T17:00"})
        page.get_by_role("button", name=text["save_correction"]).first.click()
        page.wait_for_url(re.compile(rf".*/manage/challenges/{slug}$"))
        expect(_reconfirmation_due(page)).to_have_text("1")
        assert_accessible(page)
        with server.db.session() as session:
            corrected = service.get_challenge_by_slug(session, slug=slug)
            assert corrected.current_version == 2
            assert corrected.stages[0].deadline_at == deadline + timedelta(days=7)
            assert (
                service.current_definition(corrected).criteria[0].description.en == "How good and fast the effect is."
            )

        reader.goto(f"/challenges/{slug}/nota")
        expect(reader.get_by_text(text["correction"])).to_be_visible()
        expect(reader.get_by_text(text["extended"])).to_be_visible()
        expect(reader.get_by_text(reason)).to_have_count(2)  # the correction's and the extension's entry
        expect(reader.get_by_text(published[f"question_{language}"])).to_be_visible()
        assert_accessible(reader)

        # 5. The company sees the re-confirmation is needed and re-confirms: version 2, re-confirmed.
        _log_in(asker, language, company_email, "/proposals")
        expect(asker.get_by_text(text["needed"])).to_be_visible()
        assert_accessible(asker)
        asker.goto(overview)
        asker.locator(f"a[href$='/proposals/{proposal_id}/reconfirm']").click()
        assert_accessible(asker)
        asker.get_by_role("button", name=text["reconfirm"]).click()
        expect(asker).to_have_url(re.compile(rf"/proposals/{proposal_id}/versions/2$"))
        expect(asker.locator("main")).to_contain_text(text["reconfirmed"])
        assert_accessible(asker)
        with server.db.session() as session:
            proposal = session.get(Proposal, proposal_id)
            assert proposal is not None and proposal.reconfirmation_required_at is None
            kinds = session.execute(
                select(ProposalVersion.number, ProposalVersion.kind)
                .where(ProposalVersion.proposal_id == proposal_id)
                .order_by(ProposalVersion.number)
            ).all()
        assert [tuple(row) for row in kinds] == [(1, "submit"), (2, "reconfirm")]
        page.goto(f"/manage/challenges/{slug}")
        expect(_reconfirmation_due(page)).to_have_text("0")
        assert_accessible(page)

        # 6. The definition file: downloaded, accepted by `portal challenges validate`, uploaded as a new
        # challenge that equals the original apart from its slug.
        with page.expect_download() as info:
            page.get_by_role("link", name=text["download"]).click()
        downloaded = Path(info.value.path()).read_text(encoding="utf-8")
        exported = tmp_path / f"{slug}.toml"
        exported.write_text(downloaded, encoding="utf-8")
        result = CliRunner().invoke(main, ["challenges", "validate", str(exported)])
        assert result.exit_code == 0, result.output
        assert result.output.strip() == f"{exported}: ok"

        back_slug = f"{slug}-back"
        assert downloaded.count(f'slug = "{slug}"') == 1
        back = tmp_path / "back.toml"
        back.write_text(downloaded.replace(f'slug = "{slug}"', f'slug = "{back_slug}"'), encoding="utf-8")
        page.goto("/manage/challenges/new")
        _field(page, "definition").set_input_files(str(back))
        page.get_by_role("button", name=text["fill_from_file"]).click()
        expect(_field(page, "slug")).to_have_value(back_slug)
        assert_accessible(page)
        page.get_by_role("button", name=text["save_draft"]).first.click()
        page.wait_for_url(re.compile(rf".*/manage/challenges/{back_slug}$"))
        assert_accessible(page)
        with server.db.session() as session:
            original = service.current_definition(service.get_challenge_by_slug(session, slug=slug))
            copy = service.current_definition(service.get_challenge_by_slug(session, slug=back_slug))
        assert copy.model_dump() == {**original.model_dump(), "slug": back_slug}
    finally:
        server.clock.set(saved)
        company.close()
        public.close()
    # The refused correction answered 422 on purpose; nothing else may have gone wrong.
    console_errors[:] = [error for error in console_errors if "status of 422" not in error]
