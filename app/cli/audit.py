"""``portal audit``: inspect the hash-chained audit trail and its head."""

from __future__ import annotations

import sys

import click

from app.cli.common import get_settings, open_database


class HeadParam(click.ParamType):  # type: ignore[type-arg]
    """``COUNT:HASH`` as ``portal audit head`` prints it."""

    name = "COUNT:HASH"

    def convert(self, value, param, ctx):  # type: ignore[no-untyped-def]
        from app.audit.service import ChainHead

        try:
            return ChainHead.parse(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)


@click.group()
def audit() -> None:
    """Inspect the audit trail."""


@audit.command("verify")
@click.option(
    "--head",
    "head",
    type=HeadParam(),
    default=None,
    help="A head published earlier (COUNT:HASH): fail when the chain no longer holds it.",
)
def audit_verify(head) -> None:  # type: ignore[no-untyped-def]
    """Check the hash chain; exit 0 with the count when intact, non-zero naming the first bad event.

    With --head, the chain must still contain that published head: a cut-off tail fails.
    """
    from app.audit.service import verify_chain

    db = open_database(get_settings())
    with db.session() as session:
        result = verify_chain(session, head=head)
    db.dispose()
    if result.ok:
        holds = f" It holds the published head {head}." if head is not None else ""
        click.echo(f"Audit chain intact: {result.count} events.{holds}")
        return
    if result.first_bad_id is not None:
        click.echo(
            f"Audit chain broken at event {result.first_bad_id}: {result.problem}. "
            f"{result.count} events before it are intact.",
            err=True,
        )
    else:
        click.echo(f"Audit chain does not hold the published head: {result.problem}.", err=True)
    sys.exit(1)


@audit.command("head")
def audit_head() -> None:
    """Print the chain's head as COUNT:HASH (standard output), to publish or to compare with a published one."""
    from app.audit.service import chain_head

    db = open_database(get_settings())
    with db.session() as session:
        head = chain_head(session)
    db.dispose()
    click.echo(str(head))
    click.echo(f"The audit chain has {head.count} events; the newest one's hash is {head.hash}.", err=True)
