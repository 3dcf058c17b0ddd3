"""``portal audit``: inspect the hash-chained audit trail."""

from __future__ import annotations

import sys

import click

from app.cli.common import get_settings, open_database


@click.group()
def audit() -> None:
    """Inspect the audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 0 with the count when intact, non-zero naming the first bad event."""
    from app.audit.service import verify_chain

    db = open_database(get_settings())
    with db.session() as session:
        result = verify_chain(session)
    db.dispose()
    if result.ok:
        click.echo(f"Audit chain intact: {result.count} events.")
        return
    click.echo(
        f"Audit chain broken at event {result.first_bad_id}: {result.problem}. "
        f"{result.count} events before it are intact.",
        err=True,
    )
    sys.exit(1)
