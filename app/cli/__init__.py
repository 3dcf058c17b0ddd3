"""``portal``: the one command line for operators (serve, migrate, challenges, users, demo, audit, mail, worker,
backup, restore, blobs, retention).

One module per command group; this package puts them together under ``main`` (the ``portal`` entry point).
"""

from __future__ import annotations

import os

import click

from app.cli import audit, backup, blobs, challenges, demo, mail, retention, serve, users, worker
from app.storage import PRIVATE_UMASK


@click.group()
@click.option(
    "--operator",
    default=None,
    help="Who runs the command, as the audit trail names it (cli:NAME); default PORTAL_OPERATOR or the system user.",
)
def main(operator: str | None) -> None:
    """Operate the Defence challenge portal. Settings come from PORTAL_* environment variables."""
    os.umask(PRIVATE_UMASK)  # every file and folder the portal creates is its own user's only


main.add_command(serve.serve)
main.add_command(serve.migrate)
main.add_command(challenges.challenges)
main.add_command(audit.audit)
main.add_command(users.users)
main.add_command(demo.demo)
main.add_command(mail.mail)
main.add_command(worker.worker)
main.add_command(backup.backup)
main.add_command(backup.restore)
main.add_command(blobs.blobs)
main.add_command(retention.retention)
