"""``portal worker``: run the scheduled jobs (reminders, digests, notices of new challenges) and send the
outbox's e-mail with retries."""

from __future__ import annotations

import click

from app.cli.common import get_settings, open_database


@click.command()
@click.option("--once", is_flag=True, help="Process what is due now, print a summary and exit.")
@click.option("--interval", type=float, default=10.0, show_default=True, help="Seconds between passes.")
@click.option(
    "--jobs-interval", type=float, default=60.0, show_default=True, help="Seconds between runs of the scheduled jobs."
)
def worker(once: bool, interval: float, jobs_interval: float) -> None:
    """Run the scheduled jobs and send queued e-mail with retries until stopped (SIGTERM or Ctrl-C finish the
    current pass first)."""
    import signal
    import threading

    import app.models  # noqa: F401 - every mapper, so the outbox's foreign keys resolve
    from app.cli.jobs import JobSchedule
    from app.clock import SystemClock
    from app.main import build_links
    from app.notifications.service import DeliveryCounts, deliver_due

    settings = get_settings()
    db = open_database(settings)
    clock = SystemClock()
    schedule = JobSchedule(
        db, clock=clock, links=build_links(settings), secret=settings.resolved_secret_key(), interval=jobs_interval
    )

    def jobs_if_due() -> None:
        counts = schedule.run_if_due()
        if counts is not None and (counts.total or counts.failed):
            click.echo(counts.summary())

    target = f"SMTP {settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else settings.data_dir / "mail"
    try:
        if once:
            jobs_if_due()
            total = DeliveryCounts()
            while True:  # everything due now, batch by batch
                counts = deliver_due(db, now=clock.now(), settings=settings)
                total.sent += counts.sent
                total.retrying += counts.retrying
                total.failed += counts.failed
                if counts.processed == 0:
                    break
            click.echo(total.summary())
            return
        stop = threading.Event()

        def _stop(signum: int, _frame: object) -> None:
            stop.set()

        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        click.echo(f"Worker delivering to {target} every {interval:g}s; stop with Ctrl-C or SIGTERM.")
        try:
            while not stop.is_set():
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
    finally:
        db.dispose()
