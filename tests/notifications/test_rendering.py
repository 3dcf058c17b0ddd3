"""Notification templates render in the recipient's language; the outbox row keeps what was rendered."""

from __future__ import annotations

from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.notifications.service import queue_email, render_message


def test_render_message_in_dutch() -> None:
    subject, body = render_message("test_message", "nl", {"name": "Zoë"})

    assert subject == "Testbericht van het challengeportaal"
    assert body == (
        "Beste Zoë,\n\nDit is een testbericht van het Defensie Challengeportaal. Kunt u het lezen, dan bereikt "
        "e-mail van het portaal u.\n\nMet vriendelijke groet,\nHet Defensie Challengeportaal\n"
    )


def test_render_message_in_english() -> None:
    subject, body = render_message("test_message", "en", {"name": "Zoë"})

    assert subject == "Test message from the challenge portal"
    assert body == (
        "Dear Zoë,\n\nThis is a test message from the Defence challenge portal. If you can read it, e-mail from "
        "the portal reaches you.\n\nKind regards,\nThe Defence challenge portal\n"
    )


def test_render_message_does_not_escape_text_as_html() -> None:
    _subject, body = render_message("test_message", "en", {"name": "O'Brien & <Zoë>"})

    assert body.startswith("Dear O'Brien & <Zoë>,\n")


def test_queue_email_stores_rendered_pending_message(session: Session, clock: FrozenClock) -> None:
    message = queue_email(
        session, to="a@example.nl", template="test_message", language="nl", context={"name": "A"}, now=clock.now()
    )

    assert (message.status, message.attempts, message.next_attempt_at) == ("pending", 0, clock.now())
    assert message.subject == "Testbericht van het challengeportaal"
    assert message.message_id.endswith("@challenge-portal>")
