"""Recording and verifying audit events. Every state change in the portal calls ``record_event``."""

from __future__ import annotations

import secrets
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, func, select, text
from sqlalchemy.orm import Session, make_transient_to_detached

from app.audit.models import AuditEvent, PublishedHead
from app.canonical import canonical_json, sha256_hex
from app.database import JSONType, UTCDateTime

GENESIS_HASH = "0" * 64
# What a security event keeps of a typed identifier (an e-mail address tried at login): at most this many characters.
SECURITY_TEXT_CAP = 254
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


def _event_hash(*, prev_hash: str, **fields: Any) -> str:
    return sha256_hex(canonical_json(_hashed_payload(prev_hash=prev_hash, **fields)))


def _hashed_payload(
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
) -> dict[str, Any]:
    """What an event's hash covers: its fields and the previous event's hash."""
    return {
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


# Built once (their cache keys derived once): every state change of every object appends to the chain.
_HEAD_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
# On PostgreSQL one function (migration 0036) takes the chain's lock, reads the head and inserts: one round trip
# under a lock held to the commit. The leading comment keeps the call from passing for a read
# (``app.database``: a transaction of nothing but SELECTs ends with COMMIT even when rolled back).
_APPEND = text(
    "/* appends */ SELECT event_id, event_prev_hash, event_hash FROM portal_audit_append(:key, :genesis, :before, "
    ":after, :occurred_at, :actor_id, :actor_label, :action, :object_type, :object_id, :ip, :data)"
).bindparams(bindparam("occurred_at", type_=UTCDateTime()), bindparam("data", type_=JSONType))


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

    On PostgreSQL a transaction-scoped advisory lock serialises appends (taken by ``portal_audit_append``); on
    SQLite the writing session already holds the write lock from ``BEGIN IMMEDIATE``.
    """
    fields: dict[str, Any] = {
        "occurred_at": at,
        "actor_id": actor.user_id,
        "actor_label": actor.label,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "ip": actor.ip,
        "data": _jsonable(data or {}),
    }
    if session.get_bind().dialect.name == "postgresql":
        return _append_in_postgresql(session, fields)
    prev_hash = session.scalar(_HEAD_HASH) or GENESIS_HASH
    event = AuditEvent(**fields, prev_hash=prev_hash, hash=_event_hash(prev_hash=prev_hash, **fields))
    session.add(event)
    session.flush()
    return event


def _append_in_postgresql(session: Session, fields: dict[str, Any]) -> AuditEvent:
    """The event inserted by ``portal_audit_append``, then known to the session as the row it is.

    The function hashes the canonical JSON of the event around the head it reads: the JSON is made here with a
    random stand-in for ``prev`` and split there (keys are unique, and nobody can have put the stand-in in the
    event's data beforehand)."""
    session.flush()  # the caller's own changes first: the event is the transaction's last statement under the lock
    stand_in = secrets.token_hex(16)
    before, found, after = canonical_json(_hashed_payload(prev_hash=stand_in, **fields)).partition(
        f'"prev":"{stand_in}"'
    )
    if not found:  # the payload's shape changed without this function
        raise RuntimeError("the canonical JSON of an event must hold its previous hash as a top-level string")
    row = session.execute(
        _APPEND,
        {"key": _CHAIN_LOCK_KEY, "genesis": GENESIS_HASH, "before": before + '"prev":"', "after": '"' + after} | fields,
    ).one()
    event = AuditEvent(id=row.event_id, **fields, prev_hash=row.event_prev_hash, hash=row.event_hash)
    make_transient_to_detached(event)
    session.add(event)
    return event


def record_security_event(
    session: Session,
    *,
    action: str,
    actor: Actor,
    object_type: str,
    object_id: str | int,
    at: datetime,
    **typed: str,
) -> AuditEvent:
    """A refused login, second factor or read of sealed content, appended to the chain like any event.

    ``typed`` holds only identifiers as the visitor typed them (the e-mail address tried), each capped at
    ``SECURITY_TEXT_CAP`` characters; never a password or a code.
    """
    data = {name: value[:SECURITY_TEXT_CAP] for name, value in typed.items()}
    return record_event(
        session, actor=actor, action=action, object_type=object_type, object_id=object_id, at=at, data=data
    )


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    # Round-trip through canonical JSON so what is hashed equals what the database gives back.
    import json

    result: dict[str, Any] = json.loads(canonical_json(data))
    return result


@dataclass(frozen=True)
class ChainHead:
    """The number of events in the chain and the hash of the newest: ``COUNT:HASH`` when written out."""

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"

    @classmethod
    def parse(cls, value: str) -> ChainHead:
        """``COUNT:HASH`` as printed by ``portal audit head``; ValueError when it is not that."""
        count, separator, digest = value.strip().partition(":")
        digest = digest.lower()
        if (
            not separator
            or not count.isdigit()
            or len(digest) != 64
            or any(char not in "0123456789abcdef" for char in digest)
        ):
            raise ValueError("a head is COUNT:HASH, the number of events and a 64-character SHA-256 in hex")
        if int(count) == 0 and digest != GENESIS_HASH:
            raise ValueError(f"the head of an empty chain is 0:{GENESIS_HASH}")
        return cls(int(count), digest)


@dataclass(frozen=True)
class VerifyResult:
    count: int
    first_bad_id: int | None
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify_chain(session: Session, *, head: ChainHead | None = None) -> VerifyResult:
    """Walk the chain in order; report the first event whose link or content does not match.

    With ``head`` (a head published earlier) the chain must also still hold that head's hash as its
    ``count``-th event: a chain cut back below it, or cut and grown again, fails.
    """
    prev_hash = GENESIS_HASH
    count = 0
    for event in _iter_events(session):
        problem = _event_problem(event, prev_hash)
        if problem is not None:
            return VerifyResult(count, event.id, problem)
        prev_hash = event.hash
        count += 1
        if head is not None and count == head.count and event.hash != head.hash:
            return VerifyResult(
                count, None, f"event number {count} is not the published head {head}: the chain was cut and rewritten"
            )
    if head is not None and count < head.count:
        return VerifyResult(
            count, None, f"the chain has {count} events, fewer than the published head {head}: events were cut off"
        )
    return VerifyResult(count, None, None)


def _event_problem(event: AuditEvent, prev_hash: str) -> str | None:
    if event.prev_hash != prev_hash:
        return "the link to the previous event is broken (an event was removed)"
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
        return "the content does not match its hash (the event was altered)"
    return None


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


def latest_event(session: Session, *, action: str, object_type: str, object_id: str | int) -> AuditEvent | None:
    """The newest event of one action about one object."""
    return session.scalar(_events_query(action, object_type, [object_id]).order_by(AuditEvent.id.desc()).limit(1))


def events_about(
    session: Session, *, action: str, object_type: str, object_ids: Collection[str | int]
) -> list[AuditEvent]:
    """The events of one action about the given objects, in the order they were appended."""
    return list(session.scalars(_events_query(action, object_type, object_ids).order_by(AuditEvent.id)))


def _events_query(action: str, object_type: str, object_ids: Collection[str | int]) -> Select[AuditEvent]:
    return select(AuditEvent).where(
        AuditEvent.action == action,
        AuditEvent.object_type == object_type,
        AuditEvent.object_id.in_([str(object_id) for object_id in object_ids]),
    )


# --- the published head ---------------------------------------------------------------------------


def chain_head(session: Session) -> ChainHead:
    """The chain's head now: how many events it has and the newest one's hash (the genesis hash when empty)."""
    newest = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    if newest is None:
        return ChainHead(0, GENESIS_HASH)
    return ChainHead(_count_up_to(session, newest.id), newest.hash)


def _count_up_to(session: Session, event_id: int) -> int:
    # Appends are serialised and take ids in chain order, so the events up to an id are the chain up to it.
    return session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.id <= event_id)) or 0


