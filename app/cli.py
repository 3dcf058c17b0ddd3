"""``portal``: the one command line for operators (serve, migrate, challenges, audit)."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from app.audit.service import Actor
from app.settings import Settings, load_settings


def _settings() -> Settings:
    return load_settings()


def _database(settings: Settings):  # type: ignore[no-untyped-def]
    from app.database import Database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(settings.effective_database_url)


def _cli_actor() -> Actor:
    return Actor(user_id=None, label=f"cli:{getpass.getuser()}")


@click.group()
def main() -> None:
    """Operate the Defence challenge portal. Settings come from PORTAL_* environment variables."""


@main.command()
@click.option("--host", default=None, help="Address to listen on (default PORTAL_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default PORTAL_PORT or 8000).")
@click.option("--workers", type=int, default=None, help="Worker processes (default PORTAL_WORKERS or 1).")
def serve(host: str | None, port: int | None, workers: int | None) -> None:
    """Serve the portal over HTTP."""
    import uvicorn

    settings = _settings()
    settings.resolved_secret_key()
    click.echo(f"Serving the portal on http://{host or settings.host}:{port or settings.port}")
    config = uvicorn.Config(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        proxy_headers=True,
        log_level="info",
    )
    count = workers or settings.workers
    if count > 1:
        from app import serving

        serving.serve(config, count)
    else:
        server = uvicorn.Server(config)
        server.run()
        if not server.started:
            sys.exit(3)  # uvicorn's STARTUP_FAILURE, as uvicorn.run ends


@main.command()
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@click.option("--downgrade", is_flag=True, help="Downgrade to the revision instead (e.g. --revision base).")
def migrate(revision: str, downgrade: bool) -> None:
    """Bring the database schema to a revision with the Alembic migrations."""
    from app import migrate as migrations

    db = _database(_settings())
    if downgrade:
        migrations.downgrade(db.engine, revision)
    else:
        migrations.upgrade(db.engine, revision)
    with db.engine.connect() as connection:
        click.echo(f"Database at revision {migrations.current_revision(connection)}")
    db.dispose()


# --- challenges -----------------------------------------------------------------------------------


@main.group()
def challenges() -> None:
    """Validate, load and describe challenge definition files."""


def _paths_or_default(paths: tuple[Path, ...], settings: Settings) -> list[Path]:
    from app.challenges.definitions import discover

    return discover(list(paths) or [settings.challenges_dir])


def _print_errors(path: Path, errors: list) -> None:  # type: ignore[type-arg]
    for error in errors:
        click.echo(f"{path}: {error.path}: {error.message}", err=True)


@challenges.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def challenges_validate(paths: tuple[Path, ...]) -> None:
    """Check definition files (default: the challenges folder) and list every error with its place."""
    from app.challenges.definitions import read_file

    settings = _settings()
    files = _paths_or_default(paths, settings)
    if not files:
        raise click.ClickException("no definition files found")
    failed = 0
    for path in files:
        parsed = read_file(path)
        if parsed.errors:
            failed += 1
            _print_errors(path, parsed.errors)
        else:
            click.echo(f"{path}: ok")
    if failed:
        click.echo(f"{failed} of {len(files)} files have errors", err=True)
        sys.exit(1)


@challenges.command("load")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--publish", is_flag=True, help="Publish challenges that are still drafts.")
@click.option("--demo", is_flag=True, help="Move stage times forward by whole weeks when a first deadline is near.")
def challenges_load(paths: tuple[Path, ...], publish: bool, demo: bool) -> None:
    """Load definition files all-or-nothing; a challenge whose slug exists gets a new version if it changed."""
    from app.challenges import service
    from app.challenges.definitions import read_file, shift_to_future
    from app.clock import SystemClock, to_local
    from app.errors import ValidationFailed

    settings = _settings()
    files = _paths_or_default(paths, settings)
    parsed = [read_file(path) for path in files]
    bad = [p for p in parsed if p.errors]
    for item in bad:
        _print_errors(item.path, item.errors)
    if bad or not parsed:
        click.echo("Nothing was loaded." if parsed else "No definition files found.", err=True)
        sys.exit(1)
    now = SystemClock().now()
    definitions = [p.definition for p in parsed if p.definition is not None]
    if demo:
        local_now = to_local(now).replace(tzinfo=None)
        definitions = [shift_to_future(d, now_local=local_now, lead=timedelta(days=28)) for d in definitions]
    db = _database(settings)
    by_slug = {d.slug: p.path for d, p in zip(definitions, parsed, strict=True)}
    with db.unit_of_work() as session:
        problems = service.check_taxonomy(session, definitions)
        for slug, error in problems:
            click.echo(f"{by_slug[slug]}: {error.path}: {error.message}", err=True)
        try:
            outcomes = (
                []
                if problems
                else service.load_definitions(
                    session, definitions=definitions, actor=_cli_actor(), now=now, publish=publish
                )
            )
        except ValidationFailed as failure:
            for error in failure.errors:
                click.echo(f"{error.path}: {error.message}", err=True)
            problems = [("", e) for e in failure.errors]
        if problems:
            click.echo("Nothing was loaded.", err=True)
            sys.exit(1)
        session.commit()
    for outcome in outcomes:
        click.echo(f"{outcome.slug}: {outcome.result}")
    db.dispose()


@challenges.command("schema")
def challenges_schema() -> None:
    """Print the JSON Schema of the definition format."""
    from app.challenges.schemas import ChallengeDefinition

    click.echo(json.dumps(ChallengeDefinition.model_json_schema(), indent=2, ensure_ascii=False))


@challenges.command("export")
@click.argument("slug")
def challenges_export(slug: str) -> None:
    """Print a challenge's current definition as a TOML file."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    from app.challenges import service
    from app.challenges.definitions import to_toml
    from app.challenges.models import Challenge

    db = _database(_settings())
    with db.session() as session:
        challenge = session.scalar(
            select(Challenge).where(Challenge.slug == slug).options(selectinload(Challenge.versions))
        )
        if challenge is None:
            raise click.ClickException(f"no challenge with slug '{slug}'")
        click.echo(to_toml(service.current_definition(challenge)), nl=False)
    db.dispose()


