"""What backup, restore and the blob commands refuse or report: a non-empty target, a damaged backup, a damaged
or missing document, and which files a collection keeps."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from app.audit.models import AuditEvent
from app.database import Database
from app.proposals.models import Blob
from app.storage import LocalBlobStore
from tests.backup.helpers import run, scratch_database
from tests.databases import PG_URL
from tests.factories import create_challenge

DAY = 24 * 3600


@dataclass
class Live:
    url: str
    data_dir: Path
    store: LocalBlobStore
    document: str  # a stored document that a row names


def _name_blob(url: str, store: LocalBlobStore, data: bytes) -> str:
    sha = store.put_bytes(data)
    db = Database(url)
    with db.unit_of_work() as session:
        session.add(Blob(sha256=sha, size_bytes=len(data), media_type="application/pdf", created_at=datetime.now(UTC)))
        session.commit()
    db.dispose()
    return sha


@pytest.fixture
def live(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Live]:
    """A migrated database with a published challenge and one stored document, found through PORTAL_*."""
    data_dir = tmp_path / "live"
    with scratch_database(db_kind, data_dir) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(data_dir))
        assert run("migrate").exit_code == 0
        db = Database(url)
        with db.unit_of_work() as session:
            create_challenge(session)
        db.dispose()
        store = LocalBlobStore(data_dir / "blobs")
        yield Live(url, data_dir, store, _name_blob(url, store, b"%PDF-1.7 named document"))


def _target(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> None:
    monkeypatch.setenv("PORTAL_DATABASE_URL", url)
    monkeypatch.setenv("PORTAL_DATA_DIR", str(data_dir))


def _tables(url: str) -> list[str]:
    engine = create_engine(url)
    names = inspect(engine).get_table_names()
    engine.dispose()
    return names


def test_backup_refuses_a_folder_that_is_not_empty(live: Live, tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "other.txt").write_text("keep me")
    result = run("backup", str(tmp_path / "full"))
    assert result.exit_code == 1
    assert "is not an empty folder" in result.output
    assert (tmp_path / "full" / "other.txt").read_text() == "keep me"


def test_backup_holds_the_named_documents_and_a_manifest_of_every_file(live: Live, tmp_path: Path) -> None:
    unreferenced = live.store.put_bytes(b"no row names me")
    result = run("backup", str(tmp_path / "b"))
    assert result.exit_code == 0, result.output
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["blobs"] == [live.document]
    relative = f"blobs/{live.document[:2]}/{live.document[2:4]}/{live.document}"
    assert set(manifest["files"]) == {manifest["database_file"], relative}
    assert (tmp_path / "b" / relative).read_bytes() == b"%PDF-1.7 named document"
    assert not list((tmp_path / "b").rglob(unreferenced))
    assert manifest["tables"]["challenge"] == 1 and manifest["tables"]["blob"] == 1
    assert manifest["revision"] and manifest["audit_head"].count(":") == 1
    assert run("audit", "head").stdout.strip() != manifest["audit_head"]  # the backup itself is audited after it


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(
    live: Live, db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("backup", str(tmp_path / "b")).exit_code == 0
    with scratch_database(db_kind, tmp_path / "other") as other:
        _target(monkeypatch, other, tmp_path / "other")
        assert run("migrate").exit_code == 0
        refused = run("restore", str(tmp_path / "b"))
        assert refused.exit_code == 1
        assert "the target database is not empty; restore with --force" in refused.output
        db = Database(other)
        with db.session() as session:
            assert session.scalar(select(func.count()).select_from(Blob)) == 0  # nothing restored
        db.dispose()
        forced = run("restore", "--force", str(tmp_path / "b"))
        assert forced.exit_code == 0, forced.output
        assert "every check matches the manifest" in forced.output
        assert run("audit", "verify").exit_code == 0


def test_restore_refuses_a_document_folder_that_is_not_empty(
    live: Live, db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("backup", str(tmp_path / "b")).exit_code == 0
    with scratch_database(db_kind, tmp_path / "other") as other:
        _target(monkeypatch, other, tmp_path / "other")
        LocalBlobStore(tmp_path / "other" / "blobs").put_bytes(b"someone else's document")
        refused = run("restore", str(tmp_path / "b"))
        assert refused.exit_code == 1
        assert "is not empty; restore with --force" in refused.output
        assert "blob" not in _tables(other)


def test_restore_finds_a_damaged_document_in_the_backup_and_restores_nothing(
    live: Live, db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run("backup", str(tmp_path / "b")).exit_code == 0
    copy = tmp_path / "b" / "blobs" / live.document[:2] / live.document[2:4] / live.document
    copy.write_bytes(b"%PDF-1.7 named documenT")
    with scratch_database(db_kind, tmp_path / "other") as other:
        _target(monkeypatch, other, tmp_path / "other")
        refused = run("restore", str(tmp_path / "b"))
        assert refused.exit_code == 1
        assert (
            f"blobs/{live.document[:2]}/{live.document[2:4]}/{live.document}: its bytes do not hash" in refused.output
        )
        assert "nothing was restored" in refused.output
        assert _tables(other) == []
        assert not (tmp_path / "other" / "blobs").exists()


def test_restore_refuses_a_folder_without_a_manifest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
    refused = run("restore", str(tmp_path / "empty"))
    assert refused.exit_code == 1
    assert "holds no manifest.json" in refused.output


def test_blobs_check_reports_a_missing_and_a_damaged_document(live: Live) -> None:
    assert run("blobs", "check").exit_code == 0
    other = _name_blob(live.url, live.store, b"%PDF-1.7 second document")
    live.store.path_of(live.document).write_bytes(b"changed on disk")
    live.store.path_of(other).unlink()
    result = run("blobs", "check")
    assert result.exit_code == 1
    assert f"blob {live.document}: file changed: its bytes no longer hash to its name" in result.output
    assert f"blob {other}: file missing" in result.output
    assert "2 of 2 rows name a missing or damaged file" in result.output


def test_a_backup_of_a_store_with_a_missing_document_says_it_is_incomplete(live: Live, tmp_path: Path) -> None:
    live.store.path_of(live.document).unlink()
    result = run("backup", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert "The backup is incomplete: 1 documents could not be copied" in result.output
    assert json.loads((tmp_path / "b" / "manifest.json").read_text())["missing_blobs"] == [live.document]


def _age(path: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(path, (past, past))


def _gc_events(url: str) -> int:
    db = Database(url)
    with db.session() as session:
        count = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "blobs.gc"))
    db.dispose()
    return int(count or 0)


def test_blobs_gc_removes_only_old_files_no_row_names(live: Live) -> None:
    orphan = live.store.put_bytes(b"removed long ago")
    young = live.store.put_bytes(b"uploaded a moment ago, row not yet committed")
    live.store.tmp.mkdir(exist_ok=True)
    leftover = live.store.tmp / "upload-dead-worker"
    leftover.write_bytes(b"half an upload")
    for path in (live.store.path_of(orphan), live.store.path_of(live.document), leftover):
        _age(path, 2 * DAY)

    dry = run("blobs", "gc", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert f"Would remove {orphan}" in dry.output
    assert live.store.exists(orphan) and leftover.exists()
    assert _gc_events(live.url) == 0

    result = run("blobs", "gc")
    assert result.exit_code == 0, result.output
    assert f"Removed {orphan}" in result.output
    assert "kept 1 named by rows, 1 younger than 24 h" in result.output
    assert not live.store.exists(orphan) and not leftover.exists()
    assert live.store.verify(live.document) and live.store.verify(young)
    assert _gc_events(live.url) == 1
    assert run("audit", "verify").exit_code == 0

    shorter = run("blobs", "gc", "--grace-hours", "0")
    assert shorter.exit_code == 0
    assert not live.store.exists(young) and live.store.verify(live.document)


def test_blobs_gc_keeps_files_while_a_backup_holds_the_store(live: Live) -> None:
    orphan = live.store.put_bytes(b"removed long ago")
    _age(live.store.path_of(orphan), 2 * DAY)
    with live.store.hold():
        result = run("blobs", "gc")
    assert result.exit_code == 0
    assert "1 while a backup runs" in result.output
    assert live.store.exists(orphan)
    assert _gc_events(live.url) == 0


def test_restore_on_postgresql_runs_as_the_owner_and_grants_the_runtime_role(
    live: Live, db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db_kind != "postgresql":
        pytest.skip("SQLite has no database roles")
    assert run("backup", str(tmp_path / "b")).exit_code == 0
    suffix = secrets.token_hex(4)
    owner, runtime, database = f"restore_owner_{suffix}", f"restore_app_{suffix}", f"restore_{suffix}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE ROLE {owner} LOGIN"))
        connection.execute(text(f"CREATE ROLE {runtime} LOGIN"))
        connection.execute(text(f"CREATE DATABASE {database} OWNER {owner}"))
        connection.execute(text(f"REVOKE ALL ON DATABASE {database} FROM PUBLIC"))
        connection.execute(text(f"GRANT CONNECT ON DATABASE {database} TO {runtime}"))
    base = make_url(PG_URL).set(database=database, query={})
    owner_url = base.set(username=owner).render_as_string(hide_password=False)
    runtime_url = base.set(username=runtime).render_as_string(hide_password=False)
    try:
        monkeypatch.setenv("PORTAL_MIGRATE_DATABASE_URL", owner_url)
        _target(monkeypatch, runtime_url, tmp_path / "other")
        result = run("restore", str(tmp_path / "b"))
        assert result.exit_code == 0, result.output
        assert f"Granted role {runtime} the portal's privileges" in result.output
        engine = create_engine(runtime_url)
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")) == owner
            assert connection.scalar(text("SELECT count(*) FROM challenge")) == 1
            with pytest.raises(DBAPIError):
                connection.execute(text("UPDATE audit_event SET action = 'changed'"))
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            connection.execute(text(f"DROP ROLE IF EXISTS {runtime}"))
            connection.execute(text(f"DROP ROLE IF EXISTS {owner}"))
        admin.dispose()
