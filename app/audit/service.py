"""Recording and verifying audit events. Every state change in the portal calls ``record_event``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.audit.models import AuditEvent
from app.canonical import canonical_json, sha256_hex

GENESIS_HASH = "0" * 64
# Any fixed number works; it names the lock that serialises appends to the chain on PostgreSQL.
_CHAIN_LOCK_KEY = 7_346_001


@dataclass(frozen=True)
class Actor:
    """Who caused a change: a user, or an operator at the command line, and from which address."""

    user_id: int | None
    label: str
    ip: str | None = None

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user_id=None, label=label)


def _event_hash(
    *,
    prev_hash: str,
    occurred_at: datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    ip: str | None,
    data: dict[str, Any],
) -> str:
    payload = {
        "prev": prev_hash,
        "at": occurred_at.isoformat(),
        "actor_id": actor_id,
        "actor": actor_label,
        "action": action,
        "type": object_type,
        "id": object_id,
        "ip": ip,
        "data": data,
    }
    return sha256_hex(canonical_json(payload))


def record_event(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: str | int,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain within the caller's transaction (the caller commits).

    On PostgreSQL a transaction-scoped advisory lock serialises appends; on SQLite the writing session
    already holds the write lock from ``BEGIN IMMEDIATE``.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK_KEY})
    prev_hash = session.scalar(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)) or GENESIS_HASH
    clean = _jsonable(data or {})
    fields: dict[str, Any] = {
        "occurred_at": at,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "ip": actor.ip,
        "data": clean,
    }
    event = AuditEvent(**fields, prev_hash=prev_hash, hash=_event_hash(prev_hash=prev_hash, **fields))
    session.add(event)
    session.flush()
    return event


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through canonical JSON so what is hashed equals what the database gives back.
    import json

    result: dict[str, Any] = json.loads(canonical_json(data))
    return result


@dataclass(frozen=True)
class VerifyResult:
    count: int
    first_bad_id: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.first_bad_id is None


def verify_chain(session: Session) -> VerifyResult:
    """Walk the chain in order; report the first event whose link or content does not match."""
    prev_hash = GENESIS_HASH
    count = 0
    for event in _iter_events(session):
        if event.prev_hash != prev_hash:
            return VerifyResult(count, event.id, "the link to the previous event is broken (an event was removed)")
        expected = _event_hash(
            prev_hash=event.prev_hash,
            occurred_at=event.occurred_at,
            actor_id=event.actor_id,
            actor_label=event.actor_label,
            action=event.action,
            object_type=event.object_type,
            object_id=event.object_id,
            ip=event.ip,
            data=event.data,
        )
        if expected != event.hash:
            return VerifyResult(count, event.id, "the content does not match its hash (the event was altered)")
        prev_hash = event.hash
        count += 1
    return VerifyResult(count, None, None)


def _iter_events(session: Session) -> Iterator[AuditEvent]:
    yield from session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=500))


def list_events(
    session: Session, *, object_type: str | None = None, object_id: str | None = None, limit: int = 50
) -> list[AuditEvent]:
    """The newest events, optionally for one object."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit)
    if object_type is not None:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == object_id)
    return list(session.scalars(query))
