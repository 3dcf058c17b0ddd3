"""``portal demo``: the demo staff accounts and a challenge in evaluation to try the staff pages with."""

from __future__ import annotations

import secrets
from typing import Any

import click

from app.cli.common import cli_actor, get_settings, open_database
from app.cli.users import _assign_demo_coordinators, make_demo_staff, print_demo_staff, print_login_help, require_demo

# Evaluators whose scores are already in, and one user per demo company; they are not meant to log in (their
# passwords are random and never shown).
PANEL = (("panel-a@demo.invalid", "Demo Evaluator A"), ("panel-b@demo.invalid", "Demo Evaluator B"))
COMPANY_USERS = tuple((f"company{n}@demo.invalid", f"Demo Company User {n}") for n in range(1, 5))


@click.command()
def demo() -> None:
    """Demo mode only (PORTAL_DEMO=1): the demo staff accounts, and a challenge whose deadline has passed with
    proposals (one knocked out), assignments, scores and security assessments; prints the staff logins.

    Running it again gives the staff new passwords and secrets and leaves the demo challenge as it is."""
    from app.clock import SystemClock
    from app.main import build_links
    from app.storage import LocalBlobStore
    from app.workspace.demo import service as demo_service

    settings = get_settings()
    require_demo(settings)
    db = open_database(settings)
    links = build_links(settings)
    with db.unit_of_work() as session:
        now = SystemClock().now()
        staff = make_demo_staff(session, settings=settings, now=now)
        users = [user for user, _secret in staff.enrolled]
        people = demo_service.DemoPeople(
            coordinators=[user for user in users if "coordinator" in user.role_names],
            evaluator=next(user for user in users if "evaluator" in user.role_names),
            panel=[_account(session, email, name, role="evaluator", now=now) for email, name in PANEL],
            companies=[_account(session, email, name, role=None, now=now) for email, name in COMPANY_USERS],
        )
        outcome = demo_service.build_evaluation_demo(
            session,
            people=people,
            store=LocalBlobStore(settings.effective_blob_dir),
            actor=cli_actor(),
            now=now,
            links=links,
        )
        assigned = _assign_demo_coordinators(session, staff=users, now=now)
        session.commit()
    db.dispose()
    print_demo_staff(staff, assigned)
    made = "made now" if outcome.created else "already there"
    params = {"slug": outcome.slug, "stage_key": outcome.stage_key}
    click.echo(f"\nA challenge in evaluation, its deadline passed ({outcome.slug}, {made}):")
    for label, route in (
        ("results", "eval_results"),
        ("assignments", "eval_assignments"),
        ("decisions", "eval_decisions"),
    ):
        click.echo(f"  {label + ':':<13}{links.url(route, **params)}")
    click.echo(f"  {'evaluator:':<13}{links.url('evaluate_queue')} (as {people.evaluator.email})")
    print_login_help(settings)


def _account(session: Any, email: str, name: str, *, role: str | None, now: Any) -> Any:
    """The demo account with this address, made (with a random password) when it does not exist yet."""
    from app.accounts.enums import Role
    from app.admin import service
    from app.errors import NotFound

    try:
        user = service.get_user_by_email(session, email=email)
    except NotFound:
        password = secrets.token_urlsafe(24)
        user = service.create_user(session, email=email, name=name, password=password, now=now, actor=cli_actor())
    if role is not None:
        service.grant_role(session, user=user, role=Role(role), actor=cli_actor(), now=now)
    return user
