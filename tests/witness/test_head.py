"""The chain's head: ``portal audit head`` prints it, ``portal audit verify --head`` holds the chain to it, so
events cut off the end after a head was published are found."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.audit.service import GENESIS_HASH, Actor, ChainHead, chain_head, record_event, verify_chain
from app.cli import main
from tests.databases import empty_database
from tests.factories import EARLIER

ACTOR = Actor(user_id=None, label="tester")


def _record(session: Session, n: int, start: int = 0) -> list[str]:
    hashes = [
        record_event(session, actor=ACTOR, action="test.thing", object_type="thing", object_id=i, at=EARLIER).hash
        for i in range(start, start + n)
    ]
    session.commit()
    return hashes


def _cut_newest(session_or_connection, db_kind: str, keep: int) -> None:  # type: ignore[no-untyped-def]
    """What someone with the database's keys could do: lift the protection and delete the newest events."""
    if db_kind == "postgresql":
        session_or_connection.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
    else:
        session_or_connection.execute(text("DROP TRIGGER audit_event_no_delete"))
    newest = session_or_connection.execute(text("SELECT id FROM audit_event ORDER BY id")).scalars().all()[keep:]
    for event_id in newest:
        session_or_connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": event_id})


# --- the head as a value -----------------------------------------------------------------------------


def test_head_parse_reads_what_str_writes() -> None:
    head = ChainHead(12, "ab" * 32)
    assert str(head) == "12:" + "ab" * 32
    assert ChainHead.parse(f" 12:{'AB' * 32}\n") == head


@pytest.mark.parametrize(
    "value",
    ["", "12", "12:", "x:" + "ab" * 32, "-1:" + "ab" * 32, "12:" + "ab" * 31, "12:" + "zz" * 32, "0:" + "ab" * 32],
)
def test_head_parse_refuses_anything_else(value: str) -> None:
    with pytest.raises(ValueError):
        ChainHead.parse(value)


# --- the service ------------------------------------------------------------------------------------


def test_chain_head_of_an_empty_chain_is_the_genesis(session: Session) -> None:
    assert chain_head(session) == ChainHead(0, GENESIS_HASH)
    assert verify_chain(session, head=ChainHead(0, GENESIS_HASH)).ok


def test_chain_head_counts_events_and_names_the_newest(session: Session) -> None:
    hashes = _record(session, 3)
    assert chain_head(session) == ChainHead(3, hashes[-1])


def test_verify_with_an_earlier_head_passes_while_the_chain_grows(session: Session) -> None:
    _record(session, 3)
    published = chain_head(session)
    _record(session, 2, start=3)
    result = verify_chain(session, head=published)
    assert (result.ok, result.count, result.problem) == (True, 5, None)


def test_verify_with_a_published_head_finds_the_newest_events_deleted(session: Session, db_kind: str) -> None:
    _record(session, 3)
    published = chain_head(session)
    _record(session, 2, start=3)
    _cut_newest(session, db_kind, keep=2)
    session.expire_all()
    assert verify_chain(session).ok  # what is left is a valid chain: without a witness the cut goes unnoticed
    result = verify_chain(session, head=published)
    assert not result.ok
    assert (result.count, result.first_bad_id) == (2, None)
    assert result.problem == f"the chain has 2 events, fewer than the published head {published}: events were cut off"


def test_verify_with_a_published_head_finds_a_cut_chain_grown_again(session: Session, db_kind: str) -> None:
    _record(session, 3)
    published = chain_head(session)
    _cut_newest(session, db_kind, keep=1)
    _record(session, 4, start=10)  # new events, validly chained onto what was left, past the old count
    session.expire_all()
    assert verify_chain(session).ok
    result = verify_chain(session, head=published)
    assert not result.ok
    assert result.problem == f"event number 3 is not the published head {published}: the chain was cut and rewritten"


# --- the command line --------------------------------------------------------------------------------


@pytest.fixture
def cli_url(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with empty_database(db_kind, tmp_path) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.delenv("PORTAL_MIGRATE_DATABASE_URL", raising=False)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        assert _run("migrate").exit_code == 0
        yield url


def _run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def test_cli_head_prints_count_and_hash_on_one_line(cli_url: str) -> None:
    empty = _run("audit", "head")
    assert (empty.exit_code, empty.stdout) == (0, f"0:{GENESIS_HASH}\n")
    engine = create_engine(cli_url)
    with Session(engine) as own:
        hashes = _record(own, 4)
    engine.dispose()
    result = _run("audit", "head")
    assert result.exit_code == 0
    assert result.stdout == f"4:{hashes[-1]}\n"
    assert result.stderr == f"The audit chain has 4 events; the newest one's hash is {hashes[-1]}.\n"


def test_cli_verify_head_passes_intact_and_fails_after_the_newest_events_are_deleted(
    cli_url: str, db_kind: str
) -> None:
    engine = create_engine(cli_url)
    with Session(engine) as own:
        _record(own, 3)
    published = _run("audit", "head").stdout.strip()
    with Session(engine) as own:
        _record(own, 2, start=3)
    intact = _run("audit", "verify", "--head", published)
    assert (intact.exit_code, intact.stdout) == (
        0,
        f"Audit chain intact: 5 events. It holds the published head {published}.\n",
    )

    with engine.begin() as connection:
        _cut_newest(connection, db_kind, keep=2)
    engine.dispose()
    assert _run("audit", "verify").exit_code == 0  # the plain walk sees nothing wrong
    cut = _run("audit", "verify", "--head", published)
    assert cut.exit_code == 1
    assert cut.stderr == (
        "Audit chain does not hold the published head: the chain has 2 events, fewer than the published head "
        f"{published}: events were cut off.\n"
    )


def test_cli_verify_head_refuses_a_malformed_head(cli_url: str) -> None:
    result = _run("audit", "verify", "--head", "12:not-a-hash")
    assert result.exit_code == 2
    assert "a head is COUNT:HASH, the number of events and a 64-character SHA-256 in hex" in result.stderr
