"""The audit chain: appended by services, refused changes by the database, tampering found by verify."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.audit.service import GENESIS_HASH, Actor, record_event, verify_chain
from app.cli import main
from tests.databases import empty_database, migrated_database
from tests.factories import EARLIER, create_challenge

ACTOR = Actor(user_id=7, label="tester", ip="192.0.2.1")


def _record(session: Session, n: int) -> list[AuditEvent]:
    events = [
        record_event(
            session,
            actor=ACTOR,
            action="test.thing",
            object_type="thing",
            object_id=i,
            at=EARLIER,
            data={"n": i, "text": "één"},
        )
        for i in range(n)
    ]
    session.commit()
    return events


def test_record_event_links_each_event_to_the_previous(session: Session) -> None:
    first, second = _record(session, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert (second.actor_id, second.ip, second.data) == (7, "192.0.2.1", {"n": 1, "text": "één"})


def test_verify_chain_intact_counts_events(session: Session) -> None:
    create_challenge(session)
    _record(session, 3)
    result = verify_chain(session)
    assert result.ok
    assert result.count == 5  # challenge.create, challenge.published, three test events


def _drop_protection(session: Session) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
    else:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_no_delete"))


def test_audit_table_refuses_update_and_delete(session: Session) -> None:
    _record(session, 1)
    for statement in ("UPDATE audit_event SET action = 'x'", "DELETE FROM audit_event"):
        savepoint = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))
        savepoint.rollback()


def test_verify_chain_finds_altered_event(session: Session) -> None:
    events = _record(session, 3)
    _drop_protection(session)
    session.execute(
        text("UPDATE audit_event SET data = :data WHERE id = :id"),
        {"data": '{"n": 99, "text": "één"}', "id": events[1].id},
    )
    session.expire_all()
    result = verify_chain(session)
    assert not result.ok
    assert result.first_bad_id == events[1].id
    assert result.count == 1
    assert "altered" in (result.problem or "")


def test_verify_chain_finds_removed_event(session: Session) -> None:
    events = _record(session, 3)
    _drop_protection(session)
    session.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": events[1].id})
    session.expire_all()
    result = verify_chain(session)
    assert result.first_bad_id == events[2].id
    assert "removed" in (result.problem or "")


def test_every_challenge_change_is_audited(session: Session) -> None:
    challenge = create_challenge(session)
    events = session.scalars(select(AuditEvent).where(AuditEvent.object_id == str(challenge.id))).all()
    assert [(e.action, e.object_type, e.actor_label) for e in events] == [
        ("challenge.create", "challenge", "test"),
        ("challenge.published", "challenge", "test"),
    ]


def test_audit_verify_finds_a_removed_event_whose_successor_was_relinked(
    db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database administrator removes an event and rewrites the next event's link to bridge the gap: every
    link then matches, but the next event's hash covers the link it was recorded with, so verify finds it."""
    with empty_database(db_kind, tmp_path) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        assert CliRunner().invoke(main, ["migrate"], catch_exceptions=False).exit_code == 0
        engine = create_engine(url)
        with Session(engine) as own:
            events = [(e.id, e.prev_hash) for e in _record(own, 4)]
        assert CliRunner().invoke(main, ["audit", "verify"]).output == "Audit chain intact: 4 events.\n"
        removed, successor = events[1], events[2]
        with engine.begin() as connection:
            if db_kind == "postgresql":
                connection.execute(text("DROP TRIGGER audit_event_append_only ON audit_event"))
            else:
                connection.execute(text("DROP TRIGGER audit_event_no_update"))
                connection.execute(text("DROP TRIGGER audit_event_no_delete"))
            connection.execute(text("DELETE FROM audit_event WHERE id = :id"), {"id": removed[0]})
            connection.execute(
                text("UPDATE audit_event SET prev_hash = :prev WHERE id = :id"),
                {"prev": removed[1], "id": successor[0]},
            )
        engine.dispose()
        result = CliRunner().invoke(main, ["audit", "verify"])
    assert result.exit_code == 1
    assert result.output == (
        f"Audit chain broken at event {successor[0]}: the content does not match its hash (the event was altered). "
        "1 events before it are intact.\n"
    )


def test_an_event_whose_data_mimics_the_chain_link_is_hashed_like_any_other(session: Session) -> None:
    """On PostgreSQL the hash is made by ``portal_audit_append`` around the head it reads; data that looks like
    the link (a ``prev`` key, the JSON of a link, a 64-hex string) changes nothing: the Python check agrees."""
    tricky = {"prev": "f" * 64, "text": '"prev":"' + "0" * 64 + '"', "nested": {"prev": None}, "ünï": "\u2028"}
    first = record_event(
        session, actor=ACTOR, action="test.thing", object_type="thing", object_id=1, at=EARLIER, data=tricky
    )
    second = record_event(
        session, actor=ACTOR, action="test.thing", object_type="thing", object_id=2, at=EARLIER, data={"n": 2}
    )
    session.commit()
    assert second.prev_hash == first.hash
    assert session.scalar(select(AuditEvent.hash).where(AuditEvent.id == second.id)) == second.hash
    assert verify_chain(session).ok


def test_appends_from_many_threads_at_once_form_one_chain(db_kind: str, tmp_path: Path) -> None:
    """Appends in concurrent transactions queue for the chain (PostgreSQL: the function's advisory lock; SQLite:
    the write lock): no two events share a predecessor, and the whole chain verifies."""
    with empty_database(db_kind, tmp_path) as url:
        db = migrated_database(url)
        try:

            def append(thread: int) -> None:
                for n in range(8):
                    with db.unit_of_work() as own:
                        record_event(
                            own,
                            actor=ACTOR,
                            action="test.thing",
                            object_type="thing",
                            object_id=thread,
                            at=EARLIER,
                            data={"n": n},
                        )
                        own.commit()

            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(append, range(4)))
            with db.session() as own:
                links = own.scalars(select(AuditEvent.prev_hash)).all()
                result = verify_chain(own)
            assert len(links) == 32
            assert len(set(links)) == 32
            assert result.ok
            assert result.count == 32
        finally:
            db.dispose()
