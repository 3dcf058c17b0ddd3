"""``portal mail list``, ``portal mail show`` and ``portal worker`` against a real migrated database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.database import Database
from app.notifications.attachments import Attachment
from app.notifications.models import OutboxMessage
from app.notifications.service import queue_email
from tests.databases import empty_database
from tests.notifications.smtp import running_smtp_server

ROOT = Path(__file__).resolve().parents[2]
CREATED = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def cli_env(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database that the CLI finds through PORTAL_* variables; no SMTP server."""
    with empty_database(db_kind, tmp_path) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.delenv("PORTAL_SMTP_HOST", raising=False)
        assert run("migrate").exit_code == 0
        yield url


def _queue(url: str, *recipients: str, status: str = "pending") -> list[int]:
    db = Database(url)
    ids = []
    with db.unit_of_work() as session:
        for number, to in enumerate(recipients):
            message = queue_email(
                session,
                to=to,
                template="test_message",
                language="nl",
                context={"name": "Zoë"},
                now=CREATED + timedelta(minutes=number),
            )
            message.status = status
            ids.append(message.id)
        session.commit()
    db.dispose()
    return ids


def _message(url: str, message_id: int) -> OutboxMessage:
    db = Database(url)
    with db.session() as session:
        message = session.get(OutboxMessage, message_id)
    db.dispose()
    assert message is not None
    return message


def test_mail_list_prints_newest_first_with_status_filter(cli_env: str) -> None:
    [first, second] = _queue(cli_env, "a@example.nl", "b@example.nl")
    [sent] = _queue(cli_env, "c@example.nl", status="sent")

    everything = run("mail", "list")
    only_sent = run("mail", "list", "--status", "sent")
    limited = run("mail", "list", "--limit", "1")

    assert everything.exit_code == 0
    assert everything.output.splitlines() == [
        f"{sent:>6}  2026-11-20 09:30:00Z  sent     0  c@example.nl  Testbericht van het challengeportaal",
        f"{second:>6}  2026-11-20 09:31:00Z  pending  0  b@example.nl  Testbericht van het challengeportaal",
        f"{first:>6}  2026-11-20 09:30:00Z  pending  0  a@example.nl  Testbericht van het challengeportaal",
    ]
    assert [line.split()[0] for line in only_sent.output.splitlines()] == [str(sent)]
    assert [line.split()[0] for line in limited.output.splitlines()] == [str(sent)]


def test_mail_list_without_messages_says_so(cli_env: str) -> None:
    assert run("mail", "list", "--status", "failed").output == "No messages.\n"


def test_mail_show_prints_headers_and_body(cli_env: str) -> None:
    [message_id] = _queue(cli_env, "a@example.nl")
    stored = _message(cli_env, message_id)

    result = run("mail", "show", str(message_id))

    assert result.exit_code == 0
    head, _, body = result.output.partition("\n\n")
    assert head.splitlines()[:5] == [
        f"Message-ID: {stored.message_id}",
        "Date: 2026-11-20T09:30:00+00:00",
        "From: Defensie Challengeportaal <noreply@challenges.example.nl>",
        "To: a@example.nl",
        "Subject: Testbericht van het challengeportaal",
    ]
    assert "X-Status: pending" in head.splitlines()
    assert body == stored.body_text
    assert body.startswith("Beste Zoë,\n")


def test_mail_show_names_the_attachments(cli_env: str) -> None:
    db = Database(cli_env)
    with db.unit_of_work() as session:
        message = queue_email(
            session, to="a@example.nl", template="test_message", language="nl", context={"name": "Zoë"}, now=CREATED,
            attachments=[Attachment("event 7.ics", "text/calendar; charset=utf-8", b"BEGIN:VCALENDAR\r\n")],
        )  # fmt: skip
        session.commit()
        message_id = message.id
    db.dispose()

    head, _, _body = run("mail", "show", str(message_id)).output.partition("\n\n")

    assert "X-Attachment: event-7.ics (text/calendar; charset=utf-8, 17 bytes)" in head.splitlines()


def test_mail_show_unknown_id_fails(cli_env: str) -> None:
    result = CliRunner().invoke(main, ["mail", "show", "999999"])

    assert result.exit_code == 1
    assert "no message with id 999999" in result.output


def test_worker_once_without_smtp_writes_eml_files_and_summarises(cli_env: str, tmp_path: Path) -> None:
    [first, second] = _queue(cli_env, "a@example.nl", "b@example.nl")

    result = run("worker", "--once")

    assert result.exit_code == 0
    assert result.output == "2 due: 2 sent, 0 to retry, 0 failed.\n"
    mail_dir = tmp_path / "data" / "mail"
    assert sorted(p.name for p in mail_dir.iterdir()) == [
        f"{first:06d}-test_message.eml",
        f"{second:06d}-test_message.eml",
    ]
    assert _message(cli_env, first).status == "sent"
    assert run("worker", "--once").output == "0 due: 0 sent, 0 to retry, 0 failed.\n"


def test_worker_once_sends_over_smtp(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    [message_id] = _queue(cli_env, "a@example.nl")
    with running_smtp_server() as server:
        monkeypatch.setenv("PORTAL_SMTP_HOST", server.host)
        monkeypatch.setenv("PORTAL_SMTP_PORT", str(server.port))
        monkeypatch.setenv("PORTAL_SMTP_STARTTLS", "false")

        result = run("worker", "--once")

    assert result.output == "1 due: 1 sent, 0 to retry, 0 failed.\n"
    [email] = server.handler.messages()
    assert email["Message-ID"] == _message(cli_env, message_id).message_id
    assert email["To"] == "a@example.nl"


def test_worker_once_with_refusing_server_reports_retry(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    [message_id] = _queue(cli_env, "a@example.nl")
    with running_smtp_server() as server:
        server.handler.refuse = "550 5.1.1 No such user"
        monkeypatch.setenv("PORTAL_SMTP_HOST", server.host)
        monkeypatch.setenv("PORTAL_SMTP_PORT", str(server.port))
        monkeypatch.setenv("PORTAL_SMTP_STARTTLS", "false")

        result = run("worker", "--once")

    assert result.output == "1 due: 0 sent, 1 to retry, 0 failed.\n"
    stored = _message(cli_env, message_id)
    assert (stored.status, stored.attempts, stored.last_error) == ("pending", 1, "550 5.1.1 No such user")


def test_worker_loop_sends_and_stops_cleanly_on_sigterm(cli_env: str, tmp_path: Path) -> None:
    [message_id] = _queue(cli_env, "a@example.nl")
    eml = tmp_path / "data" / "mail" / f"{message_id:06d}-test_message.eml"
    process = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "worker", "--interval", "0.2"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(600):  # bounded: at most ~60 s (a loaded machine starts the worker slowly)
            if eml.exists():
                break
            try:
                process.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            break
        process.send_signal(signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0, stderr
    assert stdout.splitlines()[1:] == ["1 due: 1 sent, 0 to retry, 0 failed.", "Worker stopped."]
    assert message_from_bytes(eml.read_bytes(), policy=policy.default)["To"] == "a@example.nl"
