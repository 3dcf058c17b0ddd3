"""Session lookups kept in each worker, dropped the moment any process changes what they hold.

Nearly every request carries a session cookie, and looking it up was a fifth of the CPU an evaluator's page
cost (a statement, a round trip, the database server's share). ``SessionCache`` keeps, per token hash, the
``SessionRecord`` last read, for as long as it is certainly still what the database holds:

- the database says when it changes. Triggers on ``auth_session``, ``user_account`` and ``user_role``
  (migration 0039) send ``NOTIFY portal_auth`` with their schema and the user's id when a transaction that ended a session,
  gave a second factor, switched the organisation acted for, changed an account (blocked, deactivated,
  erased, renamed) or granted or revoked a role commits, whichever process or command made the change, even
  by hand in ``psql``. Each worker listens on a connection of its own (``keep_listening``) and forgets the
  user's lookups when told. Only the once-a-minute stamp of a session's last activity is not announced;
- a worker does not wait for its own announcement: a commit of this process that wrote those tables drops
  every lookup it keeps before the commit returns (``app.database.Database.watch_commits``), so the request
  after a logout, a block or a revoked role is never answered from before it;
- the cache is used only while the listening connection is up. Until ``LISTEN`` is in place, and from the
  moment the connection fails until it is back, every request looks its session up as before and nothing is
  kept; the lookups kept before a failure are dropped;
- a lookup read while an announcement arrived is not kept (``generation``): it may be from before the change;
- a record is served only while it is live and its last activity is less than ``TOUCH_INTERVAL`` old: past
  that the request reads the database again (and stamps the activity), so a record is never older than a
  minute even if an announcement were lost;
- only live sessions are kept, at most ``limit`` (the least recently used go first): unknown or ended tokens
  are looked up each time, so random cookies fill nothing.

Between a commit elsewhere and its announcement arriving (well under a millisecond on a quiet machine) a
request may still be answered with the session as it was: as if it had come in a moment earlier.

On SQLite (one machine, the embedded default) there is nothing to listen to: triggers raise a counter,
``auth_version``, in the transaction of any such change (migration 0040; the activity stamp too), and every
request reads it first (``SQLiteAuthVersion``, one row on a connection of the cache's own). When it moved, the
worker drops everything it keeps. A database in memory has no cache.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from datetime import datetime
from typing import Any

from sqlalchemy import make_url

from app.accounts.sessions import TOUCH_INTERVAL, SessionRecord

CHANNEL = "portal_auth"
SESSION_TABLES = frozenset({"auth_session", "user_account", "user_role"})
"""The tables whose committed changes drop this process's records (its own commits; others' are announced)."""
RETRY_SECONDS = 1.0
LIMIT = 5_000
"""Records kept at most per worker (about 2 KB each: some 10 MB at most); a record is served only within a
minute of its session's last activity, so this many sessions active within one minute of each other."""
# Keepalives on the listening connection: a server that vanished without closing it is noticed within about
# 15 seconds (and the cache stops being used), not only when the operating system gives up after hours.
KEEPALIVES: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}

log = logging.getLogger("portal.sessions")


