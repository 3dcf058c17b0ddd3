"""Queue e-mail in the outbox, in the caller's transaction; the worker (``portal worker``) sends it later.

A message is rendered when it is queued, from ``templates/notifications/<template>.txt`` in the
recipient's language: the first line is the subject, the rest (after one blank line) the body.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy.orm import Session

from app import i18n
from app.notifications.enums import MessageStatus
from app.notifications.models import OutboxMessage

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"

_env = Environment(  # plain text: no HTML escaping, but every variable must exist
    loader=FileSystemLoader(TEMPLATE_DIR / "notifications"),
    autoescape=False,  # noqa: S701 - text/plain e-mail, never HTML
    undefined=StrictUndefined,
    extensions=["jinja2.ext.i18n"],
    keep_trailing_newline=True,
)
_env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]


def render_message(template: str, language: str, context: dict[str, Any]) -> tuple[str, str]:
    """(subject, body) of a notification in a language."""
    translations = i18n.translations(language)

    def gettext(message: str, **params: Any) -> str:
        text = translations.gettext(message)
        return text % params if params else text

    text = _env.get_template(f"{template}.txt").render(**context, _=gettext, gettext=gettext, lang=language)
    subject, _, body = text.partition("\n\n")
    return subject.strip(), body.strip() + "\n"


def queue_email(
    session: Session,
    *,
    to: str,
    template: str,
    language: str,
    context: dict[str, Any],
    now: datetime,
    user_id: int | None = None,
) -> OutboxMessage:
    """Write one message to the outbox (not sent yet; the caller commits with the change that caused it)."""
    subject, body = render_message(template, language, context)
    message = OutboxMessage(
        created_at=now,
        to_address=to,
        user_id=user_id,
        template=template,
        language=language,
        subject=subject,
        body_text=body,
        status=MessageStatus.PENDING.value,
        attempts=0,
        next_attempt_at=now,
        message_id=f"<{uuid.uuid4()}@challenge-portal>",
    )
    session.add(message)
    session.flush()
    return message
