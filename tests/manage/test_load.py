"""`portal challenges load` obeys the web's rules: a published challenge changes only through a correction."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
import tomli_w
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text

from app.cli import main
from app.cli.common import operator_name
from app.database import Database
from tests.factories import definition_data
from tests.manage.helpers import proposal_for
from tests.test_cli import SEEDED, cli_env

__all__ = ["cli_env"]  # a fixture, used by name

BEFORE = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def load(*args: str, at: datetime = BEFORE) -> Result:
    with time_machine.travel(at, tick=False):
        return CliRunner().invoke(main, ["challenges", "load", *args])


def write(tmp_path: Path, name: str = "test.toml", **overrides: Any) -> Path:
    data = definition_data(**overrides)
    path = tmp_path / name
    path.write_text(tomli_w.dumps(data), encoding="utf-8")
    return path


def stages(**changes: Any) -> list[dict[str, Any]]:
    stage = {**definition_data()["stages"][0], **changes}
    return [stage]


def rows(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    with engine.connect() as connection:
        found = list(connection.execute(text(sql)).all())
    engine.dispose()
    return found


def state(url: str) -> tuple[Any, ...]:
    """Everything a load could change: versions, stage times, status, audit events, mail, Nota entries."""
    return (
        rows(url, "SELECT challenge_id, number, content_hash FROM challenge_version ORDER BY id"),
        rows(url, "SELECT id, opens_at, deadline_at FROM challenge_stage ORDER BY id"),
        rows(url, "SELECT slug, status, current_version FROM challenge ORDER BY id"),
        rows(url, "SELECT count(*) FROM audit_event"),
        rows(url, "SELECT count(*) FROM outbox_message"),
        rows(url, "SELECT count(*) FROM nota_entry"),
    )


@pytest.fixture
def published(cli_env: str, tmp_path: Path) -> Iterator[Path]:
    path = write(tmp_path)
    result = load("--publish", str(path))
    assert result.exit_code == 0, result.output
    assert result.output == "test-challenge: created\n"
    yield path


def test_demo_load_twice_changes_nothing_the_second_time(cli_env: str) -> None:
    """`make run` on a live database: the seeded challenges were moved by --demo once and stay as published."""
    late = datetime(2027, 2, 20, 9, 0, tzinfo=UTC)  # close to the seeded deadlines: --demo moves them
    first = load("--publish", "--demo", str(SEEDED), at=late)
    assert first.exit_code == 0, first.output
    before = state(cli_env)
    assert [status for _, status, _ in before[2]] == ["published"] * 3
    again = load("--publish", "--demo", str(SEEDED), at=datetime(2027, 3, 2, 9, 0, tzinfo=UTC))
    assert again.exit_code == 0, again.output
    assert sorted(again.output.split()) == sorted(
        ["ammunition-reuse:", "unchanged", "counter-uas:", "unchanged", "drone-munitions:", "unchanged"]
    )
    assert state(cli_env) == before


def test_unchanged_file_of_a_published_challenge_is_a_no_op(cli_env: str, published: Path) -> None:
    before = state(cli_env)
    result = load(str(published))
    assert result.exit_code == 0
    assert result.output == "test-challenge: unchanged\n"
    assert state(cli_env) == before


def test_changed_published_challenge_without_reason_is_refused_naming_what_differs(
    cli_env: str, tmp_path: Path, published: Path
) -> None:
    before = state(cli_env)
    changed = write(tmp_path, summary={"nl": "Andere samenvatting.", "en": "Another summary."})
    result = load(str(changed))
    assert result.exit_code == 3  # refused: published challenges stay as they are
    assert f"{changed}: summary.nl: The file differs from the published challenge here." in result.output
    assert f"{changed}: summary.en: The file differs from the published challenge here." in result.output
    assert "--reason: The challenge is published: a change is a correction and needs a reason (--reason)." in (
        result.output
    )
    assert result.output.rstrip().endswith(
        "Nothing was loaded.\nThe published challenges in the database stay as they are."
    )
    assert state(cli_env) == before


def test_a_bad_new_file_beside_a_changed_published_one_exits_1(cli_env: str, tmp_path: Path, published: Path) -> None:
    """Only a refusal of published challenges alone gives exit status 3 (which `make run` accepts)."""
    before = state(cli_env)
    changed = write(tmp_path, summary={"nl": "Anders.", "en": "Other."})
    past = [{**definition_data()["stages"][0], "opens_at": "2026-01-05T09:00:00", "deadline": "2026-02-26T17:00:00"}]
    late = write(tmp_path, "late.toml", slug="late-challenge", stages=past)
    result = load("--publish", str(changed), str(late))
    assert result.exit_code == 1
    assert f"{late}: stages: At least one stage needs a deadline in the future." in result.output
    assert f"{changed}: summary.en: The file differs from the published challenge here." in result.output
    assert state(cli_env) == before


def test_changed_published_challenge_with_reason_is_a_correction(cli_env: str, tmp_path: Path, published: Path) -> None:
    db = Database(cli_env)
    with db.unit_of_work() as session:
        from app.challenges import service
        from app.clock import FrozenClock

        challenge = service.get_challenge_by_slug(session, slug="test-challenge")
        proposal_for(session, challenge, email="sub@alpha.example", status="submitted", clock=FrozenClock(BEFORE))
    db.dispose()
    changed = write(tmp_path, summary={"nl": "Andere samenvatting.", "en": "Another summary."})
    result = load(str(changed), "--reason", "Samenvatting verduidelijkt")
    assert result.exit_code == 0, result.output
    assert result.output == "test-challenge: corrected\n"
    assert rows(cli_env, "SELECT number, reason FROM challenge_version ORDER BY number") == [
        (1, None),
        (2, "Samenvatting verduidelijkt"),
    ]
    assert rows(cli_env, "SELECT count(*) FROM proposal WHERE reconfirmation_required_at IS NOT NULL") == [(1,)]
    assert rows(cli_env, "SELECT kind, answer_en FROM nota_entry") == [("announcement", "Samenvatting verduidelijkt")]
    assert rows(cli_env, "SELECT count(*) FROM nota_version") == [(1,)]
    assert rows(cli_env, "SELECT to_address FROM outbox_message WHERE template = 'proposal_reconfirm'") == [
        ("sub@alpha.example",)
    ]
    actions = [a for (a,) in rows(cli_env, "SELECT action FROM audit_event ORDER BY id")]
    assert actions[3:] == [
        "challenge.update",
        "challenge.correct",
        "nota.announce",
        "proposal.reconfirmation_required",
        "nota_entry.published",
        "nota.publish",
    ]
    assert rows(cli_env, "SELECT DISTINCT actor_label FROM audit_event WHERE action = 'challenge.correct'") == [
        (f"cli:{operator_name()}",)
    ]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {
                "criteria": [
                    {**definition_data()["criteria"][0], "weight": 50},
                    {**definition_data()["criteria"][1], "weight": 50},
                ]
            },
            "criteria: Criteria, their weights and minimums are fixed after publication.",
        ),
        (
            {"knockout_total_minimum": 1},
            "knockout_total_minimum: The minimum total is fixed after publication.",
        ),
        (
            {"stages": stages(deadline="2027-02-19T17:00:00")},
            "stages.0.deadline: A deadline can only move later.",
        ),
    ],
    ids=["weights", "knockout", "earlier-deadline"],
)
def test_frozen_fields_and_earlier_deadlines_are_refused_even_with_a_reason(
    cli_env: str, tmp_path: Path, published: Path, overrides: dict[str, Any], expected: str
) -> None:
    before = state(cli_env)
    changed = write(tmp_path, **overrides)
    result = load(str(changed), "--reason", "Andere weging")
    assert result.exit_code == 3  # refused: published challenges stay as they are
    assert f"{changed}: {expected}" in result.output
    assert state(cli_env) == before


def test_a_stage_whose_deadline_passed_never_opens_again(cli_env: str, tmp_path: Path, published: Path) -> None:
    before = state(cli_env)
    reopened = write(tmp_path, stages=stages(deadline="2027-03-20T17:00:00"))
    result = load(str(reopened), "--reason", "Nog een ronde", at=datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    assert result.exit_code == 3  # refused: published challenges stay as they are
    assert f"{reopened}: stages.0.deadline: The deadline has passed; it cannot move." in result.output
    assert state(cli_env) == before


def test_demo_never_moves_a_published_challenge(cli_env: str, tmp_path: Path, published: Path) -> None:
    before = state(cli_env)
    result = load("--demo", str(published), at=datetime(2027, 2, 20, 9, 0, tzinfo=UTC))
    assert result.exit_code == 0, result.output
    assert result.output == "test-challenge: unchanged\n"
    assert state(cli_env) == before


def test_a_challenge_in_evaluation_never_changes(cli_env: str, tmp_path: Path, published: Path) -> None:
    engine = create_engine(cli_env)
    with engine.begin() as connection:
        connection.execute(text("UPDATE challenge SET status = 'evaluation'"))
    engine.dispose()
    before = state(cli_env)
    changed = write(tmp_path, summary={"nl": "Anders.", "en": "Other."})
    result = load(str(changed), "--reason", "Te laat")
    assert result.exit_code == 3  # refused: published challenges stay as they are
    assert f"{changed}: status: The challenge's status is 'evaluation': its definition can no longer change." in (
        result.output
    )
    assert state(cli_env) == before


def test_publish_applies_the_web_checks(cli_env: str, tmp_path: Path) -> None:
    """A file whose every deadline has passed is not published (the publish button refuses it too)."""
    path = write(tmp_path, stages=stages(opens_at="2026-01-05T09:00:00", deadline="2026-02-26T17:00:00"))
    result = load("--publish", str(path))
    assert result.exit_code == 1
    assert f"{path}: stages: At least one stage needs a deadline in the future." in result.output
    assert rows(cli_env, "SELECT count(*) FROM challenge") == [(0,)]


def test_a_draft_is_rewritten_in_place_as_the_form_does(cli_env: str, tmp_path: Path) -> None:
    assert load(str(write(tmp_path))).exit_code == 0
    result = load(str(write(tmp_path, summary={"nl": "Nieuw.", "en": "New."})))
    assert result.output == "test-challenge: updated\n"
    assert rows(cli_env, "SELECT number FROM challenge_version") == [(1,)]
    published = load("--publish", str(write(tmp_path, summary={"nl": "Nieuw.", "en": "New."})))
    assert published.output == "test-challenge: published\n"
    assert rows(cli_env, "SELECT status, status_reason FROM challenge") == [
        ("published", "Published from a definition file (portal challenges load).")
    ]


def test_the_operator_is_named_in_the_audit_trail(cli_env: str, tmp_path: Path) -> None:
    with time_machine.travel(BEFORE, tick=False):
        result = CliRunner().invoke(main, ["--operator", "beheer-anna", "challenges", "load", str(write(tmp_path))])
    assert result.exit_code == 0, result.output
    assert rows(cli_env, "SELECT DISTINCT actor_label FROM audit_event") == [("cli:beheer-anna",)]
