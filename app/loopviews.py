"""Short views that run on the event loop itself rather than in a worker thread.

FastAPI runs a plain ``def`` view in a worker thread. For a view whose work is a few indexed queries and a
template (the evaluator's queue, proposal, scores and security assessment), the hop there and back, and the
threads taking the interpreter's lock from each other, cost more than the view: measured with
``bench/scoring.py``, the evaluators' pages used about a quarter more CPU in threads than on the loop, and
answered half as many evaluations a second. ``on_event_loop`` marks such a view: it runs on the loop, in one
uninterrupted stretch, with the loop's own connection (``app.database.LoopBinds``). A SQLite database in
memory has no second connection: there every view runs in a worker thread.

What keeps the loop from ever waiting on something that needs the loop:
- its connection is its own: no pooled connection that a request holds across an ``await`` is waited for;
- a reading view waits for no lock (WAL on SQLite, MVCC on PostgreSQL); on PostgreSQL it reads outside a
  transaction (``LoopBinds.read_engine``), no ``BEGIN`` and ``COMMIT`` round trips;
- a writing view (a method other than GET, HEAD and OPTIONS) asks ``pin`` first, and runs in a worker thread
  instead when it is refused. On SQLite ``pin`` takes the writers' turn for the view's whole run, refused when
  anyone holds it (a thread of this process may hold it until the loop closes that thread's session; while
  another process writes, the loop serves other requests rather than wait). On PostgreSQL it is refused while
  any other writing session of this process is open (``OpenWriters``): such a session's locks (a row, the
  audit chain's) may last until the loop ends its transaction. Other processes' writers end theirs without
  this loop; the loop's PostgreSQL connection cancels a statement after 5 seconds all the same;
- the view's session is closed (its transaction ended, the connection and the turn given back) before the
  stretch ends: nothing is held across an ``await``.
Only views with a bounded amount of work belong here: while one runs, the process answers nobody else.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import anyio.to_thread
from sqlalchemy.orm import Session
from starlette.requests import Request

from app.database import Database

READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""The methods whose requests get a reading session (``app.web.get_db``); any other gets the writing bind."""


def on_event_loop(view: Callable[..., Any]) -> Callable[..., Any]:
    """Run ``view`` (a ``def`` taking the request and the request's database session) on the event loop when the
    module's rules allow, in a worker thread otherwise. FastAPI reads the parameters from ``view`` itself."""

    @functools.wraps(view)
    async def run(**kwargs: Any) -> Any:
        request = next((value for value in kwargs.values() if isinstance(value, Request)), None)
        session = next((value for value in kwargs.values() if isinstance(value, Session)), None)
        if request is None or session is None or session.in_transaction():
            return await anyio.to_thread.run_sync(functools.partial(view, **kwargs))
        database: Database = request.app.state.db
        binds = database.on_loop()
        writing = request.method not in READING_METHODS
        if binds is None or (writing and not binds.writers.pin()):
            return await anyio.to_thread.run_sync(functools.partial(view, **kwargs))
        session.bind = binds.write_engine if writing else binds.read_engine
        try:
            return view(**kwargs)
        finally:
            try:
                session.close()
            finally:
                if writing:
                    binds.writers.unpin()

    return run