@challenges.command("assign")
@click.argument("slug")
@click.argument("email")
def challenges_assign(slug: str, email: str) -> None:
    """Assign a coordinator (a user with the coordinator role) to a challenge."""
    from app.challenges import service
    from app.clock import SystemClock
    from app.errors import NotFound, ValidationFailed
    from app.workspace.administration import service as administration

    db = _database(_settings())
    with db.unit_of_work() as session:
        try:
            challenge = service.get_challenge_by_slug(session, slug=slug)
            user = administration.assign_coordinator(
                session, challenge=challenge, email=email, actor=_cli_actor(), now=SystemClock().now()
            )
        except NotFound:
            raise click.ClickException(f"no challenge with slug '{slug}'") from None
        except ValidationFailed:
            raise click.ClickException(f"no coordinator with e-mail address '{email.strip().lower()}'") from None
        session.commit()
        click.echo(f"{user.email} coordinates {challenge.slug}.")
    db.dispose()


@challenges.command("extend")
@click.argument("slug")
@click.option("--stage", "stage_key", required=True, help="The stage's key, as in the definition file.")
@click.option(
    "--until", "until", required=True, help="The new deadline in Europe/Amsterdam time, e.g. 2027-03-12T17:00."
)
@click.option("--reason", required=True, help="Why the deadline moves; published in the Nota van Inlichtingen.")
def challenges_extend(slug: str, stage_key: str, until: str, reason: str) -> None:
    """Extend a published challenge's stage deadline, as a coordinator does on the web (same rules, same
    announcement and e-mails)."""
    from datetime import datetime

    from app import i18n
    from app.challenges import service
    from app.clock import SystemClock
    from app.errors import DomainError, NotFound, ValidationFailed
    from app.main import build_links
    from app.workspace.corrections import service as corrections

    try:
        deadline = datetime.fromisoformat(until)
    except ValueError:
        raise click.ClickException(f"--until: not a date and time: {until!r}") from None
    settings = _settings()
    db = _database(settings)
    with db.unit_of_work() as session:
        try:
            challenge = service.get_challenge_by_slug(session, slug=slug)
            corrections.extend_deadline(
                session,
                challenge=challenge,
                stage_key=stage_key,
                deadline_local=deadline,
                reason=reason,
                actor=_cli_actor(),
                now=SystemClock().now(),
                links=build_links(settings),
            )
        except NotFound:
            raise click.ClickException(f"no challenge with slug '{slug}'") from None
        except ValidationFailed as failed:
            problems = "; ".join(f"{e.path}: {i18n.translate('en', e.message, **e.params)}" for e in failed.errors)
            raise click.ClickException(problems) from None
        except DomainError as refused:
            raise click.ClickException(i18n.translate("en", refused.message, **refused.params)) from None
        session.commit()
        click.echo(f"The deadline of {slug} stage {stage_key} is now {deadline:%Y-%m-%d %H:%M} (Europe/Amsterdam).")
    db.dispose()


# --- audit ----------------------------------------------------------------------------------------


