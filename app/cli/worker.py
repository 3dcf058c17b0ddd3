"""``portal worker``: run the scheduled jobs (reminders, digests, notices of new challenges) and send the
outbox's e-mail with retries."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from app.cli.common import get_settings, open_database
from app.settings import Settings

if TYPE_CHECKING:
    from app.clock import Clock
    from app.database import Database


def mail_target(settings: Settings) -> str:
    """Where delivered mail goes: the SMTP server, or the folder of ``.eml`` files when none is set."""
    if settings.smtp_host:
        return f"SMTP {settings.smtp_host}:{settings.smtp_port}"
    return f".eml files in {(settings.data_dir / 'mail').resolve()} (no PORTAL_SMTP_HOST set)"


@click.command()
@click.option("--once", is_flag=True, help="Process what is due now, print a summary and exit.")
@click.option("--interval", type=float, default=10.0, show_default=True, help="Seconds between passes.")
@click.option(
    "--jobs-interval", type=float, default=60.0, show_default=True, help="Seconds between runs of the scheduled jobs."
)
@click.option("--stop-with", type=int, default=None, hidden=True, help="Stop when this parent process is gone.")
def worker(once: bool, interval: float, jobs_interval: float, stop_with: int | None) -> None:
    """Run the scheduled jobs and send queued e-mail with retries until stopped (SIGTERM or Ctrl-C finish the
    current pass first)."""
    import app.models  # noqa: F401 - every mapper, so the outbox's foreign keys resolve
    from app.cli.jobs import JobSchedule
    from app.clock import SystemClock
    from app.main import build_links

    settings = get_settings()
    db = open_database(settings)
    clock = SystemClock()
    schedule = JobSchedule(
        db, clock=clock, links=build_links(settings), secret=settings.resolved_secret_key(), interval=jobs_interval
    )

    def jobs_if_due() -> None:
        counts = schedule.run_if_due()
        if counts is not None and (counts.total or counts.failed or any(counts.removed.values())):
            click.echo(counts.summary())

    try:
        if once:
            jobs_if_due()
            click.echo(_deliver_everything_due(db, settings, clock))
            return
        _deliver_until_stopped(db, settings, clock, jobs_if_due, interval=interval, parent=stop_with)
    finally:
        db.dispose()


def _deliver_everything_due(db: Database, settings: Settings, clock: Clock) -> str:
    from app.notifications.service import DeliveryCounts, deliver_due

    total = DeliveryCounts()
    while True:  # everything due now, batch by batch
        counts = deliver_due(db, now=clock.now(), settings=settings)
        total.sent += counts.sent
        total.retrying += counts.retrying
        total.failed += counts.failed
        if counts.processed == 0:
            return total.summary()


def _deliver_until_stopped(
    db: Database,
    settings: Settings,
    clock: Clock,
    jobs_if_due: Callable[[], None],
    *,
    interval: float,
    parent: int | None,
) -> None:
    import signal
    import threading

    from app.notifications.service import deliver_due

    stop = threading.Event()

    def _stop(signum: int, _frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    click.echo(f"Worker delivering to {mail_target(settings)} every {interval:g}s; stop with Ctrl-C or SIGTERM.")
    try:
        # Started by ``portal serve --with-worker``: a server that ended without stopping us (killed) ends us too.
        while not stop.is_set() and (parent is None or os.getppid() == parent):
            jobs_if_due()
            counts = deliver_due(db, now=clock.now(), settings=settings)
            if counts.processed:
                click.echo(counts.summary())
                continue  # more may be due right away
            stop.wait(interval)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    click.echo("Worker stopped.")


def start_beside(interval: float) -> subprocess.Popen[bytes]:
    """``portal worker`` as a child process of ``portal serve``, with the same environment and settings."""
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "worker",
        "--interval",
        f"{interval:g}",
        "--stop-with",
        str(os.getpid()),
    ]
    return subprocess.Popen(command, cwd=Path.cwd())  # noqa: S603 - our own interpreter and arguments
