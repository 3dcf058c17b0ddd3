"""STARTTLS with login, and implicit TLS (SMTP_SSL), against aiosmtpd with a throwaway certificate."""

from __future__ import annotations

import ssl
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.notifications import sender
from app.notifications.service import deliver_due, queue_email
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.notifications.smtp import CollectingHandler, free_port


@pytest.fixture
def certificate(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 that the sender trusts (and nothing else does)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip

    monkeypatch.setattr(sender, "tls_context", lambda: ssl.create_default_context(cafile=str(cert)))
    return cert, key


def _server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


class Authenticator:
    def __init__(self) -> None:
        self.logins: list[tuple[str, str]] = []

    def __call__(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        assert isinstance(auth_data, LoginPassword)
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=auth_data.password == b"s3cret")


@pytest.fixture
def starttls_server(certificate: tuple[Path, Path]) -> Iterator[tuple[CollectingHandler, Authenticator, int]]:
    handler, authenticator, port = CollectingHandler(), Authenticator(), free_port()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=port,
        tls_context=_server_context(certificate),
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=True,
    )
    controller.start()
    try:
        yield handler, authenticator, port
    finally:
        controller.stop()


def _queue(session: Session, clock: FrozenClock) -> None:
    queue_email(
        session, to="zoe@example.nl", template="test_message", language="nl", context={"name": "Zoë"}, now=clock.now()
    )
    session.commit()


def test_deliver_due_uses_starttls_and_login(
    session: Session,
    tdb: TransactionalDatabase,
    clock: FrozenClock,
    settings: Settings,
    starttls_server: tuple[CollectingHandler, Authenticator, int],
) -> None:
    handler, authenticator, port = starttls_server
    _queue(session, clock)
    smtp = settings.model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_username": "portal", "smtp_password": "s3cret"}
    )

    counts = deliver_due(tdb, now=clock.now(), settings=smtp)

    assert counts.sent == 1
    assert authenticator.logins == [("portal", "s3cret")]
    assert [e.rcpt_tos for e in handler.envelopes] == [["zoe@example.nl"]]


def test_deliver_due_over_implicit_tls(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, settings: Settings, certificate: tuple[Path, Path]
) -> None:
    handler, port = CollectingHandler(), free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, ssl_context=_server_context(certificate))
    controller.start()
    try:
        _queue(session, clock)
        smtp = settings.model_copy(
            update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_ssl": True, "smtp_starttls": False}
        )
        counts = deliver_due(tdb, now=clock.now(), settings=smtp)
    finally:
        controller.stop()

    assert counts.sent == 1
    assert [e.rcpt_tos for e in handler.envelopes] == [["zoe@example.nl"]]
