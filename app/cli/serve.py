"""``portal serve`` and ``portal migrate``."""

from __future__ import annotations

import os
import signal
import sys

import click

from app.cli.common import get_settings, open_database
from app.cli.worker import mail_target, start_beside
from app.database import Database
from app.settings import SUPPORTED_LANGUAGES, Settings


@click.command()
@click.option("--host", default=None, help="Address to listen on (default PORTAL_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default PORTAL_PORT or 8000).")
@click.option("--workers", type=int, default=None, help="Worker processes (default PORTAL_WORKERS or 1).")
@click.option(
    "--with-worker",
    is_flag=True,
    help="Also run `portal worker` beside the server (started and stopped with it), so queued e-mail is sent.",
)
@click.option("--worker-interval", type=float, default=3.0, show_default=True, help="Seconds between its passes.")
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    with_worker: bool,
    worker_interval: float,
) -> None:
    """Serve the portal over HTTP: one worker in this process, or gunicorn's arbiter with N uvicorn workers."""
    import uvicorn

    # The app factory (and the worker beside) read the settings again: options given here count there too,
    # so PORTAL_BASE_URL, when unset, follows the port actually served.
    for name, value in (("PORTAL_HOST", host), ("PORTAL_PORT", port)):
        if value is not None:
            os.environ[name] = str(value)
    settings = get_settings()
    settings.resolved_secret_key()
    _limit_malloc_arenas()
    _compile_catalogues(settings)
    click.echo(f"Serving the portal on http://{settings.host}:{settings.port} (links in e-mails: {settings.base_url})")
    if with_worker:
        click.echo(f"Mail: a worker beside the server delivers the outbox to {mail_target(settings)}")
    else:
        click.echo(f"Mail: queued in the outbox; `portal worker` delivers it to {mail_target(settings)}")
    config = uvicorn.Config(
        "app.main:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        proxy_headers=False,  # X-Forwarded-For only from PORTAL_TRUSTED_PROXIES (app.security.clients)
        log_level="info",
        ws="none",  # the portal has no WebSocket routes: uvicorn's websockets protocol (0.6 MB) stays unimported
    )
    companion = start_beside(worker_interval) if with_worker else None
    if companion is not None:
        # uvicorn raises the SIGTERM it handled again once it has shut down; without a handler of ours that
        # would end this process before it could stop the worker (which would then stop by itself, later).
        signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        _run(config, settings, workers or settings.workers)
    finally:
        if companion is not None:
            companion.terminate()  # SIGTERM: the worker finishes its pass and stops
            companion.wait(timeout=60)


MALLOC_ARENA_MAX = "2"
"""glibc's malloc arenas per worker process (unless the environment sets ``MALLOC_ARENA_MAX`` already).

By default glibc gives each thread that allocates while another holds the lock an arena of its own, up to eight per
core; a worker's view threads left eight of them, 14-17 MB resident, after a load of public pages (``bench/pages.py``).
Two arenas kept 5-6 MB for the same load, at no measurable cost: Python's own allocator serves the small objects."""


def _limit_malloc_arenas() -> None:
    """Read by glibc when a process starts: the workers (spawned, or gunicorn exec'd) inherit it."""
    os.environ.setdefault("MALLOC_ARENA_MAX", MALLOC_ARENA_MAX)


def _compile_catalogues(settings: Settings) -> None:
    """Once, before the workers start: each then reads the compiled catalogues (``app.i18n``)."""
    from app import i18n
    from app.storage import write_private

    folder = settings.data_dir / "catalogues"
    for language in SUPPORTED_LANGUAGES:
        name = i18n.compiled_name(language)
        if not (folder / name).exists():
            partial = folder / f".{name}.{os.getpid()}"
            write_private(partial, i18n.compiled(language))  # only the portal's user reads it
            os.replace(partial, folder / name)  # whole or not at all, for a worker of another server reading it
        for old in folder.glob(f"{language}-*.mo"):
            if old.name != name:
                old.unlink(missing_ok=True)
    os.environ[i18n.CATALOGUE_CACHE_ENV] = str(folder)


def _exit_cleanly(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _run(config: object, settings: Settings, count: int) -> None:
    import uvicorn

    assert isinstance(config, uvicorn.Config)
    if count > 1:
        from app.serving import arbiter

        # gunicorn's arbiter replaces this process (same PID): a worker started beside stops when it ends.
        arbiter.exec_gunicorn(
            host=config.host,
            port=config.port,
            workers=count,
            timeout=settings.worker_timeout,
            max_requests=settings.worker_max_requests,
        )
    else:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            sys.exit(3)  # uvicorn's STARTUP_FAILURE, as uvicorn.run ends


@click.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--downgrade", is_flag=True, help="Downgrade to the revision instead (e.g. --revision base).")
def migrate(revision: str, downgrade: bool) -> None:
    """Bring the database schema to a revision with the Alembic migrations.

    Connects with PORTAL_MIGRATE_DATABASE_URL (default PORTAL_DATABASE_URL). On PostgreSQL, when that names
    another role than PORTAL_DATABASE_URL, the portal's role is then granted what it needs and no more:
    it reads and appends audit events but cannot change, remove or unprotect them.
    """
    from sqlalchemy.engine import make_url

    from app import migrate as migrations

    settings = get_settings()
    db = open_database(settings, url=settings.effective_migrate_database_url)
    if downgrade:
        migrations.downgrade(db.engine, revision)
    else:
        migrations.upgrade(db.engine, revision)
    with db.engine.connect() as connection:
        current = migrations.current_revision(connection)
        click.echo(f"Database at revision {current}")
    runtime = make_url(settings.effective_database_url).username
    if not downgrade and db.dialect == "postgresql" and runtime and runtime != db.engine.url.username:
        migrations.grant_runtime_role(db.engine, runtime)
        click.echo(f"Granted role {runtime} the portal's privileges: audit events read and append only")
    if not downgrade and current == migrations.head_revision():
        _seal_plain_secrets(db, settings)
    db.dispose()


def _seal_plain_secrets(db: Database, settings: Settings) -> None:
    """Authenticator secrets stored plain before they were encrypted are encrypted now."""
    from app.accounts.two_factor import service as two_factor
    from app.accounts.two_factor.sealing import secret_box

    with db.unit_of_work() as session:
        sealed = two_factor.seal_plain_secrets(session, box=secret_box(settings.resolved_secret_key()))
        session.commit()
    if sealed:
        click.echo(f"Encrypted {sealed} authenticator secret(s) stored in plain text")
