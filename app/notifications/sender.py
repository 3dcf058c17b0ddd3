"""Turning an outbox message into an e-mail and handing it over: SMTP, or an .eml file without a server."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Protocol

from app.formatting import one_line
from app.notifications.attachments import parse_media_type, safe_filename
from app.notifications.models import OutboxMessage
from app.settings import Settings
from app.storage import write_private

SMTP_TIMEOUT_SECONDS = 30


class SendError(Exception):
    """The message could not be handed over; it stays in the outbox for another attempt."""


def build_email(message: OutboxMessage, settings: Settings) -> EmailMessage:
    """The message as an RFC 5322 e-mail: plain text in UTF-8, with the outbox's own Message-ID; with attachments
    a ``multipart/mixed`` message whose first part is that text, then each file (base64, its name made safe again
    whatever was stored)."""
    email = EmailMessage()
    email["From"] = settings.mail_from
    # Header values on one line whatever was stored: a line break would start a header of its own.
    email["To"] = one_line(message.to_address, 320)
    email["Subject"] = one_line(message.subject, 250)
    email["Date"] = format_datetime(message.created_at)
    email["Message-ID"] = message.message_id
    email["Content-Language"] = message.language
    email.set_content(message.body_text, subtype="plain", charset="utf-8")
    for attachment in message.attachments:
        maintype, subtype, params = parse_media_type(attachment.media_type)
        email.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=safe_filename(attachment.filename),
            params=params,
        )
    return email


def eml_path(settings: Settings, message: OutboxMessage) -> Path:
    return settings.data_dir / "mail" / f"{message.id:06d}-{message.template}.eml"


def tls_context() -> ssl.SSLContext:
    """Certificates checked against the system's trust store (tests swap in their own)."""
    return ssl.create_default_context()


class Transport(Protocol):
    def send(self, message: OutboxMessage) -> None: ...

    def close(self) -> None: ...


class EmlTransport:
    """No SMTP server configured: each message becomes a readable .eml file in the data folder."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: OutboxMessage) -> None:
        path = eml_path(self.settings, message)
        try:
            write_private(path, build_email(message, self.settings).as_bytes())
        except OSError as error:
            raise SendError(f"cannot write {path}: {error}") from error

    def close(self) -> None:
        pass


class SmtpTransport:
    """One SMTP connection, opened at the first message and reused; dropped after any error."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        connection: smtplib.SMTP
        if s.smtp_ssl:
            connection = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_SECONDS, context=tls_context())
        else:
            connection = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
            if s.smtp_starttls:
                connection.starttls(context=tls_context())
        if s.smtp_username:
            connection.login(s.smtp_username, s.smtp_password)
        return connection

    def send(self, message: OutboxMessage) -> None:
        try:
            if self._connection is None:
                self._connection = self._connect()
            self._connection.send_message(build_email(message, self.settings))
        except (smtplib.SMTPException, OSError) as error:
            self._drop()
            raise SendError(_describe(error)) from error

    def _drop(self) -> None:
        """After an error the session's state is unknown: close the socket without a polite QUIT."""
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.quit()
        except (smtplib.SMTPException, OSError):
            connection.close()


def _describe(error: BaseException) -> str:
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return "; ".join(
            f"{address}: {code} {reply.decode(errors='replace')}" for address, (code, reply) in error.recipients.items()
        )
    if isinstance(error, smtplib.SMTPResponseException):
        reply = error.smtp_error
        return f"{error.smtp_code} {reply.decode(errors='replace') if isinstance(reply, bytes) else reply}"
    return f"{type(error).__name__}: {error}"


def transport_for(settings: Settings) -> SmtpTransport | EmlTransport:
    return SmtpTransport(settings) if settings.smtp_host else EmlTransport(settings)
