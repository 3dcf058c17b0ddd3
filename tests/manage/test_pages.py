"""Coordinator pages over HTTP: create, edit, publish, lifecycle, and what other coordinators get (404)."""

from __future__ import annotations

import tomllib

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges import service
from app.challenges.models import Challenge, ChallengeCoordinator, ChallengeVersion
from app.challenges.schemas import ChallengeDefinition
from app.clock import FrozenClock
from tests.factories import create_challenge, make_definition
from tests.manage.helpers import assign, form_data, post, staff


def _actions(session: Session, challenge_id: int) -> list[str]:
    return list(
        session.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.object_type == "challenge", AuditEvent.object_id == str(challenge_id))
            .order_by(AuditEvent.id)
        )
    )


def test_dashboard_lists_only_assigned_challenges(client: TestClient, session: Session, clock: FrozenClock) -> None:
    mine = create_challenge(session, slug="mine-challenge", title={"nl": "Mijn challenge", "en": "My challenge"})
    create_challenge(session, slug="other-challenge", title={"nl": "Geheime andere", "en": "Secret other"})
    user = staff(client, session, clock, email="coco@mindef.example")
    assign(session, mine, user, clock)
    page = client.get("/manage")
    assert page.status_code == 200
    assert "Mijn challenge" in page.text
    assert "Geheime andere" not in page.text


def test_other_coordinators_challenge_is_not_found(client: TestClient, session: Session, clock: FrozenClock) -> None:
    other = create_challenge(session, publish=False)
    staff(client, session, clock, email="coco@mindef.example")
    for url in ("", "/edit", "/preview", "/definition.toml", "/extend"):
        assert client.get(f"/manage/challenges/{other.slug}{url}").status_code == 404
    assert post(client, f"/manage/challenges/{other.slug}/publish", {"reason": "x"}).status_code == 404
    assert client.get(f"/manage/challenges/new?copy={other.id}").status_code == 404


