"""Archives over HTTP: a company's submitted version as one ZIP; a coordinator's stage of submissions after the
deadline only; nobody else gets anything of them."""

from __future__ import annotations

import io
import json
import zipfile

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.challenges.models import ChallengeCoordinator
from app.clock import FrozenClock
from app.proposals.archives.zipping import EntryNames, safe_segment
from tests.authz.world import SECRET_ANSWER, build_world
from tests.factories import csrf, log_in


def _world(client: TestClient, session: Session, clock: FrozenClock):  # type: ignore[no-untyped-def]
    return build_world(session, clock.now(), blobs=client.app.state.blobs)  # type: ignore[attr-defined]


def test_version_archive_member_gets_answers_documents_and_receipt(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    log_in(client, session, world.users["member_a"], now=clock.now())
    response = client.get(f"/proposals/{world.ids['proposal_a']}/versions/1/archive")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["cache-control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == ["antwoorden.txt", "documents/brief-alpha-brief.pdf", "receipt.json"]
    text = archive.read("antwoorden.txt").decode()
    assert SECRET_ANSWER in text
    assert "documents/brief-alpha-brief.pdf" in text
    receipt = json.loads(archive.read("receipt.json"))
    assert receipt["version"] == 1
    assert archive.read("documents/brief-alpha-brief.pdf").startswith(b"%PDF")


def test_version_archive_in_english_for_an_english_reader(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    log_in(client, session, world.users["member_a"], now=clock.now())
    client.cookies.set("portal_lang", "en")
    response = client.get(f"/proposals/{world.ids['proposal_a']}/versions/1/archive")
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    assert "answers.txt" in names


def test_version_archive_refused_to_competitor_evaluator_and_anonymous(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    url = f"/proposals/{world.ids['proposal_a']}/versions/1/archive"
    assert client.get(url).headers["location"].startswith("/login")
    for actor in ("member_b", "evaluator", "coordinator", "administrator"):
        client.cookies.clear()
        log_in(client, session, world.users[actor], now=clock.now())
        response = client.get(url)
        assert response.status_code == 404
        assert SECRET_ANSWER not in response.text


def _coordinate(session: Session, world, clock: FrozenClock) -> None:  # type: ignore[no-untyped-def]
    session.add(
        ChallengeCoordinator(
            challenge_id=world.ids["challenge_id"], user_id=world.users["coordinator"].id, assigned_at=clock.now()
        )
    )
    session.commit()


def _export(client: TestClient, world) -> object:  # type: ignore[no-untyped-def]
    url = f"/manage/challenges/{world.ids['challenge_slug']}/stages/brief/submissions/archive"
    return client.post(url, data={"csrf_token": csrf(client)})


def test_submissions_archive_sealed_before_the_deadline(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    _coordinate(session, world, clock)
    log_in(client, session, world.users["coordinator"], now=clock.now())
    response = _export(client, world)
    assert response.status_code == 404  # type: ignore[attr-defined]
    actions = session.scalars(select(AuditEvent.action).order_by(AuditEvent.id.desc())).first()
    assert actions == "security.sealed_refused"


def test_submissions_archive_after_the_deadline_has_a_folder_per_proposal_and_is_audited(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    _coordinate(session, world, clock)
    clock.set(world.after_deadline)
    log_in(client, session, world.users["coordinator"], now=clock.now())
    response = _export(client, world)
    assert response.status_code == 200  # type: ignore[attr-defined]
    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()  # type: ignore[attr-defined]
    folder = names[0].split("/")[0]
    assert folder.endswith("Alpha Geheim Defence B.V")
    assert sorted(name.split("/", 1)[1] for name in names) == [
        "antwoorden.txt",
        "documents/brief-alpha-brief.pdf",
        "receipt.json",
    ]
    event = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event is not None
    assert (event.action, event.actor_id) == ("challenge.submissions_export", world.users["coordinator"].id)


def test_submissions_archive_refused_to_other_staff_and_companies(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _world(client, session, clock)
    clock.set(world.after_deadline)
    for actor in ("member_a", "member_b", "evaluator", "coordinator"):
        client.cookies.clear()
        log_in(client, session, world.users[actor], now=clock.now())
        response = _export(client, world)
        assert response.status_code == 404, actor  # type: ignore[attr-defined]


def test_entry_names_are_safe_and_unique() -> None:
    names = EntryNames()
    assert names.add("docs", "../../etc/passwd") == "docs/passwd"
    assert names.add("docs", "passwd") == "docs/passwd (2)"
    assert names.add("..", "a.pdf") == "folder/a.pdf"
    assert names.add("CON.txt") == "file_CON.txt"
    assert safe_segment("C:\\temp\\x\x00y.pdf") == "xy.pdf"
    assert safe_segment(".hidden") == "hidden"
    assert safe_segment("") == "file"
