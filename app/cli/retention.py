"""``portal retention purge``: remove the documents of challenges closed longer than PORTAL_RETENTION_YEARS."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from app.cli.common import cli_actor, get_settings, open_database


@click.group()
def retention() -> None:
    """The archive law: how long documents of closed challenges are kept."""


@retention.command("purge")
@click.option("--dry-run", is_flag=True, help="List what would go; change nothing.")
def retention_purge(dry_run: bool) -> None:
    """Remove the documents of challenges decided, archived or cancelled whose last deadline lies more than
    PORTAL_RETENTION_YEARS back (audited per challenge as retention.purge)."""
    from app.ops.retention import service
    from app.storage import LocalBlobStore

    settings = get_settings()
    years, now = settings.retention_years, datetime.now(UTC)
    store = LocalBlobStore(settings.effective_blob_dir)
    db = open_database(settings)
    with db.unit_of_work() as session:
        if dry_run:
            result = service.plan_purge(session, years=years, now=now)
        else:
            result = service.purge_documents(session, years=years, actor=cli_actor(), now=now)
            session.commit()
    removed: list[str] = []
    if not dry_run and result.unreferenced:
        with db.unit_of_work() as session:
            removed = service.remove_files(session, store=store, shas=result.unreferenced)
    db.dispose()
    verb = "Would remove" if dry_run else "Removed"
    for purge in result.challenges:
        click.echo(f"{purge.slug}: kept until {purge.expired_at.isoformat()} ({years} years after its last deadline)")
        for document in purge.documents:
            click.echo(f"  {verb} {document.proposal} {document.what} {document.question_key} {document.sha256}")
    click.echo(
        f"{verb} {result.documents} document rows of {len(result.challenges)} challenges"
        + (
            "."
            if dry_run
            else f"; {len(removed)} files deleted (others are still named or left for `portal blobs gc`)."
        )
    )
