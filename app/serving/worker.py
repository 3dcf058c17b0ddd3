"""The worker process: a uvicorn server that serves the connections the supervisor hands it (see ``app.serving``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from app.serving.channel import (
    CLOSED,
    HEARTBEAT,
    HEARTBEAT_SECONDS,
    NO_MORE,
    READY,
    RECYCLE,
    RETURN,
    STOPPING,
    next_message,
)

logger = logging.getLogger("uvicorn.error")

NO_MORE_SECONDS = 2.0
"""How long a stopping worker waits for the supervisor's NO_MORE before it stops reading its channel."""


FIRST_REQUEST_SECONDS = 5.0
"""How long a stopping worker waits for the first request on a connection it was given just before it stopped."""


def _counted(protocol_class: type[asyncio.Protocol], closed: Callable[[], None]) -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, telling the supervisor when its connection ends.

    uvicorn's graceful shutdown closes every connection without a request in progress. A connection the
    supervisor handed over a moment before the stop may not have sent its request yet: closing it would answer
    a client that did nothing wrong with a dropped connection. Such a connection serves its first request (and
    closes after it) unless nothing arrives within ``FIRST_REQUEST_SECONDS``."""

    class Counted(protocol_class):  # type: ignore[valid-type,misc]
        _first_request_seen = False
        _stop_after_first: asyncio.TimerHandle | None = None

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
            try:
                super().connection_lost(exc)
            finally:
                closed()

    return Counted


class Worker(uvicorn.Server):
    """A uvicorn server without a listening socket of its own: it serves the connections the supervisor sends.

    ``sockets`` (as uvicorn passes them to a worker) holds one socket: the channel to the supervisor. Every
    ``HEARTBEAT_SECONDS`` its event loop tells the supervisor that it runs, and, past ``max_requests`` requests
    (0: never), that it wants replacing; the supervisor then stops it once its replacement serves."""

    def __init__(self, config: uvicorn.Config, max_requests: int = 0) -> None:
        super().__init__(config)
        self._max_requests = max_requests
        self._recycle_asked = False
        self._heartbeat: asyncio.TimerHandle | None = None
        self._channel: socket.socket | None = None
        self._unreported = 0
        self._pending: set[asyncio.Task[Any]] = set()
        self._stopping = False
        self._no_more: asyncio.Event | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        assert sockets is not None and len(sockets) == 1, "a worker takes exactly its channel to the supervisor"
        await super().startup(sockets=[])
        self._channel = sockets[0]
        self._channel.setblocking(False)
        config = self.config
        protocol_class = _counted(config.http_protocol_class, self._connection_closed)

        def create_protocol() -> asyncio.Protocol:
            return protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )

        self._create_protocol = create_protocol
        self._no_more = asyncio.Event()
        asyncio.get_running_loop().add_reader(self._channel.fileno(), self._receive)
        self._report(READY)
        self._beat()

    def _beat(self) -> None:
        """Tell the supervisor this event loop runs (and, once, that this worker has served its requests)."""
        self._report(HEARTBEAT)
        if self._max_requests and not self._recycle_asked and self.server_state.total_requests >= self._max_requests:
            self._recycle_asked = True
            logger.info("Served %d requests; asking to be replaced.", self.server_state.total_requests)
            self._report(RECYCLE)
        self._heartbeat = asyncio.get_running_loop().call_later(HEARTBEAT_SECONDS, self._beat)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Tell the supervisor, hand back what it sends until it has heard, then uvicorn's graceful shutdown."""
        if self._channel is not None and self._channel.fileno() >= 0 and self._no_more is not None:
            self._stopping = True
            self._report(STOPPING)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._no_more.wait(), NO_MORE_SECONDS)
            asyncio.get_running_loop().remove_reader(self._channel.fileno())
        await super().shutdown(sockets=sockets)

    def _receive(self) -> None:
        """Take every connection the supervisor has sent; stop serving if the supervisor is gone."""
        assert self._channel is not None
        loop = asyncio.get_running_loop()
        while (received := next_message(self._channel)) is not None:
            message, fds = received
            if not message:
                if not self._stopping:
                    logger.error("The supervisor has gone; this worker stops.")
                loop.remove_reader(self._channel.fileno())
                self.should_exit = True
                if self._no_more is not None:
                    self._no_more.set()
                return
            if message == NO_MORE:
                if self._no_more is not None:
                    self._no_more.set()
                continue
            if self._stopping:
                self._hand_back(fds)
                continue
            for fd in fds:
                task = loop.create_task(self._serve_connection(socket.socket(fileno=fd)))
                self._pending.add(task)
                task.add_done_callback(self._pending.discard)

    def _hand_back(self, fds: list[int]) -> None:
        """Connections given while this worker was stopping go back to the supervisor, for another worker."""
        assert self._channel is not None
        try:
            socket.send_fds(self._channel, [RETURN], fds)
        except OSError as error:
            logger.error("Could not hand back %d connection(s) to the supervisor: %s", len(fds), error)
        finally:
            for fd in fds:
                os.close(fd)

    async def _serve_connection(self, connection: socket.socket) -> None:
        try:
            await asyncio.get_running_loop().connect_accepted_socket(self._create_protocol, connection)
        except OSError:
            connection.close()
            self._connection_closed()

    def _connection_closed(self) -> None:
        self._unreported += 1
        self._report_closed()

    def _report(self, message: bytes) -> None:
        """One message to the supervisor; closings not yet reported go with the next one."""
        if self._channel is None:
            return
        try:
            self._channel.send(message)
        except BlockingIOError:  # the supervisor is behind: report these closings a moment later
            if message[:1] == CLOSED:
                asyncio.get_running_loop().call_later(0.05, self._report_closed)
            return
        except OSError:  # the supervisor has gone: _receive sees the end of file and stops the worker
            return
        if message[:1] == CLOSED:
            self._unreported = 0

    def _report_closed(self) -> None:
        if self._unreported:
            self._report(CLOSED * self._unreported)


def worker_main(config: uvicorn.Config, channel: socket.socket, max_requests: int = 0) -> None:
    """The worker process (spawned, as uvicorn spawns its workers)."""
    config.configure_logging()
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl+C reaches every process; no traceback for it
        Worker(config, max_requests).run(sockets=[channel])
