"""SQLite's writers wait their turn in a queue of the portal's own, not in SQLite's busy handler.

A writing unit of work on SQLite starts with ``BEGIN IMMEDIATE``, which takes the database's one write lock. A
writer that finds it taken waits in SQLite's busy handler, which sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50
and then 100 ms between tries: it does not wake when the lock is given back. With a few evaluators saving at
once, writers slept while the lock was free and both cores sat a quarter idle. Here a writer first takes this
process's lock (threads wake as soon as it is free), then an exclusive ``flock`` on a file beside the database
shared by every process of the portal (tried again every few tenths of a millisecond, by one thread per process
at most), and only then begins; both are given back when the transaction ends. Nobody waits longer than SQLite's
own busy timeout would have let them: after that the writer is refused like one SQLite found locked.

Sessions that only read are not queued (WAL readers never wait), nor is a reading transaction that goes on to
write (SQLite's busy handler still serves those rare ones).

A writing view that runs on the event loop (``app.loopviews``) takes the turn for its whole run with ``pin``
before it starts, and gives it back with ``unpin`` when it ends, in the same uninterrupted stretch; when the
turn is taken, it runs in a worker thread instead. The loop never waits for a turn: a thread of its own
process may hold one until the loop closes that thread's session.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from typing import Any

from sqlalchemy import Engine, event, make_url
from sqlalchemy.exc import OperationalError

TIMEOUT_SECONDS = 30.0
"""As SQLite's busy timeout (``PRAGMA busy_timeout``): how long a writer waits before it is refused."""
_FIRST_PAUSE = 0.0002
_LONGEST_PAUSE = 0.002


class WriterQueue:
    """The turn of one writing transaction at a time among the threads and processes of one SQLite database."""

    def __init__(self, database: str) -> None:
        self._path = database + "-writers"
        self._thread_lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0
        self._pinned_by: int | None = None  # the thread whose view holds the turn across its transactions

    def _file(self) -> int:
        # One descriptor per process: flock belongs to the open file, which a forked worker must not share with
        # its parent (it would then hold the parent's lock as its own).
        if self._fd is None or self._pid != os.getpid():
            self._fd = os.open(self._path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        timeout = TIMEOUT_SECONDS
        deadline = time.monotonic() + timeout
        if not self._thread_lock.acquire(timeout=timeout):
            raise _locked()
        try:
            self._lock_file(deadline)
        except BaseException:
            self._thread_lock.release()
            raise

    def _lock_file(self, deadline: float) -> None:
        fd = self._file()
        pause = _FIRST_PAUSE
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise _locked() from None
                time.sleep(pause)
                pause = min(pause * 2, _LONGEST_PAUSE)

    def pin(self) -> bool:
        """Take the turn, if it is free this moment, for everything the calling thread writes until ``unpin``:
        False (nothing taken) when another thread or process holds it. It never waits: the event loop calls it,
        and goes to a worker thread rather than wait (another thread of this process may hold the turn until
        the loop ends its session; another process's writer leaves the loop serving others meanwhile)."""
        if not self._thread_lock.acquire(blocking=False):
            return False
        try:
            fcntl.flock(self._file(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self._thread_lock.release()
            return False
        except BaseException:
            self._thread_lock.release()
            raise
        self._pinned_by = threading.get_ident()
        return True

    def unpin(self) -> None:
        self._pinned_by = None
        self.release()

    def release(self) -> None:
        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        self._thread_lock.release()

    def begin_writing(self, connection: Any) -> None:
        """Take the turn for the transaction ``connection`` (SQLAlchemy's) begins, then ``BEGIN IMMEDIATE``.
        A thread that pinned the turn already holds it: its transactions neither take nor give it back."""
        info = connection.connection.info
        if self._pinned_by != threading.get_ident():
            self.acquire()
            info[_HOLDS] = True
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            self.give_back(info)
            raise

    def give_back(self, info: dict[str, Any]) -> None:
        if info.pop(_HOLDS, False):
            self.release()


def _locked() -> OperationalError:
    """What SQLite itself answers a writer after its busy timeout, as SQLAlchemy hands it on."""
    return OperationalError("BEGIN IMMEDIATE", None, sqlite3.OperationalError("database is locked"))


_HOLDS = "portal_writer_turn"  # in a pooled connection's info while its transaction holds the turn


def queue_writers(engine: Engine, database: str, writers: WriterQueue | None = None) -> WriterQueue:
    """The queue of ``engine``'s writers (``writers``, shared with another engine of this process on the same
    file, or a new one). The caller's ``begin`` listener calls ``begin_writing`` for a writing transaction; the
    turn is given back when the transaction ends, however it ends (commit, rollback, the connection found
    broken)."""
    writers = writers or WriterQueue(database)
    dialect = engine.dialect
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def do_commit(dbapi_connection: Any) -> None:
        try:
            commit(dbapi_connection)
        finally:
            writers.give_back(_info(dbapi_connection))

    def do_rollback(dbapi_connection: Any) -> None:
        try:
            rollback(dbapi_connection)
        finally:
            writers.give_back(_info(dbapi_connection))

    dialect.do_commit = do_commit  # type: ignore[method-assign]
    dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    @event.listens_for(engine, "invalidate")
    def _invalidated(_dbapi_connection: Any, record: Any, _exception: Any) -> None:
        writers.give_back(record.info)

    return writers


def _info(dbapi_connection: Any) -> dict[str, Any]:
    """The pool's record info of a connection handed to the dialect (the pool's proxy carries it)."""
    try:
        info = dbapi_connection.info
    except (AttributeError, NotImplementedError):  # a bare driver connection, or the pool's connection being made
        return {}
    return info if isinstance(info, dict) else {}


def sqlite_file(url: str) -> str | None:
    """The file of a SQLite database URL; None for another database, or one in memory or given as a URI."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database
