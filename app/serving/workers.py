"""The worker class gunicorn's arbiter forks: uvicorn's, with these changes.

- The client's address stays the connection's. uvicorn would otherwise rewrite it from ``X-Forwarded-For`` for
  connections from 127.0.0.1 (``FORWARDED_ALLOW_IPS``) before the portal sees the request, and a local client
  could choose the address that login throttling and the audit trail count it against. The portal reads
  ``X-Forwarded-For`` itself, only from the proxies in ``PORTAL_TRUSTED_PROXIES`` (``app.security.clients``).
- It tells the arbiter when it serves (``READY_MODE``), so a reload retires the old workers only then.
- A connection accepted just before the worker is told to stop (SIGTERM, a reload, recycling) is answered.
  uvicorn's graceful shutdown closes every connection without a request in progress, including one the worker
  accepted a moment before whose request it has not read yet: the client, which did nothing wrong, would see
  its connection dropped. Such a connection serves its first request (and closes after it) unless nothing
  arrives within ``FIRST_REQUEST_SECONDS``.
- A keep-alive connection is closed after ``REQUESTS_PER_CONNECTION`` requests, so that long-lived connections
  spread over the workers again.

Importing this module imports nothing of the portal: the arbiter loads it, the workers load the portal."""

from __future__ import annotations

import asyncio
import os
from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _Protocol
except ImportError:  # pragma: no cover - httptools is in the lock; uvicorn's "auto" falls back the same way
    from uvicorn.protocols.http.h11_impl import H11Protocol as _Protocol  # type: ignore[assignment]

READY_MODE = 0o400
"""The permission bits a worker gives its heartbeat file once it serves: how the arbiter's reload knows."""
FIRST_REQUEST_SECONDS = 5.0
"""How long a stopping worker waits for the first request on a connection it accepted just before it stopped."""
REQUESTS_PER_CONNECTION = 100
"""A keep-alive connection is closed after answering this many requests (``Connection: close``; nginx's
``keepalive_requests``). The workers share one listening socket and a connection stays with the worker that
accepted it: a few busy connections that all landed on one worker kept it at a full core while the other
idled. Opening anew, a client mostly lands on the worker that is free to accept it."""


class FirstRequestProtocol(_Protocol):
    """uvicorn's HTTP protocol, answering the first request of a connection accepted just before a stop."""

    _first_request_seen = False
    _stop_after_first: asyncio.TimerHandle | None = None
    _requests = 0

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._requests += 1
        if self._requests >= REQUESTS_PER_CONNECTION and self.cycle is not None:
            self.cycle.keep_alive = False  # answered, then closed

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None:
            self._first_request_seen = True
            if self._stop_after_first is not None:
                self._stop_after_first.cancel()
                self._stop_after_first = None
                super().shutdown()  # the request in progress is answered, then the connection closes

    def shutdown(self) -> None:
        if self._first_request_seen or self._stop_after_first is not None:
            super().shutdown()
            return
        self._stop_after_first = asyncio.get_running_loop().call_later(FIRST_REQUEST_SECONDS, super().shutdown)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stop_after_first is not None:
            self._stop_after_first.cancel()
        super().connection_lost(exc)


class PortalWorker(UvicornWorker):  # type: ignore[misc]  # uvicorn_worker ships no types
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        "loop": "auto",
        "http": FirstRequestProtocol,
        "proxy_headers": False,
        "ws": "none",  # the portal has no WebSocket routes: uvicorn's websockets protocol stays unimported
    }
    _said_ready = False

    async def callback_notify(self) -> None:
        """uvicorn's heartbeat, first called once the server has started and listens: say so once."""
        if not self._said_ready:
            os.fchmod(self.tmp.fileno(), READY_MODE)
            self._said_ready = True
        self.notify()
