"""``portal worker --once`` runs the scheduled jobs with the system clock, then delivers what they queued."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from app.cli import main
from app.clock import AMSTERDAM
from app.database import Database
from tests.databases import empty_database
from tests.factories import BASE_DEFINITION
from tests.reminders.helpers import draft_world


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def cli_env(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with empty_database(db_kind, tmp_path) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.delenv("PORTAL_SMTP_HOST", raising=False)
        assert run("migrate").exit_code == 0
        yield url


def test_worker_once_sends_a_draft_reminder_once(cli_env: str, tmp_path: Path) -> None:
    now = datetime.now(AMSTERDAM).replace(microsecond=0, tzinfo=None)
    stage = {
        **BASE_DEFINITION["stages"][0],
        "opens_at": (now - timedelta(days=10)).isoformat(),
        "deadline": (now + timedelta(hours=20)).isoformat(),
    }
    db = Database(cli_env)
    with db.unit_of_work() as session:
        draft_world(session, now=datetime.now(AMSTERDAM) - timedelta(days=1), stages=[stage])
    db.dispose()

    first = run("worker", "--once")
    assert first.output == ("Scheduled notices queued: 2 (draft reminders: 2).\n2 due: 2 sent, 0 to retry, 0 failed.\n")
    assert (
        sorted(p.name.split("-", 1)[1] for p in (tmp_path / "data" / "mail").iterdir())
        == ["draft_deadline_reminder.eml"] * 2
    )
    assert run("worker", "--once").output == "0 due: 0 sent, 0 to retry, 0 failed.\n"
