"""`portal challenges assign`, and a file downloaded from the web that `portal challenges validate` accepts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.cli import main
from app.clock import FrozenClock
from tests.factories import create_challenge
from tests.manage.helpers import staff
from tests.test_cli import SEEDED, cli_env, run

__all__ = ["cli_env"]  # a fixture, used by name


def test_assign_makes_a_coordinator_manage_a_challenge(cli_env: str) -> None:
    run("challenges", "load", str(SEEDED))
    created = CliRunner().invoke(
        main,
        ["users", "create", "coco@mindef.example", "--name", "Coco", "--password-stdin"],
        input="a long passphrase 42\n",
    )
    assert created.exit_code == 0, created.output
    assert run("users", "grant", "coco@mindef.example", "coordinator").exit_code == 0
    result = run("challenges", "assign", "counter-uas", "COCO@mindef.example")
    assert result.output == "coco@mindef.example coordinates counter-uas.\n"
    engine = create_engine(cli_env)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM challenge_coordinator")).scalar()
    engine.dispose()
    assert count == 1


def test_assign_refuses_a_user_without_the_role(cli_env: str) -> None:
    run("challenges", "load", str(SEEDED))
    result = CliRunner().invoke(main, ["challenges", "assign", "counter-uas", "nobody@mindef.example"])
    assert result.exit_code == 1
    assert "no coordinator with e-mail address 'nobody@mindef.example'" in result.output


def test_downloaded_file_passes_validate(
    client: TestClient, session: Session, clock: FrozenClock, tmp_path: Path
) -> None:
    challenge = create_challenge(session)
    staff(client, session, clock, email="adam@mindef.example", role="administrator")
    path = tmp_path / "downloaded.toml"
    path.write_text(client.get(f"/manage/challenges/{challenge.slug}/definition.toml").text, encoding="utf-8")
    result = run("challenges", "validate", str(path))
    assert result.exit_code == 0, result.output


def test_extend_from_the_command_line_mails_absolute_links_under_the_base_url(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command line builds the same links as the web: an e-mail it queues points at PORTAL_BASE_URL."""
    monkeypatch.setenv("PORTAL_BASE_URL", "https://challenges.example.nl")
    assert run("challenges", "load", "--publish", str(SEEDED)).exit_code == 0
    created = CliRunner().invoke(
        main,
        ["users", "create", "fiona@volger.example", "--name", "Fiona", "--password-stdin"],
        input="a long passphrase 42\n",
    )
    assert created.exit_code == 0, created.output
    engine = create_engine(cli_env)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO challenge_follower (challenge_id, user_id, followed_at) "
                "SELECT c.id, u.id, CURRENT_TIMESTAMP FROM challenge c, user_account u "
                "WHERE c.slug = 'counter-uas' AND u.email = 'fiona@volger.example'"
            )
        )
    refused = CliRunner().invoke(
        main,
        [
            "challenges",
            "extend",
            "counter-uas",
            "--stage",
            "solution-brief",
            "--until",
            "2027-03-12T17:00",
            "--reason",
            " ",
        ],
    )
    assert refused.exit_code == 1 and "reason" in refused.output
    result = run(
        "challenges",
        "extend",
        "counter-uas",
        "--stage",
        "solution-brief",
        "--until",
        "2027-03-12T17:00",
        "--reason",
        "Meer tijd",
    )
    assert result.exit_code == 0, result.output
    with engine.connect() as connection:
        bodies = (
            connection.execute(
                text(
                    "SELECT body_text FROM outbox_message WHERE template = 'nota_published' AND to_address = 'fiona@volger.example'"
                )
            )
            .scalars()
            .all()
        )
        deadline = connection.execute(
            text(
                "SELECT s.deadline_at FROM challenge_stage s JOIN challenge c ON c.id = s.challenge_id WHERE c.slug = 'counter-uas' AND s.key = 'solution-brief'"
            )
        ).scalar()
    engine.dispose()
    assert len(bodies) == 1
    assert "https://challenges.example.nl/challenges/counter-uas/nota" in bodies[0]
    assert str(deadline).startswith("2027-03-12 16:00")  # 17:00 CET is 16:00 UTC
