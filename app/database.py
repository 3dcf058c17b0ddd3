"""Engine, declarative base and the session that each request or command owns.

SQLite gets the pysqlite recipe (the driver's own transaction handling is switched off and BEGIN is
emitted by SQLAlchemy) so SAVEPOINTs work, plus WAL, foreign keys and a busy timeout. A writing unit of
work on SQLite starts with ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, DateTime, Engine, MetaData, create_engine, event
from sqlalchemy import exc as sa_exc
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from app import sqlite_writers
from app.commits import watch_commits

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WRITE_OPTION = "portal_write"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class JSONDocument(TypeDecorator[Any]):
    """JSON, stored as ``jsonb`` on PostgreSQL. The PostgreSQL dialect is imported only when a PostgreSQL
    engine uses the type: a worker on SQLite does not carry it (2 MB per process)."""

    impl = JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        if dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import JSONB

            return dialect.type_descriptor(JSONB())
        return super().load_dialect_impl(dialect)


JSONType = JSONDocument()


def make_engine(url: str, *, writers: sqlite_writers.WriterQueue | None = None, **kwargs: Any) -> Engine:
    """Create an engine with the portal's connection rules for SQLite or PostgreSQL. On a SQLite file,
    ``writers`` is the queue of another engine of this process on the same file, to share (see ``WRITERS``)."""
    if url.startswith("sqlite"):
        _create_private(url)
        connect_args = {"check_same_thread": False, "timeout": 30}
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        queue = _configure_sqlite(engine, writers)
        if queue is not None:
            WRITERS[engine] = queue
        return engine
    engine = create_engine(url, **kwargs)
    _ping_after_idle(engine)
    _end_reads_with_commit(engine)
    return engine


def _create_private(url: str) -> None:
    """A new SQLite database file is created readable by the portal's user only (SQLite gives its journal
    and WAL files the database file's mode)."""
    database = sqlite_writers.sqlite_file(url)
    if database is None:
        return
    path = Path(database)
    if not path.exists() and path.parent.is_dir():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


# A pooled connection unused for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 1.0


def _ping_after_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling that costs nothing under load.

    ``pool_pre_ping`` would ping before every checkout: a network round trip per request and more. A
    connection given back less than ``IDLE_PING_SECONDS`` ago was working then; one that sat idle longer
    (through a database restart, say) is pinged, and a dead one is replaced before anyone uses it (the
    pool retries on ``DisconnectionError``).
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get("checked_in_at")
        if returned is None or time.monotonic() - returned < IDLE_PING_SECONDS:
            return  # just connected, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            raise DisconnectionError() from exc


# The writers' queue of each engine on a SQLite file.
WRITERS: weakref.WeakKeyDictionary[Engine, sqlite_writers.WriterQueue] = weakref.WeakKeyDictionary()


def _configure_sqlite(
    engine: Engine, shared: sqlite_writers.WriterQueue | None = None
) -> sqlite_writers.WriterQueue | None:
    database = engine.url.database
    on_disk = database not in (None, "", ":memory:") and not str(database).startswith("file:")
    writers = sqlite_writers.queue_writers(engine, str(database), shared) if on_disk else None

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        if immediate and writers is not None:
            writers.begin_writing(connection)  # waits its turn, then BEGIN IMMEDIATE
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return writers