@main.group()
def audit() -> None:
    """Inspect the audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 0 with the count when intact, non-zero naming the first bad event."""
    from app.audit.service import verify_chain

    db = _database(_settings())
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


# --- users ----------------------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Create accounts and grant or revoke staff roles (the first administrator comes from here)."""


def _role(value: str):  # type: ignore[no-untyped-def]
    from app.accounts.enums import Role

    try:
        return Role(value.strip().lower())
    except ValueError:
        raise click.ClickException(
            f"unknown role '{value}': choose one of {', '.join(r.value for r in Role)}"
        ) from None


def _find_user(session, email: str):  # type: ignore[no-untyped-def]
    from app.admin import service
    from app.errors import NotFound

    try:
        return service.get_user_by_email(session, email=email)
    except NotFound:
        raise click.ClickException(f"no user with e-mail address '{email.strip().lower()}'") from None


@users.command("create")
@click.argument("email")
@click.option("--name", required=True, help="The user's full name.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of a prompt.")
def users_create(email: str, name: str, password_stdin: bool) -> None:
    """Create an account (e-mail confirmed); grant staff roles with `portal users grant`."""
    from app.admin import service
    from app.clock import SystemClock
    from app.errors import ValidationFailed

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = _database(_settings())
    with db.unit_of_work() as session:
        try:
            user = service.create_user(
                session, email=email, name=name, password=password, now=SystemClock().now(), actor=_cli_actor()
            )
        except ValidationFailed as failure:
            for error in failure.errors:
                click.echo(f"{error.path}: {error.message}", err=True)
            db.dispose()
            sys.exit(1)
        session.commit()
        click.echo(f"Created user {user.email} (id {user.id}).")
    db.dispose()


def _change_role(email: str, role_name: str, *, grant: bool) -> None:
    from app.admin import service
    from app.clock import SystemClock

    role = _role(role_name)
    db = _database(_settings())
    with db.unit_of_work() as session:
        user = _find_user(session, email)
        now, actor = SystemClock().now(), _cli_actor()
        try:
            if grant:
                changed = service.grant_role(session, user=user, role=role, actor=actor, now=now)
            else:
                changed = service.revoke_role(session, user=user, role=role, actor=actor, now=now)
        except service.LastAdministrator as error:
            raise click.ClickException(error.message) from None
        session.commit()
        verb = ("Granted" if grant else "Revoked") if changed else ("Already has" if grant else "Did not have")
        click.echo(f"{verb} role {role.value} {'to' if grant and changed else 'for'} {user.email}.")
    db.dispose()


@users.command("grant")
@click.argument("email")
@click.argument("role")
def users_grant(email: str, role: str) -> None:
    """Give a user a staff role: evaluator, coordinator or administrator."""
    _change_role(email, role, grant=True)


@users.command("revoke")
@click.argument("email")
@click.argument("role")
def users_revoke(email: str, role: str) -> None:
    """Take a staff role away (the last administrator keeps it)."""
    _change_role(email, role, grant=False)


@users.command("list")
@click.option("--query", default=None, help="Only users whose e-mail or name contains this.")
def users_list(query: str | None) -> None:
    """List users with their roles and whether two-factor authentication is on."""
    from app.admin import service

    db = _database(_settings())
    with db.session() as session:
        found = service.list_users(session, query=query)
        for user in found:
            roles = ",".join(sorted(user.role_names)) or "-"
            totp = "2fa" if user.totp_enabled else "no-2fa"
            state = "active" if user.is_active else "inactive"
            click.echo(f"{user.id}\t{user.email}\t{user.name}\t{roles}\t{totp}\t{state}")
    db.dispose()
    if not found:
        click.echo("No users.", err=True)


def _assign_demo_coordinators(session: Any, *, staff: list[Any], now: Any) -> list[str]:
    """In demo mode the demo coordinators manage every challenge there is (the seeded ones)."""
    from sqlalchemy import select

    from app.challenges.models import Challenge
    from app.workspace.administration import service as administration

    slugs: list[str] = []
    for challenge in session.scalars(select(Challenge).order_by(Challenge.slug)):
        for user in staff:
            if "coordinator" in user.role_names:
                administration.assign_coordinator(
                    session, challenge=challenge, email=user.email, actor=_cli_actor(), now=now
                )
        slugs.append(challenge.slug)
    return slugs