class SessionCache:
    """Live session records by token hash, for one process; safe to use from the loop and worker threads."""

    def __init__(self, limit: int = LIMIT, *, version: SQLiteAuthVersion | None = None) -> None:
        self.limit = limit
        self._records: OrderedDict[str, SessionRecord] = OrderedDict()
        self._by_user: dict[int, set[str]] = {}
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        self._version = version  # SQLite: the counter read on every request instead of listening
        self._seen_version: int | None = None

    @property
    def listening(self) -> bool:
        return self._listening

    @property
    def generation(self) -> int:
        """Changes whenever records are dropped: read it before a lookup, give it to ``keep``."""
        return self._generation

    def __len__(self) -> int:
        return len(self._records)

    def get(self, token_hash: str, *, now: datetime) -> SessionRecord | None:
        """The record kept for the token, if the cache is in use and the record's last activity is recent. On
        SQLite the counter is read first, and everything kept is dropped when it moved."""
        if not self._listening or (self._version is not None and not self._version_stands()):
            return None
        with self._lock:
            record = self._records.get(token_hash)
            if record is None:
                return None
            if now - record.session["last_seen_at"] >= TOUCH_INTERVAL or now >= record.session["expires_at"]:
                self._remove(token_hash, record)
                return None
            self._records.move_to_end(token_hash)
            return record

    def keep(self, token_hash: str, record: SessionRecord, *, generation: int, now: datetime) -> None:
        """Keep a live record read after ``generation`` was read, unless records were dropped since or its
        last activity is already due to be stamped."""
        if now - record.session["last_seen_at"] >= TOUCH_INTERVAL:
            return
        with self._lock:
            if not self._listening or generation != self._generation:
                return
            previous = self._records.pop(token_hash, None)
            if previous is not None:
                self._remove(token_hash, previous)
            self._records[token_hash] = record
            self._by_user.setdefault(record.user_id, set()).add(token_hash)
            while len(self._records) > self.limit:
                oldest, dropped = self._records.popitem(last=False)
                self._remove(oldest, dropped)

    def forget_user(self, user_id: int) -> None:
        """Drop the user's records (their sessions, account or roles changed)."""
        with self._lock:
            self._generation += 1
            for token_hash in self._by_user.pop(user_id, ()):
                self._records.pop(token_hash, None)

    def forget_all(self) -> None:
        self._drop_all()

    def start(self) -> None:
        """The listening connection is in place: from now on records may be kept and served."""
        self._drop_all(listening=True)

    def stop(self) -> None:
        """The listening connection is gone: nothing is served or kept until it is back."""
        self._drop_all(listening=False)

    def _drop_all(self, *, listening: bool | None = None) -> None:
        """Drop every record; ``listening`` (when given) says whether the cache is in use from now on."""
        with self._lock:
            self._generation += 1
            self._records.clear()
            self._by_user.clear()
            if listening is not None:
                self._listening = listening

    def _version_stands(self) -> bool:
        """Read SQLite's counter: when it moved (or cannot be read), drop everything kept."""
        assert self._version is not None
        version = self._version.read()
        if version is None or version != self._seen_version:
            self.forget_all()
            self._seen_version = version
        return version is not None

    def _remove(self, token_hash: str, record: SessionRecord) -> None:  # the lock is held
        self._records.pop(token_hash, None)
        tokens = self._by_user.get(record.user_id)
        if tokens is not None:
            tokens.discard(token_hash)
            if not tokens:
                del self._by_user[record.user_id]


class SQLiteAuthVersion:
    """``auth_version``'s counter (migration 0040's triggers raise it with every change to sessions, accounts and
    roles) read on a connection of its own, outside any transaction: a few microseconds. Opened in the process
    that reads (a connection never crosses a fork); a failed read gives None and the next one reconnects."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pid = 0

    def read(self) -> int | None:
        with self._lock:
            try:
                if self._connection is None or self._pid != os.getpid():
                    self._connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
                    self._pid = os.getpid()
                row = self._connection.execute("SELECT version FROM auth_version WHERE id = 1").fetchone()
            except sqlite3.Error:
                self._connection = None
                return None
        return int(row[0]) if row else None


def conninfo(database_url: str) -> str:
    """libpq's connection string for a SQLAlchemy PostgreSQL URL (``postgresql+psycopg://...``)."""
    url = make_url(database_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


async def keep_listening(database_url: str, cache: SessionCache) -> None:
    """Listen for ``portal_auth`` until cancelled, reconnecting ``RETRY_SECONDS`` after a failure; the cache is in
    use only while this listens. (psycopg is imported here: a worker on SQLite never loads it.)"""
    import psycopg

    target = conninfo(database_url)
    failed_before = False
    while True:
        try:
            async with await psycopg.AsyncConnection.connect(target, autocommit=True, **KEEPALIVES) as connection:
                schema = await (await connection.execute("SELECT current_schema()")).fetchone()
                await connection.execute(f"LISTEN {CHANNEL}")
                cache.start()
                if failed_before:
                    log.warning("listening for session changes again: session lookups are kept again")
                failed_before = False
                async for notice in connection.notifies():
                    _heard(cache, notice.payload, schema=schema[0] if schema else None)
        except asyncio.CancelledError:
            cache.stop()
            raise
        except Exception as error:  # the server went away, restarted or refused: look sessions up meanwhile
            if not failed_before:
                log.warning("not listening for session changes (%s): every request looks its session up", error)
            failed_before = True
        cache.stop()
        await asyncio.sleep(RETRY_SECONDS)


def _heard(cache: SessionCache, payload: str, *, schema: str | None) -> None:
    """A notice "schema:user id" (migration 0039): the user's records go, unless it is another schema's."""
    where, _, user = payload.rpartition(":")
    if not where or not user.isdigit():  # not from the triggers: drop everything rather than guess
        cache.forget_all()
    elif where == schema:
        cache.forget_user(int(user))
