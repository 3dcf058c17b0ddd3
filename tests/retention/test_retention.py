"""Retention: documents of challenges closed longer than the retention period go, with audit events; a dry run
changes nothing; open challenges and bytes another challenge still holds are kept; pages say what happened."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import Actor, verify_chain
from app.challenges.models import Challenge
from app.clock import FrozenClock
from app.database import Database
from app.ops.retention import service
from app.ops.retention.rules import add_years
from app.proposals.models import Blob, ProposalDocument, ProposalVersionDocument
from app.storage import LocalBlobStore
from tests.authz.world import World, build_world
from tests.backup.helpers import run, scratch_database
from tests.conftest import DEFAULT_NOW
from tests.factories import log_in

ACTOR = Actor.system("test")


def _closed_world(client: TestClient, session: Session, clock: FrozenClock, status: str = "decided") -> World:
    world = build_world(session, clock.now(), blobs=client.app.state.blobs)  # type: ignore[attr-defined]
    session.execute(update(Challenge).where(Challenge.id == world.ids["challenge_id"]).values(status=status))
    session.commit()
    return world


def _rows(session: Session) -> tuple[int, int, int]:
    """Version documents, working copies, and blob rows of proposals' documents (the world's proposition keeps a
    document of its own, which no purge of a challenge touches)."""
    from app.proposals.propositions.models import Proposition

    propositions = select(Proposition.document_sha256).where(Proposition.document_sha256.is_not(None))
    return (
        int(session.scalar(select(func.count()).select_from(ProposalVersionDocument)) or 0),
        int(session.scalar(select(func.count()).select_from(ProposalDocument)) or 0),
        int(session.scalar(select(func.count()).select_from(Blob).where(Blob.sha256.not_in(propositions))) or 0),
    )


def test_add_years_keeps_the_day_or_takes_the_28th() -> None:
    from datetime import UTC, datetime

    assert add_years(datetime(2024, 2, 29, 12, tzinfo=UTC), 7) == datetime(2031, 2, 28, 12, tzinfo=UTC)
    assert add_years(datetime(2027, 3, 1, tzinfo=UTC), 7) == datetime(2034, 3, 1, tzinfo=UTC)


def test_plan_lists_documents_only_after_the_period(client: TestClient, session: Session, clock: FrozenClock) -> None:
    world = _closed_world(client, session, clock)
    assert world.after_deadline is not None
    deadline = world.after_deadline - timedelta(hours=1)
    assert service.plan_purge(session, years=7, now=add_years(deadline, 7) - timedelta(seconds=1)).documents == 0
    plan = service.plan_purge(session, years=7, now=add_years(deadline, 7))
    assert [(d.what, d.question_key) for d in plan.challenges[0].documents] == [
        ("version 1", "brief"),
        ("working copy", "brief"),
    ]
    assert _rows(session) == (1, 1, 1)


def test_open_challenges_are_never_purged(client: TestClient, session: Session, clock: FrozenClock) -> None:
    world = build_world(session, clock.now(), blobs=client.app.state.blobs)  # type: ignore[attr-defined]
    assert world.after_deadline is not None
    later = add_years(world.after_deadline, 50)
    assert service.purge_documents(session, years=7, actor=ACTOR, now=later).documents == 0
    assert _rows(session) == (1, 1, 1)


def test_purge_removes_rows_and_files_and_pages_say_so(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    world = _closed_world(client, session, clock, status="cancelled")
    assert world.after_deadline is not None
    store = client.app.state.blobs  # type: ignore[attr-defined]
    sha = session.scalar(select(ProposalVersionDocument.sha256))
    result = service.purge_documents(session, years=7, actor=ACTOR, now=add_years(world.after_deadline, 7))
    session.commit()
    assert result.unreferenced == [sha]
    assert service.remove_files(session, store=store, shas=result.unreferenced) == [sha]
    assert not store.exists(sha)
    assert _rows(session) == (0, 0, 0)
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "retention.purge")).one()
    assert event.object_id == str(world.ids["challenge_id"])
    assert verify_chain(session).ok
    log_in(client, session, world.users["member_a"], now=clock.now())
    page = client.get(f"/proposals/{world.ids['proposal_a']}/versions/1")
    assert page.status_code == 200
    assert "alpha-brief.pdf (verwijderd volgens de bewaartermijn)" in page.text
    archive = zipfile.ZipFile(
        io.BytesIO(client.get(f"/proposals/{world.ids['proposal_a']}/versions/1/archive").content)
    )
    assert archive.namelist() == ["antwoorden.txt", "receipt.json"]
    assert "verwijderd volgens de bewaartermijn" in archive.read("antwoorden.txt").decode()
    assert client.get(f"/proposals/{world.ids['proposal_a']}/versions/1/documents/brief").status_code == 404


def test_a_receipt_checked_after_the_purge_names_the_removed_documents(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    from app.proposals.models import ProposalVersion

    world = _closed_world(client, session, clock, status="decided")
    assert world.after_deadline is not None
    code = session.scalar(
        select(ProposalVersion.receipt_hash).where(ProposalVersion.proposal_id == world.ids["proposal_a"])
    )
    log_in(client, session, world.users["member_a"], now=clock.now())
    before = client.get(f"/proposals/{world.ids['proposal_a']}?receipt={code}&lang=en").text
    assert "The content and every document are exactly as received." in before

    service.purge_documents(session, years=7, actor=ACTOR, now=add_years(world.after_deadline, 7))
    session.commit()

    after = client.get(f"/proposals/{world.ids['proposal_a']}?receipt={code}&lang=en").text
    assert "every document are exactly as received" not in after
    assert "The content is exactly as received; these documents have since been removed" in after
    assert "alpha-brief.pdf" in after
    dutch = client.get(f"/proposals/{world.ids['proposal_a']}?receipt={code}&lang=nl").text
    assert "verwijderd volgens de bewaartermijn: alpha-brief.pdf" in dutch


def test_bytes_another_challenge_still_holds_are_kept(client: TestClient, session: Session, clock: FrozenClock) -> None:
    from app.proposals.models import Proposal
    from tests.factories import create_challenge

    world = _closed_world(client, session, clock)
    assert world.after_deadline is not None
    store = client.app.state.blobs  # type: ignore[attr-defined]
    sha = session.scalar(select(ProposalVersionDocument.sha256))
    other = create_challenge(session, slug="other-challenge")
    proposal = Proposal(
        challenge_id=other.id,
        stage_id=other.stages[0].id,
        organisation_id=world.ids["org_b"],
        draft={},
        created_at=clock.now(),
        updated_at=clock.now(),
    )
    session.add(proposal)
    session.flush()
    session.add(
        ProposalDocument(
            proposal_id=proposal.id,
            question_key="brief",
            sha256=sha,
            original_name="same-bytes.pdf",
            size_bytes=1,
            kind="pdf",
            uploaded_at=clock.now(),
        )
    )
    session.commit()
    result = service.purge_documents(session, years=7, actor=ACTOR, now=add_years(world.after_deadline, 7))
    session.commit()
    assert result.documents == 2
    assert result.unreferenced == []
    assert service.remove_files(session, store=store, shas=[sha]) == []
    assert store.exists(sha)
    assert _rows(session) == (0, 1, 1)


def test_bytes_a_proposition_still_holds_are_kept(client: TestClient, session: Session, clock: FrozenClock) -> None:
    from app.proposals.propositions.models import Proposition

    world = _closed_world(client, session, clock)
    assert world.after_deadline is not None
    store = client.app.state.blobs  # type: ignore[attr-defined]
    sha = session.scalar(select(ProposalVersionDocument.sha256))
    session.execute(update(Proposition).where(Proposition.id == world.ids["proposition_a"]).values(document_sha256=sha))
    session.commit()
    result = service.purge_documents(session, years=7, actor=ACTOR, now=add_years(world.after_deadline, 7))
    session.commit()
    assert result.documents == 2
    assert result.unreferenced == []
    assert service.remove_files(session, store=store, shas=[sha]) == []
    assert store.exists(sha)


# --- the command line, on a database of its own --------------------------------------------------


@pytest.fixture
def closed_portal(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """A migrated portal whose one challenge was decided with its last deadline in 2015, found through PORTAL_*."""
    data_dir = tmp_path / "live"
    with scratch_database(db_kind, data_dir) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(data_dir))
        assert run("migrate").exit_code == 0
        db = Database(url)
        store = LocalBlobStore(data_dir / "blobs")
        with db.unit_of_work() as session:
            world = build_world(session, DEFAULT_NOW, blobs=store)
            session.execute(text("UPDATE challenge SET status = 'decided'"))
            session.execute(text("UPDATE challenge_stage SET deadline_at = '2015-01-01 12:00:00+00:00'"))
            session.commit()
            sha = session.scalar(select(ProposalVersionDocument.sha256))
        yield db, store, sha, world
        db.dispose()


def test_cli_dry_run_lists_and_changes_nothing_then_purge_removes(closed_portal, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, store, sha, _world = closed_portal
    with db.session() as session:
        before = _rows(session)
        events = session.scalar(select(func.count()).select_from(AuditEvent))
    dry = run("retention", "purge", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"Would remove {world_reference(db)} version 1 brief {sha}" in dry.output
    assert "Would remove 2 document rows of 1 challenges." in dry.output
    with db.session() as session:
        assert _rows(session) == before
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert store.exists(sha)

    monkeypatch.setenv("PORTAL_RETENTION_YEARS", "30")
    assert "Removed 0 document rows of 0 challenges" in run("retention", "purge").output
    monkeypatch.setenv("PORTAL_RETENTION_YEARS", "7")
    result = run("retention", "purge")
    assert result.exit_code == 0, result.output
    assert "Removed 2 document rows of 1 challenges; 1 files deleted" in result.output
    assert not store.exists(sha)
    with db.session() as session:
        assert _rows(session) == (0, 0, 0)
        assert session.scalar(select(func.count()).where(AuditEvent.action == "retention.purge")) == 1
    assert run("audit", "verify").exit_code == 0
    check = run("blobs", "check")
    assert check.exit_code == 0, check.output
    assert check.exit_code == 0, check.output


def world_reference(db: Database) -> str:
    from app.proposals.models import Proposal

    with db.session() as session:
        return str(session.scalar(select(Proposal.reference)))
