"""``portal challenges``: validate, load, describe, export, assign and extend challenge definitions."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from app.cli.common import cli_actor, english, get_settings, open_database
from app.settings import Settings

# Exit status of a load refused only because files differ from challenges already published (the files are
# valid): `make run` starts the portal anyway, with the published challenges as they are.
PUBLISHED_UNCHANGED = 3


@click.group()
def challenges() -> None:
    """Validate, load and describe challenge definition files."""


def _paths_or_default(paths: tuple[Path, ...], settings: Settings) -> list[Path]:
    from app.challenges.definitions import discover

    return discover(list(paths) or [settings.challenges_dir])


def _print_errors(path: Path, errors: list) -> None:  # type: ignore[type-arg]
    for error in errors:
        click.echo(f"{path}: {error.path}: {english(error.message, error.params)}", err=True)


@challenges.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def challenges_validate(paths: tuple[Path, ...]) -> None:
    """Check definition files (default: the challenges folder) and list every error with its place."""
    from app.challenges.definitions import read_file

    settings = get_settings()
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
@click.option("--publish", is_flag=True, help="Publish challenges that are still drafts (with the web's checks).")
@click.option(
    "--demo", is_flag=True, help="Move the stage times of unpublished challenges forward when a first deadline is near."
)
@click.option(
    "--reason",
    default=None,
    help="Why a published challenge changes: the file is then applied as a correction (Nota van Inlichtingen, "
    "re-confirmation, e-mails). Without it a changed published challenge is refused.",
)
def challenges_load(paths: tuple[Path, ...], publish: bool, demo: bool, reason: str | None) -> None:
    """Load definition files all-or-nothing with the web's rules: a new slug becomes a draft, a draft is
    rewritten, a published challenge changes only as a correction with --reason, an unchanged file is a no-op."""
    from app.challenges.definitions import read_file
    from app.clock import SystemClock
    from app.main import build_links
    from app.workspace.loading import service as loading

    settings = get_settings()
    files = _paths_or_default(paths, settings)
    parsed = [read_file(path) for path in files]
    bad = [p for p in parsed if p.errors]
    for item in bad:
        _print_errors(item.path, item.errors)
    if bad or not parsed:
        click.echo("Nothing was loaded." if parsed else "No definition files found.", err=True)
        sys.exit(1)
    definitions = [p.definition for p in parsed if p.definition is not None]
    by_slug = {d.slug: p.path for d, p in zip(definitions, parsed, strict=True)}
    db = open_database(settings)
    with db.unit_of_work() as session:
        try:
            outcomes = loading.load_definitions(
                session,
                definitions=definitions,
                reason=reason,
                publish=publish,
                demo=demo,
                actor=cli_actor(),
                now=SystemClock().now(),
                links=build_links(settings),
                extension_days=settings.correction_extension_days,
            )
        except loading.LoadRefused as refused:
            session.rollback()
            for slug, error in refused.problems:
                click.echo(f"{by_slug.get(slug, slug)}: {error.path}: {english(error.message, error.params)}", err=True)
            click.echo("Nothing was loaded.", err=True)
            db.dispose()
            if refused.published_only:
                click.echo("The published challenges in the database stay as they are.", err=True)
                sys.exit(PUBLISHED_UNCHANGED)
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

    db = open_database(get_settings())
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

    db = open_database(get_settings())
    with db.unit_of_work() as session:
        try:
            challenge = service.get_challenge_by_slug(session, slug=slug)
            user = administration.assign_coordinator(
                session, challenge=challenge, email=email, actor=cli_actor(), now=SystemClock().now()
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
    settings = get_settings()
    db = open_database(settings)
    with db.unit_of_work() as session:
        try:
            challenge = service.get_challenge_by_slug(session, slug=slug)
            corrections.extend_deadline(
                session,
                challenge=challenge,
                stage_key=stage_key,
                deadline_local=deadline,
                reason=reason,
                actor=cli_actor(),
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
