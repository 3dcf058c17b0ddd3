"""``portal``: the one command line for operators (serve, migrate, challenges, audit)."""

from __future__ import annotations

import getpass
import json
import sys
from datetime import timedelta
from pathlib import Path

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
    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        proxy_headers=True,
        log_level="info",
    )


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


if __name__ == "__main__":
    main()
