"""``portal backup``: the database at one snapshot, every document its rows name, and a manifest to check them by.

Why the documents copied after the snapshot are complete: a document's file is written and synced before the
row that names it is committed (``app.storage``), so every file the snapshot's rows name existed when the
snapshot was taken. Files are content-addressed and never rewritten; the only way one goes is a deletion, and
while the backup runs the store is held (``LocalBlobStore.hold``): no process deletes a blob until the copy is
done. Files that appear after the snapshot are not copied (no row of the backup names them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import make_url
from sqlalchemy.orm import Session

from app.audit.service import Actor, record_event
from app.ops.backup import databases
from app.ops.backup.manifest import Manifest, Snapshot, blob_path
from app.storage import CHUNK, LocalBlobStore, file_sha256, make_private_dir


@dataclass(frozen=True)
class BackupResult:
    folder: Path
    manifest: Manifest

    @property
    def complete(self) -> bool:
        return not self.manifest.missing_blobs


def prepare_folder(folder: Path) -> None:
    """The backup's folder: new, or empty. ValueError when it holds anything."""
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())):
        raise ValueError(f"{folder} is not an empty folder: a backup goes into a new or empty one")
    make_private_dir(folder)


def make_backup(url: str, *, store: LocalBlobStore, folder: Path, now: datetime) -> BackupResult:
    """Dump the database at ``url`` into ``folder`` with the documents its rows name, and write the manifest."""
    prepare_folder(folder)
    dialect = make_url(url).get_backend_name()
    with store.hold():
        schema: str | None = None
        if dialect == "sqlite":
            database_file = databases.SQLITE_FILE
            snapshot = databases.dump_sqlite(url, folder / database_file)
        elif dialect == "postgresql":
            database_file = databases.POSTGRESQL_FILE
            snapshot, schema = databases.dump_postgresql(url, folder / database_file)
        else:
            raise databases.BackupError(f"no backup for the database kind {dialect}")
        files, missing = _copy_blobs(store, folder, snapshot)
    files[database_file] = file_sha256(folder / database_file)
    manifest = Manifest(
        created_at=now.isoformat(),
        dialect=dialect,
        database_file=database_file,
        schema=schema,
        revision=snapshot.revision,
        audit_head=str(snapshot.audit_head),
        tables=snapshot.tables,
        files=dict(sorted(files.items())),
        blobs=sorted(snapshot.blobs),
        missing_blobs=missing,
    )
    manifest.write(folder)
    return BackupResult(folder, manifest)


def _copy_blobs(store: LocalBlobStore, folder: Path, snapshot: Snapshot) -> tuple[dict[str, str], list[str]]:
    """Copy each named document, hashing what is copied: a file that does not hash to its name counts missing."""
    files: dict[str, str] = {}
    missing: list[str] = []
    for sha in sorted(snapshot.blobs):
        relative = blob_path(sha)
        target = folder / relative
        make_private_dir(target.parent)
        try:
            source = store.open(sha)
        except (FileNotFoundError, ValueError):
            missing.append(sha)
            continue
        with source, target.open("wb") as out:
            while chunk := source.read(CHUNK):
                out.write(chunk)
        copied = file_sha256(target)
        if copied != sha:
            target.unlink()
            missing.append(sha)
            continue
        files[relative] = copied
    return files, missing


def record_backup(session: Session, *, result: BackupResult, actor: Actor, now: datetime) -> None:
    """The backup in the live audit trail, with the head it holds. The caller commits."""
    manifest = result.manifest
    record_event(
        session,
        actor=actor,
        action="ops.backup",
        object_type="backup",
        object_id=result.folder.name[:100],
        at=now,
        data={
            "folder": str(result.folder),
            "audit_head": manifest.audit_head,
            "revision": manifest.revision,
            "documents": len(manifest.blobs) - len(manifest.missing_blobs),
            "missing_documents": len(manifest.missing_blobs),
        },
    )
