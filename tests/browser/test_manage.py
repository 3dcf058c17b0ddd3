"""A coordinator opens a two-stage challenge from a blank form and publishes it; a definition file round trip.

Driven by field ids (the schema's paths), in Dutch and English, with zero axe violations on every page.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from app.accounts import sessions
from app.challenges import service
from tests.browser.harness import LiveServer, assert_accessible
from tests.factories import create_user

pytestmark = pytest.mark.browser


def _log_in_coordinator(page: Page, server: LiveServer, email: str) -> None:
    """A coordinator with an enrolled authenticator and a session that passed the second factor."""
    now = server.clock.now()
    with server.db.unit_of_work() as session:
        user = create_user(session, email=email, name="Browser Coordinator", roles=("coordinator",))
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        token, auth = sessions.start_session(
            session, user=user, now=now, policy=policy, ip="127.0.0.1", user_agent="pw"
        )
        auth.mfa_verified_at = now
        session.commit()
    page.context.add_cookies([{"name": sessions.SESSION_COOKIE, "value": token, "url": server.base_url}])


def _field(page: Page, name: str) -> Locator:
    return page.locator(f'[id="{name}"]')


def _fill(page: Page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.locator(f'[id="{name}"]').fill(value)


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


@pytest.mark.parametrize("language", ["nl", "en"])
def test_coordinator_creates_a_two_stage_challenge_and_publishes_it(
    page: Page, server: LiveServer, language: str, console_errors: list[str]
) -> None:
    suffix = secrets.token_hex(3)
    slug = f"browser-{language}-{suffix}"
    _log_in_coordinator(page, server, f"coco-{suffix}@mindef.example")

    page.goto(f"/language/{language}?next=/manage")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Challengebeheer" if language == "nl" else "Challenge management"
    )
    assert_accessible(page)
    page.locator("#new-challenge").click()
    page.wait_for_url("**/manage/challenges/new")
    assert_accessible(page)

    _fill(
        page,
        {
            "slug": slug,
            **_pair("title", f"Browserchallenge {suffix}", f"Browser challenge {suffix}"),
            **_pair("summary", "Korte samenvatting.", "Short summary."),
            **_pair("problem_statement", "Het probleem.", "The problem."),
            "effects.0.key": "detect",
            **_pair("effects.0.title", "Detecteren", "Detect"),
            **_pair("effects.0.description", "Vroeg detecteren.", "Detect early."),
            **_pair("effects.0.success_measure", "90% binnen 2 km.", "90% within 2 km."),
            **_pair("eligibility.text", "Iedereen.", "Everyone."),
            **_stage(0, "brief", "2026-12-01T09:00", "2027-03-01T17:00"),
        },
    )
    page.locator('[id="tags.nld-sensoren"]').check()
    # Add the second stage without JavaScript: the form comes back with one more group, nothing lost.
    page.get_by_role("button", name="Fase toevoegen" if language == "nl" else "Add a stage").click()
    expect(_field(page, "stages.1.key")).to_be_visible()
    expect(_field(page, "slug")).to_have_value(slug)
    assert_accessible(page)
    _fill(page, _stage(1, "full", "2027-04-01T09:00", "2027-06-01T17:00"))
    page.locator('[id="stages.1.invitation_only"]').check()
    page.get_by_role("button", name="Criterium toevoegen" if language == "nl" else "Add a criterion").click()
    expect(_field(page, "criteria.1.key")).to_be_visible()
    for index in range(5):
        _fill(
            page,
            {
                **_pair(f"scale.levels.{index}.label", f"Niveau {index}", f"Level {index}"),
                **_pair(f"scale.levels.{index}.descriptor", f"Uitleg {index}", f"Meaning {index}"),
            },
        )
    for index, (key, weight) in enumerate((("effect", "60"), ("safety", "50"))):
        _fill(
            page,
            {
                f"criteria.{index}.key": key,
                **_pair(f"criteria.{index}.title", f"Criterium {key}", f"Criterion {key}"),
                **_pair(f"criteria.{index}.description", "Uitleg.", "Explanation."),
                f"criteria.{index}.weight": weight,
            },
        )
    save = "Concept opslaan" if language == "nl" else "Save the draft"
    page.get_by_role("button", name=save).first.click()
    # The weights add up to 110: the schema's message sits at the criteria, in the user's language.
    expect(page.locator('[id="criteria-error"]')).to_contain_text("110")
    assert_accessible(page)
    console_errors[:] = [e for e in console_errors if "status of 422" not in e]  # the refusal is expected
    _fill(page, {"criteria.1.weight": "40"})
    page.get_by_role("button", name=save).first.click()
    page.wait_for_url(re.compile(rf".*/manage/challenges/{slug}$"))
    assert_accessible(page)

    page.get_by_role(
        "link", name="Voorbeeld zoals een bedrijf het ziet" if language == "nl" else "Preview as a company sees it"
    ).click()
    expect(page.locator("#preview-banner")).to_be_visible()
    assert_accessible(page)
    page.go_back()

    page.locator("#reason").fill("Goedgekeurd door de programmaraad" if language == "nl" else "Approved by the board")
    page.get_by_role("button", name="De challenge publiceren" if language == "nl" else "Publish the challenge").click()
    page.wait_for_url(re.compile(rf".*/manage/challenges/{slug}$"))
    expect(page.locator("#challenge-status")).to_contain_text("Gepubliceerd" if language == "nl" else "Published")
    assert_accessible(page)

    with server.db.session() as session:
        challenge = service.get_challenge_by_slug(session, slug=slug)
        definition = service.current_definition(challenge)
        assert challenge.status == "published"
        assert [s.key for s in definition.stages] == ["brief", "full"]
        assert [c.weight for c in definition.criteria] == [60, 40]

    page.goto(f"/challenges/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Browserchallenge {suffix}" if language == "nl" else f"Browser challenge {suffix}"
    )
    assert_accessible(page)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_definition_file_round_trip_gives_the_same_challenge(
    page: Page, server: LiveServer, language: str, tmp_path: Path
) -> None:
    suffix = secrets.token_hex(3)
    _log_in_coordinator(page, server, f"coco-file-{suffix}@mindef.example")  # any public challenge can be copied
    with server.db.session() as session:
        source = service.get_challenge_by_slug(session, slug="counter-uas")
        original = service.current_definition(source)
    # Download the file of a challenge this coordinator creates from a copy, then upload it back.
    page.goto(f"/language/{language}?next=/manage/challenges/new?copy={source.id}")
    assert_accessible(page)
    new_slug = f"counter-uas-{language}-{suffix}"
    _fill(page, {"slug": new_slug})
    page.get_by_role("button", name="Concept opslaan" if language == "nl" else "Save the draft").first.click()
    page.wait_for_url(re.compile(rf".*/manage/challenges/{new_slug}$"))
    with page.expect_download() as info:
        page.get_by_role(
            "link", name="Definitiebestand downloaden" if language == "nl" else "Download the definition file"
        ).click()
    downloaded = info.value.path()
    text = Path(downloaded).read_text(encoding="utf-8").replace(f'slug = "{new_slug}"', f'slug = "{new_slug}-back"')
    path = tmp_path / "back.toml"
    path.write_text(text, encoding="utf-8")
    page.goto("/manage/challenges/new")
    page.locator('[id="definition"]').set_input_files(path)
    page.get_by_role(
        "button", name="Formulier uit het bestand invullen" if language == "nl" else "Fill the form from the file"
    ).click()
    expect(_field(page, "slug")).to_have_value(f"{new_slug}-back")
    assert_accessible(page)
    page.get_by_role("button", name="Concept opslaan" if language == "nl" else "Save the draft").first.click()
    page.wait_for_url(re.compile(rf".*/manage/challenges/{new_slug}-back$"))
    with server.db.session() as session:
        back = service.current_definition(service.get_challenge_by_slug(session, slug=f"{new_slug}-back"))
    assert back.model_dump() == {**original.model_dump(), "slug": f"{new_slug}-back"}
