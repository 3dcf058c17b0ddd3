"""Every `portal` command obeys the web's rules: accounts, deadline extensions, the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import time_machine
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from app.cli import main
from app.database import Database
from app.notifications.service import queue_email
from tests.manage.test_load import BEFORE, write
from tests.test_cli import cli_env

__all__ = ["cli_env"]  # a fixture, used by name


def invoke(*args: str, stdin: str | None = None, at: datetime = BEFORE) -> Result:
    with time_machine.travel(at, tick=False):
        return CliRunner().invoke(main, list(args), input=stdin)


def scalar(url: str, sql: str) -> object:
    engine = create_engine(url)
    with engine.connect() as connection:
        value = connection.execute(text(sql)).scalar()
    engine.dispose()
    return value


def test_users_create_checks_the_address_as_registration_does(cli_env: str) -> None:
    for address in ("iemand@localhost", "twee woorden@example.nl", "a@b@example.nl"):
        result = invoke(
            "users", "create", address, "--name", "Iemand", "--password-stdin", stdin="a long passphrase 42\n"
        )
        assert result.exit_code == 1, address
        assert "email: Enter a valid e-mail address." in result.output
    assert scalar(cli_env, "SELECT count(*) FROM user_account") == 0
    made = invoke(
        "users", "create", "iemand@example.nl", "--name", "Iemand", "--password-stdin", stdin="a long passphrase 42\n"
    )
    assert made.exit_code == 0, made.output


def _published(tmp_path: Path) -> None:
    loaded = invoke("challenges", "load", "--publish", str(write(tmp_path)))
    assert loaded.exit_code == 0, loaded.output


DEADLINE_SQL = "SELECT deadline_at FROM challenge_stage"


def test_extend_with_an_offset_is_read_as_that_moment_never_earlier(cli_env: str, tmp_path: Path) -> None:
    """16:30 UTC is 17:30 in Amsterdam: later than 17:00 CET, and stored as 17:30, not as 16:30 local."""
    _published(tmp_path)
    args = ("challenges", "extend", "test-challenge", "--stage", "brief", "--reason", "Meer tijd")
    result = invoke(*args, "--until", "2027-02-26T16:30+00:00")
    assert result.exit_code == 0, result.output
    assert str(scalar(cli_env, DEADLINE_SQL)).startswith("2027-02-26 16:30")


def test_extend_by_seconds_is_no_extension(cli_env: str, tmp_path: Path) -> None:
    _published(tmp_path)
    versions = scalar(cli_env, "SELECT count(*) FROM challenge_version")
    args = ("challenges", "extend", "test-challenge", "--stage", "brief", "--reason", "Meer tijd")
    result = invoke(*args, "--until", "2027-02-26T17:00:30")
    assert result.exit_code == 1
    assert "deadline: The new deadline must be later than the current one." in result.output
    assert str(scalar(cli_env, DEADLINE_SQL)).startswith("2027-02-26 16:00")
    assert scalar(cli_env, "SELECT count(*) FROM challenge_version") == versions


def test_mail_show_withholds_one_time_links(cli_env: str) -> None:
    """On the web only the recipient sees a password-reset link; an operator reading the outbox does not."""
    db = Database(cli_env)
    with db.unit_of_work() as session:
        reset = queue_email(
            session,
            to="iemand@example.nl",
            template="reset_password",
            language="en",
            context={"name": "Iemand", "link": "http://testserver/password/reset/SECRET-TOKEN", "minutes": 30},
            now=datetime(2026, 12, 1, tzinfo=UTC),
        )
        receipt = queue_email(
            session,
            to="iemand@example.nl",
            template="test_message",
            language="en",
            context={"name": "Iemand"},
            now=datetime(2026, 12, 1, tzinfo=UTC),
        )
        session.commit()
        ids = (reset.id, receipt.id)
    db.dispose()
    shown = invoke("mail", "show", str(ids[0]))
    assert shown.exit_code == 0
    assert "SECRET-TOKEN" not in shown.output
    assert "[link withheld: only the recipient may use it]" in shown.output
    assert "Choose a new password" in shown.output
    other = invoke("mail", "show", str(ids[1]))
    assert "withheld" not in other.output