def _end_reads_with_commit(engine: Engine) -> None:
    """A PostgreSQL transaction that only read ends with ``COMMIT``, so its connection keeps its prepared statements.

    psycopg prepares a statement on a connection after its fifth use there (PostgreSQL then parses and plans it
    once), but forgets all of them at every ``ROLLBACK`` (it cannot know whether the transaction changed the
    schema). Every page's session ends by closing, which rolls back: no statement ever stayed prepared, and
    PostgreSQL planned the evaluators' largest query anew on every request. A transaction that ran nothing but
    ``SELECT`` has nothing to undo (its row and advisory locks end with either), so it is committed instead;
    one that ran anything else, or failed, is rolled back as before.
    """
    from psycopg.pq import TransactionStatus

    wrote: weakref.WeakSet[Any] = weakref.WeakSet()  # the connections whose transaction ran more than reads

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(_conn: Any, cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("SELECT"):
            wrote.add(cursor.connection)

    dialect = engine.dialect
    rollback, commit = dialect.do_rollback, dialect.do_commit

    def do_rollback(connection: Any) -> None:  # the pool's proxy of psycopg's connection, or that itself
        psycopg_connection = getattr(connection, "dbapi_connection", connection)
        if psycopg_connection in wrote or psycopg_connection.info.transaction_status != TransactionStatus.INTRANS:
            wrote.discard(psycopg_connection)
            rollback(connection)
        else:
            commit(connection)

    def do_commit(connection: Any) -> None:
        wrote.discard(getattr(connection, "dbapi_connection", connection))
        commit(connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]


# SQLite's words for a database file it cannot use at the moment, rather than a statement it refuses.
_SQLITE_UNAVAILABLE = (
    "database is locked",
    "database table is locked",
    "unable to open database file",
    "disk i/o error",
    "database or disk is full",
)


def is_unavailable(error: BaseException) -> bool:
    """Whether a database error means the database cannot be used right now (down, restarting, unreachable,
    the connection lost, every pooled connection busy, the SQLite file locked or its disk full) rather than
    that a statement was wrong: the same request may well succeed a moment later."""
    if isinstance(error, sa_exc.TimeoutError | sa_exc.DisconnectionError):
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):
        message = str(error.orig).lower()
        return isinstance(error, sa_exc.OperationalError) and any(words in message for words in _SQLITE_UNAVAILABLE)
    # PostgreSQL (psycopg): every connection failure, shutdown, restart and cancellation is an OperationalError;
    # a connection found closed is an InterfaceError.
    return isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError)


def dialect_insert(session: Session) -> Any:
    """The ``insert`` construct of the session's database (PostgreSQL's or SQLite's, which have
    ``on_conflict_do_nothing``); each dialect is imported only when a session of it asks."""
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert
    from sqlalchemy.dialects import sqlite

    return sqlite.insert


def insert_unless_present(session: Session, model: type[Base], *, key: str, values: dict[str, Any]) -> None:
    """``INSERT ... ON CONFLICT (key) DO NOTHING`` in one statement, on PostgreSQL and on SQLite."""
    insert = dialect_insert(session)
    session.execute(insert(model).values(**values).on_conflict_do_nothing(index_elements=[key]))


class RawReader:
    """A connection of its own for a one-statement read that runs on nearly every request (the public pages'
    content version): no session, no pool checkout, no transaction left open (SQLite runs it in autocommit by the
    engine's connect hook; on PostgreSQL autocommit is set here). Callers take turns: it is not for two threads
    at once. A connection that failed is thrown away and the next read opens another."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._connection: Any = None

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        connection = self._connection
        if connection is None:
            connection = self._engine.raw_connection()
            driver: Any = connection.driver_connection
            if self._engine.dialect.name == "postgresql":
                driver.autocommit = True
            self._connection = connection
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(sql)
                return list(cursor.fetchall())
            finally:
                cursor.close()
        except Exception:
            self._connection = None
            connection.invalidate()
            raise

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self._engine.dispose()


class Database:
    """The engine pair of one process: a reading bind and a writing bind on the same pool."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **engine_kwargs)
        self.write_engine = self.engine.execution_options(**{WRITE_OPTION: True})
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False)
        self._write = sessionmaker(bind=self.write_engine, expire_on_commit=False)
        # One-statement reads (the session cookie's lookup on every request) need no BEGIN and ROLLBACK
        # around them on PostgreSQL: two round trips fewer. SQLite keeps its own transaction handling.
        self._lookup = sessionmaker(bind=outside_transactions(self.engine), expire_on_commit=False)
        self._reader: RawReader | None = None
        self._loop: LoopBinds | None = None
        self._watches: list[tuple[frozenset[str], Callable[[], None]]] = []
        self.writing = OpenWriters()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, *, write: bool = False) -> Session:
        return (self._write if write else self._read)()

    def lookup_session(self) -> Session:
        """A session for a single read statement: on PostgreSQL it runs outside a transaction."""
        return self._lookup()

    def on_loop(self) -> LoopBinds | None:
        """The event loop's own binds (None for a SQLite database in memory)."""
        if self._loop is None:
            if self.dialect == "postgresql":
                self._loop = LoopBinds(_bounded_waits(make_engine(self.url, **_LOOP_POSTGRESQL)), self.writing)
            else:
                writers = WRITERS.get(self.engine)
                if writers is None:
                    return None
                self._loop = LoopBinds(make_engine(self.url, writers=writers, **_LOOP_POOL), writers)
            for tables, callback in self._watches:
                watch_commits(self._loop.engine, tables, callback)
        return self._loop

    def watch_commits(self, tables: frozenset[str], callback: Callable[[], None]) -> None:
        """Call ``callback`` when a transaction of this process that inserted, updated or deleted rows of
        ``tables`` commits, before the commit returns (statements with the ``UNWATCHED`` option aside)."""
        self._watches.append((tables, callback))
        watch_commits(self.engine, tables, callback)
        if self._loop is not None:
            watch_commits(self._loop.engine, tables, callback)

    def reader(self) -> RawReader:
        """This process's connection for tiny, frequent reads (see ``RawReader``), outside the pool: it never
        takes a connection that requests wait for."""
        if self._reader is None:
            self._reader = RawReader(make_engine(self.url, poolclass=NullPool))
        return self._reader

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """A writing session for a command; the caller commits, anything else is rolled back."""
        session = self.session(write=True)
        self.writing.opened()
        try:
            yield session
        finally:
            try:
                session.close()
            finally:
                self.writing.closed()

    def dispose(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._loop is not None:
            self._loop.engine.dispose()
            self._loop = None
        self.engine.dispose()


_LOOP_POOL: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 1}
_LOOP_POSTGRESQL: dict[str, Any] = {**_LOOP_POOL, "connect_args": {"connect_timeout": 2}}
LOOP_STATEMENT_TIMEOUT_MS = 5000
"""How long a statement of the loop's own PostgreSQL connection may run, or wait for a lock, before it is
cancelled (and the request answered "try again"): the loop answers nobody else meanwhile."""


