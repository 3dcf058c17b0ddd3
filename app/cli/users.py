"""``portal users``: accounts and staff roles, and the demo staff accounts."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import click

from app.cli.common import cli_actor, get_settings, open_database


@click.group()
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
    db = open_database(get_settings())
    with db.unit_of_work() as session:
        try:
            user = service.create_user(
                session, email=email, name=name, password=password, now=SystemClock().now(), actor=cli_actor()
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
    db = open_database(get_settings())
    with db.unit_of_work() as session:
        user = _find_user(session, email)
        now, actor = SystemClock().now(), cli_actor()
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

    db = open_database(get_settings())
    with db.session() as session:
        found = service.list_users(session, query=query)
        for user in found:
            roles = ",".join(sorted(user.role_names)) or "-"
            totp = "2fa" if user.totp_enabled else "no-2fa"
            state = "inactive" if not user.is_active else user.status  # active or blocked
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
                    session, challenge=challenge, email=user.email, actor=cli_actor(), now=now
                )
        slugs.append(challenge.slug)
    return slugs


@users.command("demo")
def users_demo() -> None:
    """Create the demo staff accounts (only with PORTAL_DEMO=1) and print how to log in."""
    from app.clock import SystemClock

    settings = get_settings()
    require_demo(settings)
    db = open_database(settings)
    with db.unit_of_work() as session:
        staff = make_demo_staff(session, settings=settings, now=SystemClock().now())
        assigned = _assign_demo_coordinators(session, staff=[user for user, _ in staff.enrolled], now=staff.now)
        session.commit()
        print_demo_staff(staff, assigned)
    db.dispose()
    print_login_help(settings)


def require_demo(settings: Any) -> None:
    if not settings.demo:
        raise click.ClickException("demo accounts exist only in demo mode: set PORTAL_DEMO=1")


@dataclass(frozen=True)
class DemoStaff:
    password: str
    enrolled: list[tuple[Any, str]]  # each user with their authenticator secret
    now: Any


def make_demo_staff(session: Any, *, settings: Any, now: Any) -> DemoStaff:
    """The demo staff accounts (created, or given a new password and authenticator secret)."""
    import secrets

    from app.accounts.two_factor.sealing import secret_box
    from app.admin import service

    password = "demo-" + secrets.token_urlsafe(15)
    box = secret_box(settings.resolved_secret_key())
    enrolled = service.ensure_demo_staff(session, password=password, now=now, actor=cli_actor(), box=box)
    return DemoStaff(password, enrolled, now)


def print_demo_staff(staff: DemoStaff, assigned: list[str]) -> None:
    import pyotp

    click.echo(f"Demo staff accounts (password for each: {staff.password})")
    for user, secret in staff.enrolled:
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name="Defence portal demo")
        click.echo(f"\n  e-mail:      {user.email}")
        click.echo(f"  roles:       {', '.join(sorted(user.role_names))}")
        click.echo(f"  password:    {staff.password}")
        click.echo(f"  TOTP secret: {secret}")
        click.echo(f"  otpauth URI: {uri}")
    if assigned:
        click.echo(f"\nThe demo coordinators (one prepares, the other approves) manage: {', '.join(assigned)}")


def print_login_help(settings: Any) -> None:
    from app.main import build_links

    click.echo(
        f"\nLog in at {build_links(settings).url('login')} with the e-mail and password, then enter the six-digit "
        "code from an authenticator app loaded with the secret or URI (or: python -c "
        "\"import pyotp; print(pyotp.TOTP('SECRET').now())\"). Running this again gives new passwords and secrets."
    )