def test_create_from_the_form_makes_a_draft_assigned_to_its_coordinator(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    user = staff(client, session, clock, email="coco@mindef.example")
    response = post(client, "/manage/challenges/new", {**form_data(slug="web-made"), "action": "save"})
    assert response.status_code == 303
    challenge = session.scalar(select(Challenge).where(Challenge.slug == "web-made"))
    assert challenge is not None and challenge.status == "draft"
    assert response.headers["location"] == f"/manage/challenges/{challenge.slug}"
    assert service.current_definition(challenge) == make_definition(slug="web-made")
    assert session.get(ChallengeCoordinator, (challenge.id, user.id)) is not None
    assert _actions(session, challenge.id) == ["challenge.create"]


def test_create_with_errors_keeps_input_and_shows_messages(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    staff(client, session, clock, email="coco@mindef.example")
    data = {**form_data(slug="web-made"), "title.en": "", "summary.nl": "Mijn eigen samenvatting", "action": "save"}
    response = post(client, "/manage/challenges/new", data)
    assert response.status_code == 422
    assert 'id="title.en-error"' in response.text
    assert "Dit veld is verplicht." in response.text
    assert "Mijn eigen samenvatting" in response.text
    assert session.scalar(select(Challenge).where(Challenge.slug == "web-made")) is None


def test_create_with_a_taken_slug_is_refused_at_the_slug(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    create_challenge(session)
    staff(client, session, clock, email="coco@mindef.example")
    response = post(client, "/manage/challenges/new", {**form_data(), "action": "save"})
    assert response.status_code == 422
    assert 'id="slug-error"' in response.text


def test_create_with_a_slug_of_digits_only_is_refused_at_the_slug_in_both_languages(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    staff(client, session, clock, email="coco@mindef.example")
    response = post(client, "/manage/challenges/new", {**form_data(), "slug": "2027", "action": "save"})
    assert response.status_code == 422
    assert 'id="slug-error"' in response.text
    assert "Het webadres moet ten minste één letter bevatten; alleen cijfers zijn niet toegestaan." in response.text
    client.cookies.set("portal_lang", "en")
    response = post(client, "/manage/challenges/new", {**form_data(), "slug": "2027", "action": "save"})
    assert response.status_code == 422
    assert "The web address needs at least one letter; digits alone are not allowed." in response.text
    assert session.scalar(select(Challenge).where(Challenge.slug == "2027")) is None


def test_add_a_question_re_renders_with_one_more_group(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    staff(client, session, clock, email="coco@mindef.example")
    data = {**form_data(), "action": "add:stages.0.questions"}
    response = post(client, "/manage/challenges/new", data)
    assert response.status_code == 200
    assert 'id="stages.0.questions.2.key"' in response.text
    assert 'id="stages.0.questions.3.key"' not in response.text
    assert session.scalar(select(Challenge)) is None


def test_blank_form_renders_one_of_each_group(client: TestClient, session: Session, clock: FrozenClock) -> None:
    staff(client, session, clock, email="coco@mindef.example")
    page = client.get("/manage/challenges/new")
    assert page.status_code == 200
    for field in ("effects.0.key", "stages.0.questions.0.key", "criteria.0.weight", "scale.levels.4.value"):
        assert f'id="{field}"' in page.text


def test_edit_draft_with_a_new_slug_goes_to_the_new_address(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session, publish=False)
    user = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, user, clock)
    refused = post(
        client, f"/manage/challenges/{challenge.slug}/edit", {**form_data(), "slug": "2027", "action": "save"}
    )
    assert refused.status_code == 422
    assert f'/manage/challenges/{challenge.slug}/edit">' in refused.text
    data = {**form_data(), "slug": "renamed-challenge", "action": "save"}
    response = post(client, f"/manage/challenges/{challenge.slug}/edit", data)
    assert response.status_code == 303
    assert response.headers["location"] == "/manage/challenges/renamed-challenge"
    assert client.get("/manage/challenges/renamed-challenge").status_code == 200
    assert (
        client.get(f"/manage/challenges/{challenge.id}").headers["location"] == "/manage/challenges/renamed-challenge"
    )


def test_edit_draft_rewrites_the_same_version(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session, publish=False)
    user = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, user, clock)
    data = {**form_data(), "title.nl": "Nieuwe titel", "action": "save"}
    assert post(client, f"/manage/challenges/{challenge.slug}/edit", data).status_code == 303
    session.expire_all()
    assert challenge.current_version == 1
    assert challenge.title_nl == "Nieuwe titel"
    assert (
        len(session.scalars(select(ChallengeVersion).where(ChallengeVersion.challenge_id == challenge.id)).all()) == 1
    )
    assert _actions(session, challenge.id)[-1] == "challenge.edit"


def test_publish_lists_what_is_missing_and_needs_a_reason(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    past = make_definition().model_dump(mode="json")["stages"]
    past[0].update(opens_at="2026-01-05T09:00:00", deadline="2026-03-01T17:00:00")
    challenge = create_challenge(session, publish=False, stages=past)
    user = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, user, clock)
    page = client.get(f"/manage/challenges/{challenge.slug}")
    assert "Minstens één fase heeft een deadline in de toekomst nodig." in page.text
    response = post(client, f"/manage/challenges/{challenge.slug}/publish", {"reason": ""})
    assert response.status_code == 422
    assert 'id="reason-error"' in response.text
    session.expire_all()
    assert challenge.status == "draft"


def test_publish_with_a_reason(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session, publish=False)
    user = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, user, clock)
    response = post(client, f"/manage/challenges/{challenge.slug}/publish", {"reason": "Klaar voor publicatie"})
    assert response.status_code == 303
    session.expire_all()
    assert challenge.status == "published"
    assert challenge.status_reason == "Klaar voor publicatie"
    assert client.get(f"/challenges/{challenge.slug}").status_code == 200


def test_cancel_needs_a_reason(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    response = post(
        client, f"/manage/challenges/{challenge.slug}/status", {"status_to": "cancelled", "status_reason": " "}
    )
    assert response.status_code == 422
    assert 'id="status_reason-error"' in response.text
    response = post(
        client,
        f"/manage/challenges/{challenge.slug}/status",
        {"status_to": "cancelled", "status_reason": "Geen budget"},
    )
    assert response.status_code == 303
    session.expire_all()
    assert (challenge.status, challenge.status_reason) == ("cancelled", "Geen budget")
    assert _actions(session, challenge.id)[-1] == "challenge.cancelled"


def test_status_outside_the_table_is_refused(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    before = _actions(session, challenge.id)
    response = post(
        client, f"/manage/challenges/{challenge.slug}/status", {"status_to": "archived", "status_reason": "x"}
    )
    assert response.status_code == 422
    assert 'id="status_to-error"' in response.text
    session.expire_all()
    assert (challenge.status, challenge.status_reason) == ("published", None)
    assert _actions(session, challenge.id) == before


def test_preview_shows_the_public_page_with_a_banner(client: TestClient, session: Session, clock: FrozenClock) -> None:
    challenge = create_challenge(session, publish=False)
    user = staff(client, session, clock, email="coco@mindef.example")
    assign(session, challenge, user, clock)
    page = client.get(f"/manage/challenges/{challenge.slug}/preview")
    assert page.status_code == 200
    assert 'id="preview-banner"' in page.text
    assert "Gewenste operationele effecten" in page.text
    assert client.get(f"/challenges/{challenge.slug}").status_code == 404


def test_download_then_upload_gives_the_same_challenge(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    download = client.get(f"/manage/challenges/{challenge.slug}/definition.toml")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == 'attachment; filename="test-challenge.toml"'
    exported = ChallengeDefinition.model_validate(tomllib.loads(download.text))
    assert exported == service.current_definition(challenge)
    changed = download.text.replace('slug = "test-challenge"', 'slug = "test-challenge-two"')
    token = client.cookies.get("portal_csrf") and __import__("tests.factories", fromlist=["csrf"]).csrf(client)
    upload = client.post(
        "/manage/challenges/upload",
        data={"csrf_token": token},
        files={"definition": ("c.toml", changed.encode(), "application/toml")},
    )
    assert upload.status_code == 200
    assert 'value="test-challenge-two"' in upload.text
    from tests.manage.helpers import form_data as _unused  # noqa: F401

    values = {
        "action": "save",
        **__import__("app.workspace.challenges.forms", fromlist=["flatten"]).flatten(
            __import__("app.workspace.challenges.forms", fromlist=["definition_to_raw"]).definition_to_raw(
                exported.model_copy(update={"slug": "test-challenge-two"})
            )
        ),
    }
    assert post(client, "/manage/challenges/new", values).status_code == 303
    copy = service.get_challenge_by_slug(session, slug="test-challenge-two")
    assert service.current_definition(copy).model_dump() == {**exported.model_dump(), "slug": "test-challenge-two"}


def test_upload_of_a_broken_file_says_so_at_the_file_field(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from tests.factories import csrf

    staff(client, session, clock, email="coco@mindef.example")
    response = client.post(
        "/manage/challenges/upload",
        data={"csrf_token": csrf(client)},
        files={"definition": ("c.toml", b"slug = = 3", "application/toml")},
    )
    assert response.status_code == 422
    assert 'id="definition-error"' in response.text


def test_correction_form_shows_frozen_fields_read_only(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    page = client.get(f"/manage/challenges/{challenge.slug}/edit")
    assert page.status_code == 200
    assert 'id="criteria.0.weight" name="criteria.0.weight" value="60"' in page.text
    weight = page.text.split('id="criteria.0.weight"')[1].split(">")[0]
    assert "readonly" in weight
    title = page.text.split('id="criteria.0.title.en"')[1].split(">")[0]
    assert "readonly" not in title
    assert 'value="add:criteria"' not in page.text
    assert 'id="_reason"' in page.text
