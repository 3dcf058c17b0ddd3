"""Reading the audit trail for administrators: events filtered by object, actor, action and a range of days
(Europe/Amsterdam), newest first, a page at a time by event id (keyset: a page never shifts while events are
appended), and the same events as CSV, streamed in batches and capped at ``EXPORT_LIMIT`` rows.

The events are append-only and keep the e-mail address their actor had; an account deleted since
(``user_account.deleted_at``, see ``app.accounts.privacy``) is shown as "deleted user" with its number, in the
page and the CSV, and a search by e-mail address no longer finds its events (its number still does)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.models import AuditEvent
from app.canonical import canonical_json
from app.clock import local_to_utc
from app.evaluations.results.exports import safe_cell

EXPORT_LIMIT = 100_000
EXPORT_BATCH = 1_000
CSV_HEADER = ("id", "occurred_at", "actor_id", "actor", "ip", "action", "object_type", "object_id", "data", "hash")


@dataclass(frozen=True)
class EventFilter:
    """What an administrator asked for; ``None`` matches everything. ``action`` ending in ``*`` is a prefix."""

    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class EventPage:
    events: list[AuditEvent]
    newer: int | None  # the ``after`` cursor of the page before (newer events), if any
    older: int | None  # the ``before`` cursor of the page after (older events), if any
    deleted: frozenset[int] = frozenset()  # the actors on this page whose account was deleted


def deleted_actors(session: Session, events: list[AuditEvent]) -> frozenset[int]:
    """The ids of the events' actors whose account was deleted."""
    ids = {event.actor_id for event in events if event.actor_id is not None}
    if not ids:
        return frozenset()
    return frozenset(session.scalars(select(User.id).where(User.id.in_(ids), User.deleted_at.is_not(None))))


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _day_start(day: date) -> datetime:
    return local_to_utc(datetime.combine(day, time()))


def filtered(wanted: EventFilter) -> Select[AuditEvent]:
    """The events that match, in no particular order."""
    query = select(AuditEvent)
    if wanted.object_type:
        query = query.where(AuditEvent.object_type == wanted.object_type)
    if wanted.object_id:
        query = query.where(AuditEvent.object_id == wanted.object_id)
    if wanted.actor:
        actor = wanted.actor.strip()
        if actor.isdigit():
            query = query.where(AuditEvent.actor_id == int(actor))
        else:
            pattern = "%" + _like(actor.lower()) + "%"
            deleted = select(User.id).where(User.deleted_at.is_not(None))
            query = query.where(
                func.lower(AuditEvent.actor_label).like(pattern, escape="\\"),
                AuditEvent.actor_id.is_(None) | AuditEvent.actor_id.not_in(deleted),
            )
    if wanted.action:
        if wanted.action.endswith("*"):
            query = query.where(AuditEvent.action.like(_like(wanted.action[:-1]) + "%", escape="\\"))
        else:
            query = query.where(AuditEvent.action == wanted.action)
    if wanted.date_from:
        query = query.where(AuditEvent.occurred_at >= _day_start(wanted.date_from))
    if wanted.date_to:
        query = query.where(AuditEvent.occurred_at < _day_start(wanted.date_to + timedelta(days=1)))
    return query


def list_page(
    session: Session, *, wanted: EventFilter, before: int | None = None, after: int | None = None, size: int = 50
) -> EventPage:
    """One page of matching events, newest first: older than ``before``, or the page just newer than ``after``."""
    query = filtered(wanted)
    if after is not None and before is None:
        rows = list(session.scalars(query.where(AuditEvent.id > after).order_by(AuditEvent.id).limit(size + 1)))
        more_newer = len(rows) > size
        events = list(reversed(rows[:size]))
        newer = events[0].id if more_newer and events else None
        older = events[-1].id if events else None
        return EventPage(events, newer, older, deleted_actors(session, events))
    if before is not None:
        query = query.where(AuditEvent.id < before)
    rows = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(size + 1)))
    events = rows[:size]
    older = events[-1].id if len(rows) > size else None
    newer = events[0].id if before is not None and events else None
    return EventPage(events, newer, older, deleted_actors(session, events))


def _csv_line(event: AuditEvent, deleted: frozenset[int], deleted_label: str) -> list[str]:
    cells = [
        str(event.id),
        event.occurred_at.isoformat(),
        "" if event.actor_id is None else str(event.actor_id),
        deleted_label if event.actor_id in deleted else event.actor_label,
        event.ip or "",
        event.action,
        event.object_type,
        event.object_id,
        canonical_json(event.data),
        event.hash,
    ]
    return [safe_cell(cell) for cell in cells]


def export_csv(
    open_session: Callable[[], Session],
    *,
    wanted: EventFilter,
    deleted_label: str = "deleted user",
    limit: int = EXPORT_LIMIT,
) -> Iterator[str]:
    """The matching events as CSV text, newest first, in chunks of ``EXPORT_BATCH`` rows, each batch read in a
    short session of its own (a download never holds a connection while the client reads); at most ``limit``
    rows; a deleted account's actor as ``deleted_label``. Every cell is made safe against spreadsheet formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_HEADER)
    before: int | None = None
    written = 0
    while written < limit:
        query = filtered(wanted)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        batch_size = min(EXPORT_BATCH, limit - written)
        session = open_session()
        try:
            events = list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(batch_size)))
            deleted = deleted_actors(session, events)
            for event in events:
                writer.writerow(_csv_line(event, deleted, deleted_label))
        finally:
            session.close()
        written += len(events)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(events) < batch_size:
            return
        before = events[-1].id
