"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, and can be told to refuse."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any, cast

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class CollectingHandler:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.refuse: str | None = None  # e.g. "550 5.1.1 mailbox unavailable"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.refuse:
            return self.refuse
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def messages(self) -> list[EmailMessage]:
        return [
            cast(EmailMessage, message_from_bytes(cast(bytes, e.original_content), policy=policy.default))
            for e in self.envelopes
        ]


class SmtpServer:
    def __init__(self, handler: CollectingHandler, port: int) -> None:
        self.handler = handler
        self.host = "127.0.0.1"
        self.port = port

    def settings_overrides(self) -> dict[str, Any]:
        return {"smtp_host": self.host, "smtp_port": self.port, "smtp_starttls": False}


@contextmanager
def running_smtp_server() -> Iterator[SmtpServer]:
    handler = CollectingHandler()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer(handler, port)
    finally:
        controller.stop()
