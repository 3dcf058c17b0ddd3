"""``portal restore``: a backup into an empty database and document folder, then checked against its manifest.

Before anything is written, every file of the backup must hash as its manifest says. After restoring: the rows
per table, the schema revision, the audit chain (verified whole) and its head, and every document the restored
rows name, each against the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app import migrate
from app.audit.service import Actor, record_event, verify_chain
from app.database import Database
from app.ops.backup import databases
from app.ops.backup.manifest import Manifest, read_snapshot
from app.storage import LocalBlobStore, file_sha256


class RestoreRefused(Exception):
    """The target is not empty (and ``--force`` was not given), or the backup does not fit it."""


@dataclass
class RestoreReport:
    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def check(self, ok: bool, what: str, found: object, expected: object) -> None:
        if ok:
            self.lines.append(f"ok: {what}: {found}")
        else:
            self.problems.append(f"{what}: found {found}, the backup says {expected}")


def verify_backup(folder: Path, manifest: Manifest) -> list[str]:
    """Files of the backup that are missing or do not hash as the manifest says."""
    problems = []
    for relative, sha in sorted(manifest.files.items()):
        path = folder / relative
        if not path.is_file():
            problems.append(f"{relative}: missing from the backup")
        elif file_sha256(path) != sha:
            problems.append(f"{relative}: its bytes do not hash to the manifest's SHA-256 (damaged)")
    if manifest.database_file not in manifest.files:
        problems.append(f"{manifest.database_file}: not listed in the manifest")
    return problems


def check_target(url: str, store: LocalBlobStore, manifest: Manifest, *, force: bool) -> None:
    """Refuse a database of another kind, or (unless ``force``) a database or document folder that is not empty."""
    dialect = make_url(url).get_backend_name()
    if dialect != manifest.dialect:
        raise RestoreRefused(f"the backup holds a {manifest.dialect} database; the target is {dialect}")
    if dialect == "sqlite" and not databases.sqlite_path(url).exists():
        empty = True
    else:
        engine = create_engine(url)
        try:
            with engine.connect() as connection:
                empty = databases.is_empty(connection)
                schema = databases.current_schema(connection) if dialect == "postgresql" else None
        except SQLAlchemyError as error:
            raise RestoreRefused(f"the target database cannot be reached: {error.__class__.__name__}") from error
        finally:
            engine.dispose()
        if schema is not None and schema != manifest.schema:
            raise RestoreRefused(f"the backup holds the schema {manifest.schema}; the target connects to {schema}")
    if not force and not empty:
        raise RestoreRefused("the target database is not empty; restore with --force to replace what it holds")
    if not force and next(store.iter_blobs(), None) is not None:
        raise RestoreRefused(f"the document folder {store.root} is not empty; restore with --force to add to it")


def restore_backup(folder: Path, manifest: Manifest, *, url: str, store: LocalBlobStore, force: bool) -> None:
    """Put the database and the documents in place (the backup verified and the target checked beforehand)."""
    source = folder / manifest.database_file
    if manifest.dialect == "sqlite":
        databases.restore_sqlite(source, url)
    else:
        if force:
            engine = create_engine(url)
            with engine.begin() as connection:
                databases.clear_postgresql(connection)
            engine.dispose()
        databases.restore_postgresql(source, url, schema=manifest.schema or "public")
    for relative in manifest.files:
        if relative != manifest.database_file:
            sha = Path(relative).name
            if not store.verify(sha):
                store.path_of(sha).unlink(missing_ok=True)  # a damaged file in its place (--force)
                store.put(folder / relative, sha256=sha)


def check_restored(url: str, manifest: Manifest, *, store: LocalBlobStore) -> RestoreReport:
    """Everything restored against the manifest: rows, revision, audit chain and head, documents."""
    report = RestoreReport()
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            snapshot = read_snapshot(connection)
            with Session(bind=connection) as session:
                chain = verify_chain(session)
    finally:
        engine.dispose()
    for name in sorted(set(manifest.tables) | set(snapshot.tables)):
        found, expected = snapshot.tables.get(name), manifest.tables.get(name)
        if found != expected:
            report.check(False, f"rows in {name}", found, expected)
    if snapshot.tables == manifest.tables:
        rows = sum(snapshot.tables.values())
        report.lines.append(f"ok: rows: {rows} in {len(snapshot.tables)} tables, each table's count as in the backup")
    report.check(snapshot.revision == manifest.revision, "schema revision", snapshot.revision, manifest.revision)
    if chain.ok:
        report.lines.append(f"ok: audit chain intact: {chain.count} events")
    else:
        report.problems.append(f"audit chain broken at event {chain.first_bad_id}: {chain.problem}")
    head = str(snapshot.audit_head)
    report.check(head == manifest.audit_head, "audit head", head, manifest.audit_head)
    bad = sorted(sha for sha in snapshot.blobs if not store.verify(sha))
    for sha in bad:
        report.problems.append(f"document {sha}: missing or damaged in {store.root}")
    if not bad:
        report.lines.append(f"ok: documents: all {len(snapshot.blobs)} named by rows present, each matching its hash")
    return report


def record_restore(
    url: str, *, folder: Path, manifest: Manifest, report: RestoreReport, actor: Actor, now: datetime
) -> None:
    """The restore in the restored audit trail (after the checks, which compare the head as the backup left it)."""
    db = Database(url)
    try:
        with db.unit_of_work() as session:
            record_event(
                session,
                actor=actor,
                action="ops.restore",
                object_type="backup",
                object_id=folder.name[:100],
                at=now,
                data={
                    "folder": str(folder),
                    "backup_created_at": manifest.created_at,
                    "audit_head": manifest.audit_head,
                    "checks_passed": report.ok,
                },
            )
            session.commit()
    finally:
        db.dispose()


def grant_runtime(url: str, runtime_url: str) -> str | None:
    """On PostgreSQL, the runtime role's privileges, as ``portal migrate`` grants them; the role's name."""
    runtime = make_url(runtime_url).username
    if make_url(url).get_backend_name() != "postgresql" or not runtime or runtime == make_url(url).username:
        return None
    engine = create_engine(url)
    try:
        migrate.grant_runtime_role(engine, runtime)
    finally:
        engine.dispose()
    return runtime
