"""``portal backup DEST`` and ``portal restore SRC``."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
from sqlalchemy.exc import SQLAlchemyError

from app.cli.common import cli_actor, get_settings, open_database


@click.command()
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
def backup(dest: Path) -> None:
    """Back up the database and every document its rows name into DEST (new or empty), with a manifest.

    Runs while the portal serves: the database is copied at one snapshot (SQLite's online backup API, or
    pg_dump in its custom format), then the documents that snapshot names, each hashed.
    """
    from app.ops.backup.databases import BackupError
    from app.ops.backup.service import make_backup, record_backup
    from app.storage import LocalBlobStore

    settings = get_settings()
    now = datetime.now(UTC)
    try:
        result = make_backup(
            settings.effective_database_url,
            store=LocalBlobStore(settings.effective_blob_dir),
            folder=dest,
            now=now,
        )
    except (ValueError, BackupError) as error:
        click.echo(f"Backup refused: {error}", err=True)
        sys.exit(1)
    except SQLAlchemyError as error:
        click.echo(f"Backup failed: the database cannot be read ({error.__class__.__name__}).", err=True)
        sys.exit(1)
    manifest = result.manifest
    db = open_database(settings)
    with db.unit_of_work() as session:
        record_backup(session, result=result, actor=cli_actor(), now=now)
        session.commit()
    db.dispose()
    rows = sum(manifest.tables.values())
    click.echo(
        f"Backup in {dest}: {rows} rows in {len(manifest.tables)} tables, {len(manifest.blobs)} documents, "
        f"audit head {manifest.audit_head}, revision {manifest.revision}."
    )
    if not result.complete:
        for sha in manifest.missing_blobs:
            click.echo(f"Document {sha} is named by a row but missing or damaged in the store.", err=True)
        click.echo(
            f"The backup is incomplete: {len(manifest.missing_blobs)} documents could not be copied "
            "(see `portal blobs check`).",
            err=True,
        )
        sys.exit(1)


@click.command()
@click.argument("src", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace what a non-empty database holds (and add to the documents).")
def restore(src: Path, force: bool) -> None:
    """Restore the backup in SRC into an empty database and document folder, then check it against its manifest.

    Connects with PORTAL_MIGRATE_DATABASE_URL (the schema's owner on PostgreSQL) when set, and grants the role
    of PORTAL_DATABASE_URL its privileges as `portal migrate` does. Exit 1 when anything does not match.
    """
    from app.ops.backup import restore as service
    from app.ops.backup.databases import BackupError
    from app.ops.backup.manifest import Manifest
    from app.storage import LocalBlobStore

    settings = get_settings()
    url = settings.effective_migrate_database_url
    store = LocalBlobStore(settings.effective_blob_dir)
    try:
        manifest = Manifest.read(src)
    except ValueError as error:
        click.echo(f"Restore refused: {error}", err=True)
        sys.exit(1)
    damaged = service.verify_backup(src, manifest)
    if damaged:
        for problem in damaged:
            click.echo(problem, err=True)
        click.echo(f"Restore refused: the backup in {src} does not match its manifest; nothing was restored.", err=True)
        sys.exit(1)
    settings.data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        service.check_target(url, store, manifest, force=force)
        service.restore_backup(src, manifest, url=url, store=store, force=force)
    except (service.RestoreRefused, BackupError) as error:
        click.echo(f"Restore refused: {error}", err=True)
        sys.exit(1)
    granted = service.grant_runtime(url, settings.effective_database_url)
    if granted:
        click.echo(f"Granted role {granted} the portal's privileges: audit events read and append only")
    report = service.check_restored(url, manifest, store=store)
    for line in report.lines:
        click.echo(line)
    for problem in report.problems:
        click.echo(f"MISMATCH: {problem}", err=True)
    service.record_restore(url, folder=src, manifest=manifest, report=report, actor=cli_actor(), now=datetime.now(UTC))
    if not report.ok:
        click.echo(f"Restored from {src}, but {len(report.problems)} checks failed.", err=True)
        sys.exit(1)
    click.echo(f"Restored from {src} (made {manifest.created_at}): every check matches the manifest.")