def _bounded_waits(engine: Engine) -> Engine:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute(f"SET statement_timeout = {LOOP_STATEMENT_TIMEOUT_MS}")
        dbapi_connection.commit()  # a SET rolled back with its transaction would be undone

    return engine


class OpenWriters:
    """The writing sessions of this process open (``app.web.get_db`` and ``Database.unit_of_work`` count them).
    On PostgreSQL the event loop runs a writing view only when its own session is the one open (``pin``), so that
    no transaction of this process that waits for the loop to end it can hold a lock the view would wait for
    (``app.loopviews``). ``pin`` and ``unpin`` as SQLite's ``WriterQueue``'s."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def opened(self) -> None:
        with self._lock:
            self.count += 1

    def closed(self) -> None:
        with self._lock:
            self.count -= 1

    def pin(self) -> bool:
        return self.count == 1

    def unpin(self) -> None:
        pass


def outside_transactions(engine: Engine) -> Engine:
    """The engine for reads without ``BEGIN`` and ``COMMIT`` around them: AUTOCOMMIT on PostgreSQL (READ COMMITTED
    gives each statement its own snapshot anyway); SQLite keeps its own transaction handling."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine


class LoopBinds:
    """Where the views that run on the event loop read and write (``app.loopviews``): an engine of their own,
    one connection that only the loop uses, so the loop never waits for a pooled connection a request holds
    across an ``await``; ``writers`` says when a writing view may run there (on SQLite the writers' queue it
    shares with the process's other writers, on PostgreSQL the count of open writing sessions). On PostgreSQL
    the connection gives up connecting after 2 seconds and cancels a statement after 5
    (``LOOP_STATEMENT_TIMEOUT_MS``), and the session lookup and the reading views run outside a transaction
    (``read_engine``): under PostgreSQL's READ COMMITTED each statement sees the rows committed when it starts,
    in a transaction or not, so a page that only reads gains nothing from one but its ``BEGIN`` and ``COMMIT``,
    two round trips on the loop. If a session was left open the next checkout fails within a second rather than
    stopping the loop."""

    def __init__(self, engine: Engine, writers: sqlite_writers.WriterQueue | OpenWriters) -> None:
        self.engine = engine
        self.write_engine = engine.execution_options(**{WRITE_OPTION: True})
        self.writers = writers
        self.read_engine = outside_transactions(engine)
        self._lookup = sessionmaker(bind=self.read_engine, expire_on_commit=False)

    def lookup_session(self) -> Session:
        return self._lookup()
