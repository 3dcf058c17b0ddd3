"""``portal serve --with-worker`` (what ``make run`` starts): mail queued while the portal serves arrives without
a second command, at ``.eml`` files or an SMTP server, with links under the port served when
``PORTAL_BASE_URL`` is unset. The server runs as a real process, as ``make run`` starts it."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.notifications.smtp import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
STRONG = "violet tractor sings loudly"


def _portal(*args: str, env: dict[str, str], log: Path | None = None) -> subprocess.Popen[bytes]:
    out = log.open("wb") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "app.cli", *args], env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT
    )


@contextmanager
def _serving(tmp_path: Path, **extra: str) -> Iterator[tuple[int, Path]]:
    """``portal migrate`` then ``portal serve --with-worker`` on a free port, PORTAL_BASE_URL unset."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("PORTAL_")}
    env.update(
        PORTAL_DATA_DIR=str(tmp_path / "data"),
        PORTAL_SECRET_KEY="serve-worker-test-secret",
        PORTAL_PORT=str(port),
        PYTHONPATH=str(ROOT),
        PYTHONUNBUFFERED="1",
        **extra,
    )
    assert _portal("migrate", env=env).wait(timeout=120) == 0
    log = tmp_path / "serve.log"
    server = _portal("serve", "--with-worker", "--worker-interval", "0.5", env=env, log=log)
    try:
        deadline = time.monotonic() + 60
        while "Application startup complete" not in log.read_text(errors="replace"):
            assert server.poll() is None and time.monotonic() < deadline, log.read_text(errors="replace")
            time.sleep(0.1)
        yield port, log
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)


def _register(port: int, email: str) -> None:
    """Register over HTTP as a visitor does: the confirmation e-mail is queued in the same transaction."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as browser:
        form = browser.get("/register")
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
        assert token, form.text[:500]
        data = {"email": email, "name": "Nieuwe Gebruiker", "password": STRONG, "password_confirm": STRONG}
        response = browser.post("/register", data={**data, "csrf_token": token.group(1)})
        assert response.status_code == 200, response.text[:500]


def _wait_for(found: object, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not found() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.2)


def test_serve_with_worker_writes_queued_mail_as_eml_with_links_on_the_port_served(tmp_path: Path) -> None:
    mail = tmp_path / "data" / "mail"
    with _serving(tmp_path) as (port, log):
        started = log.read_text()
        assert f"delivers the outbox to .eml files in {mail.resolve()} (no PORTAL_SMTP_HOST set)" in started
        assert f"(links in e-mails: http://127.0.0.1:{port})" in started
        _register(port, "nieuw@example.nl")
        _wait_for(lambda: mail.exists() and list(mail.glob("*.eml")))
        files = list(mail.glob("*.eml"))
        assert len(files) == 1
        email = message_from_bytes(files[0].read_bytes(), policy=policy.default)
        assert email["To"] == "nieuw@example.nl"
        assert f"http://127.0.0.1:{port}/confirm/" in email.get_body().get_content()  # type: ignore[union-attr]


def test_serve_with_worker_delivers_queued_mail_to_the_smtp_server(tmp_path: Path, smtp_server: SmtpServer) -> None:
    smtp = {
        "PORTAL_SMTP_HOST": smtp_server.host,
        "PORTAL_SMTP_PORT": str(smtp_server.port),
        "PORTAL_SMTP_STARTTLS": "0",
    }
    with _serving(tmp_path, **smtp) as (port, log):
        assert f"delivers the outbox to SMTP 127.0.0.1:{smtp_server.port}" in log.read_text()
        _register(port, "smtp@example.nl")
        _wait_for(lambda: smtp_server.handler.envelopes)
    assert [message["To"] for message in smtp_server.handler.messages()] == ["smtp@example.nl"]
    assert not (tmp_path / "data" / "mail").exists()


def test_serve_stops_the_worker_beside_it(tmp_path: Path) -> None:
    with _serving(tmp_path) as (_port, log):
        _wait_for(lambda: "Worker delivering to" in log.read_text(), 10)
        assert "Worker stopped." not in log.read_text()
    assert log.read_text().count("Worker stopped.") == 1


@pytest.mark.parametrize(("port", "expected"), [(8000, "http://127.0.0.1:8000"), (8080, "http://127.0.0.1:8080")])
def test_base_url_follows_the_port_when_unset(monkeypatch: pytest.MonkeyPatch, port: int, expected: str) -> None:
    from app.main import build_links
    from app.settings import Settings

    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    monkeypatch.setenv("PORTAL_PORT", str(port))
    settings = Settings()
    assert settings.base_url == expected
    assert build_links(settings).url("login") == f"{expected}/login"


def test_base_url_set_wins_over_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.settings import Settings

    monkeypatch.setenv("PORTAL_BASE_URL", "https://challenges.example.nl")
    monkeypatch.setenv("PORTAL_PORT", "8080")
    assert Settings().base_url == "https://challenges.example.nl"
