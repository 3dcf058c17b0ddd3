"""``portal mail``: read the outbox."""

from __future__ import annotations

import re

import click

from app.cli.common import get_settings, open_database

# Messages whose link is a key (confirm an address, choose a new password, join an organisation): on the web
# only the recipient ever sees it, so the command line does not print it either.
SECRET_LINK_TEMPLATES = frozenset({"confirm_email", "reset_password", "invitation"})
WITHHELD = "[link withheld: only the recipient may use it]"
_LINK = re.compile(r"https?://\S+")


def shown_body(template: str, body: str) -> str:
    """The body as an operator may read it: one-time links replaced."""
    return _LINK.sub(WITHHELD, body) if template in SECRET_LINK_TEMPLATES else body


@click.group()
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

    db = open_database(get_settings())
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
    """Print one message in full: headers, delivery state, the names of its attachments, and body."""
    from app.notifications.models import OutboxMessage

    settings = get_settings()
    db = open_database(settings)
    with db.session() as session:
        message = session.get(OutboxMessage, message_id)
        files = [(a.filename, a.media_type, a.size) for a in message.attachments] if message else []
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
    lines.extend(f"X-Attachment: {name} ({media_type}, {size} bytes)" for name, media_type, size in files)
    click.echo("\n".join(lines) + "\n\n" + shown_body(message.template, message.body_text), nl=False)