def publish_head(session: Session, *, event: AuditEvent, data: dict[str, Any]) -> PublishedHead:
    """Keep the head as it stands at ``event`` (just recorded by the caller) for the public to copy.

    Called in the transaction of the publication itself (a Nota version, a decision release), right after
    its audit event, so the published head is that event. ``data`` says what was published (public text).
    """
    head = PublishedHead(
        published_at=event.occurred_at,
        occasion=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        event_id=event.id,
        event_count=_count_up_to(session, event.id),
        head_hash=event.hash,
        data=_jsonable(data),
    )
    session.add(head)
    session.flush()
    return head


def published_head(session: Session, *, occasion: str, object_type: str, object_id: str | int) -> PublishedHead | None:
    """The head published at one occasion for one object (a Nota version, a stage's release), if any."""
    return session.scalar(
        select(PublishedHead)
        .where(
            PublishedHead.occasion == occasion,
            PublishedHead.object_type == object_type,
            PublishedHead.object_id == str(object_id),
        )
        .order_by(PublishedHead.id.desc())
        .limit(1)
    )


def list_published_heads(session: Session, *, limit: int = 500) -> list[PublishedHead]:
    """The published heads, newest first."""
    return list(session.scalars(select(PublishedHead).order_by(PublishedHead.id.desc()).limit(limit)))
