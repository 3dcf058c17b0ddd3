"""``portal worker``: send the outbox's e-mail with retries."""

from __future__ import annotations

from typing import Any

import click

from app.cli.common import get_settings, open_database


def run_event_reminders(db: Any, settings: Any, now: Any) -> int:
    """Queue the market-dialogue reminders that are due (each once: see ``app.challenges.events.jobs``)."""
    from app.challenges.events.jobs import queue_reminders
    from app.main import build_links

    with db.unit_of_work() as session:
        queued = queue_reminders(session, now=now, links=build_links(settings))
        session.commit()
    return queued


@click.command()
@click.option("--once", is_flag=True, help="Process what is due now, print a summary and exit.")
@click.option("--interval", type=float, default=10.0, show_default=True, help="Seconds between passes.")
def worker(once: bool, interval: float) -> None:
    """Send queued e-mail with retries until stopped (SIGTERM or Ctrl-C finish the current pass first)."""
    import signal
    import threading

    import app.models  # noqa: F401 - every mapper, so the outbox's foreign keys resolve
    from app.clock import SystemClock
    from app.notifications.service import DeliveryCounts, deliver_due

    settings = get_settings()
    db = open_database(settings)
    clock = SystemClock()
    target = f"SMTP {settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else settings.data_dir / "mail"
    try:
        if once:
            total = DeliveryCounts()
            run_event_reminders(db, settings, clock.now())
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
                run_event_reminders(db, settings, clock.now())
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
