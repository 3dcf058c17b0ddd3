"""The public content's version, read from the database for every cached request, and its stage times.

Exactness needs a read that starts after the request arrived: a coordinator's change is committed before any
visitor can ask for the page it changed, so such a read sees its version. On SQLite the read is a few
microseconds on a connection of this process's own, done on the event loop. On PostgreSQL it is a network round
trip, done in a thread; requests that arrive while one read is under way share the next one (each gets a read
that started after it arrived, and a burst of requests costs one query, not one each).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import anyio
import anyio.to_thread

from app.pagecache.timeline import parse_instant


class Reader(Protocol):
    def rows(self, sql: str) -> list[tuple[Any, ...]]: ...


class VersionUnknown(Exception):
    """The version row could not be read (no such table or row yet): the request is served without the cache."""


@dataclass(frozen=True)
class Content:
    version: int
    instants: tuple[datetime, ...]


class ContentWatch:
    """Reads the version (``version_sql``: one row, one column) and, once per version, the stage times that
    decide when a page turns (``timeline_sql``: the version, then any number of timestamps per row)."""

    def __init__(self, *, version_sql: str, timeline_sql: str) -> None:
        self.version_sql = version_sql
        self.timeline_sql = timeline_sql
        self._content: Content | None = None
        self._limiter: anyio.CapacityLimiter | None = None
        self._next: asyncio.Future[int] | None = None
        self._draining: asyncio.Task[None] | None = None

    async def content(self, db: Any) -> Content:
        """The version now, with the stage times of that version."""
        version = await self.version(db)
        known = self._content
        if known is not None and known.version == version:
            return known
        rows = await self._run(db, lambda: db.reader().rows(self.timeline_sql))
        if not rows:
            raise VersionUnknown()
        instants = sorted({instant for row in rows for value in row[1:] if (instant := parse_instant(value))})
        self._content = Content(int(rows[0][0]), tuple(instants))
        return self._content

    async def version(self, db: Any) -> int:
        if db.dialect == "sqlite":
            return self._read_version(db)
        if self._next is None:
            self._next = asyncio.get_running_loop().create_future()
            if self._draining is None:
                self._draining = asyncio.get_running_loop().create_task(self._drain(db))
        return await asyncio.shield(self._next)

    def _read_version(self, db: Any) -> int:
        rows = db.reader().rows(self.version_sql)
        if not rows:
            raise VersionUnknown()
        return int(rows[0][0])

    async def _drain(self, db: Any) -> None:
        """Read for everyone waiting; whoever arrives meanwhile waits for the next read."""
        try:
            while self._next is not None:
                waiting, self._next = self._next, None
                try:
                    version = await self._run(db, lambda: self._read_version(db))
                except Exception as error:
                    waiting.set_exception(error)
                    waiting.exception()  # retrieved here too: a caller may have gone
                else:
                    waiting.set_result(version)
        finally:
            self._draining = None

    async def _run(self, db: Any, read: Callable[[], Any]) -> Any:
        if db.dialect == "sqlite":
            return read()
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(1)  # one reader connection: one read at a time
        return await anyio.to_thread.run_sync(read, limiter=self._limiter)
