"""Being told, in this process, that a transaction which wrote some tables commits (``app.database.Database``
offers it for all of a database's engines)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, event

UNWATCHED = "portal_unwatched"
"""The execution option of a write that ``Database.watch_commits`` callbacks need not hear of."""


def watch_commits(engine: Engine, tables: frozenset[str], callback: Callable[[], None]) -> None:
    """Call ``callback`` when a transaction on ``engine`` that inserted, updated or deleted rows of ``tables``
    commits (before the commit returns), unless those statements carried the ``UNWATCHED`` option."""
    key = f"portal_watch_{id(callback)}"

    @event.listens_for(engine, "after_cursor_execute")
    def _written(connection: Any, _cursor: Any, _sql: str, _params: Any, context: Any, _many: bool) -> None:
        if context is None or not (context.isinsert or context.isupdate or context.isdelete):
            return
        table = getattr(getattr(context.compiled, "statement", None), "table", None)
        if getattr(table, "name", None) in tables and not context.execution_options.get(UNWATCHED):
            connection.info[key] = True

    @event.listens_for(engine, "commit")
    def _committed(connection: Any) -> None:
        if connection.info.pop(key, False):
            callback()

    @event.listens_for(engine, "rollback")
    def _rolled_back(connection: Any) -> None:
        connection.info.pop(key, None)