@users.command("demo")
def users_demo() -> None:
    """Create the demo staff accounts (only with PORTAL_DEMO=1) and print how to log in."""
    import secrets

    import pyotp

    from app.admin import service
    from app.clock import SystemClock

    settings = _settings()
    if not settings.demo:
        raise click.ClickException("demo accounts exist only in demo mode: set PORTAL_DEMO=1")
    password = "demo-" + secrets.token_urlsafe(15)
    db = _database(settings)
    with db.unit_of_work() as session:
        now = SystemClock().now()
        staff = service.ensure_demo_staff(session, password=password, now=now, actor=_cli_actor())
        assigned = _assign_demo_coordinators(session, staff=staff, now=now)
        session.commit()
        click.echo(f"Demo staff accounts (password for each: {password})")
        for user in staff:
            uri = pyotp.TOTP(user.totp_secret or "").provisioning_uri(
                name=user.email, issuer_name="Defence portal demo"
            )
            click.echo(f"\n  e-mail:      {user.email}")
            click.echo(f"  roles:       {', '.join(sorted(user.role_names))}")
            click.echo(f"  password:    {password}")
            click.echo(f"  TOTP secret: {user.totp_secret}")
            click.echo(f"  otpauth URI: {uri}")
        if assigned:
            click.echo(f"\nThe demo coordinator manages: {', '.join(assigned)}")
    db.dispose()
    click.echo(
        f"\nLog in at {settings.base_url}/login with the e-mail and password, then enter the six-digit code "
        "from an authenticator app loaded with the secret or URI (or: python -c "
        "\"import pyotp; print(pyotp.TOTP('SECRET').now())\"). Running this again gives new passwords and secrets."
    )


# --- mail and the outbox worker -------------------------------------------------------------------


@main.group()
def mail() -> None:
    """Read the outbox: every e-mail the portal has queued, sent or given up on."""
    import app.models  # noqa: F401 - every mapper, so the outbox's foreign keys resolve


@mail.command("list")
@click.option("--status", type=click.Choice(["pending", "sent", "failed"]), default=None, help="Only this status.")
@click.option("--limit", type=int, default=50, show_default=True, help="Newest messages first, at most this many.")
def mail_list(status: str | None, limit: int) -> None:
    """List messages: id, created, status, attempts, recipient, subject."""
    from sqlalchemy import select

    from app.notifications.models import OutboxMessage

    db = _database(_settings())
    with db.session() as session:
        statement = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
        if status:
            statement = statement.where(OutboxMessage.status == status)
        messages = list(session.scalars(statement))
    db.dispose()
    if not messages:
        click.echo("No messages.")
        return
    for message in messages:
        created = message.created_at.strftime("%Y-%m-%d %H:%M:%SZ")
        click.echo(
            f"{message.id:>6}  {created}  {message.status:<7}  {message.attempts}  "
            f"{message.to_address}  {message.subject}"
        )


@mail.command("show")
@click.argument("message_id", type=int)
def mail_show(message_id: int) -> None:
    """Print one message in full: headers, delivery state and body."""
    from app.notifications.models import OutboxMessage

    settings = _settings()
    db = _database(settings)
    with db.session() as session:
        message = session.get(OutboxMessage, message_id)
    db.dispose()
    if message is None:
        raise click.ClickException(f"no message with id {message_id}")
    lines = [
        f"Message-ID: {message.message_id}",
        f"Date: {message.created_at.isoformat()}",
        f"From: {settings.mail_from}",
        f"To: {message.to_address}",
        f"Subject: {message.subject}",
        f"Content-Language: {message.language}",
        f"X-Template: {message.template}",
        f"X-Status: {message.status}",
        f"X-Attempts: {message.attempts}",
        f"X-Next-Attempt: {message.next_attempt_at.isoformat()}",
    ]
    if message.sent_at:
        lines.append(f"X-Sent: {message.sent_at.isoformat()}")
    if message.last_error:
        lines.append(f"X-Last-Error: {message.last_error}")
    click.echo("\n".join(lines) + "\n\n" + message.body_text, nl=False)


@main.command()
@click.option("--once", is_flag=True, help="Process what is due now, print a summary and exit.")
@click.option("--interval", type=float, default=10.0, show_default=True, help="Seconds between passes.")
def worker(once: bool, interval: float) -> None:
    """Send queued e-mail with retries until stopped (SIGTERM or Ctrl-C finish the current pass first)."""
    import signal
    import threading

    import app.models  # noqa: F401 - every mapper, so the outbox's foreign keys resolve
    from app.clock import SystemClock
    from app.notifications.service import DeliveryCounts, deliver_due

    settings = _settings()
    db = _database(settings)
    clock = SystemClock()
    target = f"SMTP {settings.smtp_host}:{settings.smtp_port}" if settings.smtp_host else settings.data_dir / "mail"
    try:
        if once:
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


if __name__ == "__main__":
    main()
