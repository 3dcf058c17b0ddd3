"""``portal blobs check`` and ``portal blobs gc``: the document store against the rows that name its files."""

from __future__ import annotations

import sys
from datetime import UTC, datetime

import click

from app.cli.common import cli_actor, get_settings, open_database


@click.group()
def blobs() -> None:
    """Check the document store, and remove files no row names."""


@blobs.command("check")
def blobs_check() -> None:
    """Report every row whose document file is missing or no longer hashes to its name (exit 1 when any)."""
    from app.ops.blobs.service import check_blobs
    from app.storage import LocalBlobStore

    settings = get_settings()
    db = open_database(settings)
    with db.session() as session:
        result = check_blobs(session, store=LocalBlobStore(settings.effective_blob_dir))
    db.dispose()
    for problem in result.problems:
        click.echo(problem)
    if not result.ok:
        click.echo(f"{len(result.problems)} of {result.rows} rows name a missing or damaged file.", err=True)
        sys.exit(1)
    click.echo(f"Documents intact: {result.rows} rows name {result.files} files, each present and matching its hash.")


@blobs.command("gc")
@click.option(
    "--grace-hours",
    type=click.FloatRange(min=0),
    default=24.0,
    show_default=True,
    help="Keep files younger than this, whether or not a row names them yet.",
)
@click.option("--dry-run", is_flag=True, help="List what would go; remove nothing.")
def blobs_gc(grace_hours: float, dry_run: bool) -> None:
    """Remove document files that no row names and that are older than the grace period (audited)."""
    from app.ops.blobs.service import collect_garbage
    from app.storage import LocalBlobStore

    settings = get_settings()
    db = open_database(settings)
    with db.unit_of_work() as session:
        result = collect_garbage(
            session,
            store=LocalBlobStore(settings.effective_blob_dir),
            grace_seconds=grace_hours * 3600,
            dry_run=dry_run,
            actor=cli_actor(),
            now=datetime.now(UTC),
        )
        session.commit()
    db.dispose()
    verb = "Would remove" if dry_run else "Removed"
    for sha in result.removed:
        click.echo(f"{verb} {sha}")
    click.echo(
        f"{verb} {len(result.removed)} unreferenced files ({result.removed_bytes} bytes) and "
        f"{result.temporary_removed} leftover upload files; kept {result.referenced} named by rows, "
        f"{result.young} younger than {grace_hours:g} h"
        + (f", {result.kept_by_backup} while a backup runs" if result.kept_by_backup else "")
        + "."
    )
