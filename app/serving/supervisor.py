"""The supervisor process: accepts on the listening socket and hands each connection to the least busy worker
(see ``app.serving``)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from app.serving.channel import CLOSED, GIVE, NO_MORE, READY, RETURN, STOPPING, next_message
from app.serving.worker import worker_main

logger = logging.getLogger("uvicorn.error")

ACCEPT_PAUSE_SECONDS = 0.5
STOP_SECONDS = 35.0
"""How long the supervisor waits for a stopping worker (uvicorn's own graceful timeout is unset: it waits for
the requests in flight) before it kills it."""


# --- choosing a worker -------------------------------------------------------------------------------


@dataclass
class WorkerLoad:
    """What the supervisor knows of one worker: whether it is serving, and its open connections."""

    ready: bool = False
    connections: int = 0


@dataclass
class Balancer:
    """Least open connections first; among equals, the one after the worker chosen last."""

    workers: list[WorkerLoad] = field(default_factory=list)
    _last: int = -1

    def choose(self, exclude: frozenset[int] = frozenset()) -> int | None:
        """The index of the worker to give the next connection to, or None if no worker is ready."""
        count = len(self.workers)
        best: int | None = None
        for step in range(1, count + 1):
            index = (self._last + step) % count
            worker = self.workers[index]
            if (
                worker.ready
                and index not in exclude
                and (best is None or worker.connections < self.workers[best].connections)
            ):
                best = index
        if best is not None:
            self._last = best
        return best


# --- the supervisor ----------------------------------------------------------------------------------


@dataclass
class _Process:
    process: BaseProcess
    channel: socket.socket
    load: WorkerLoad
    served: bool = False


class Supervisor:
    """Accepts on the listening socket and hands every connection to a worker (see ``app.serving``)."""

    def __init__(self, config: uvicorn.Config, workers: int) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self.config = config
        self.count = workers
        self.processes: list[_Process | None] = [None] * workers
        self.retiring: list[_Process] = []
        self.waiting: list[socket.socket] = []
        self.balancer = Balancer([WorkerLoad() for _ in range(workers)])
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self.failed = False
        self._resume_accepting = 0.0
        self._context = multiprocessing.get_context("spawn")

    # the main loop

    def run(self) -> int:
        """Serve until SIGTERM or SIGINT; the exit status (1 if a worker failed to start)."""
        listener = self.config.bind_socket()
        listener.listen(self.config.backlog)
        listener.setblocking(False)
        wake_read, wake_write = socket.socketpair()
        wake_read.setblocking(False)
        wake_write.setblocking(False)
        previous = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGTERM, signal.SIGINT)}
        previous_wakeup = signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
        logger.info("Started supervisor process [%d] for %d workers", os.getpid(), self.count)
        try:
            for index in range(self.count):
                self._start(index)
            self.selector.register(wake_read, selectors.EVENT_READ, "wake")
            accepting = False
            while not self.stopping:
                # Connections wait in the listening socket's backlog while no worker is ready to serve.
                ready = any(load.ready for load in self.balancer.workers)
                if not accepting and ready and time.monotonic() >= self._resume_accepting:
                    self.selector.register(listener, selectors.EVENT_READ, "accept")
                    accepting = True
                elif accepting and not ready:
                    self.selector.unregister(listener)
                    accepting = False
                for key, _events in self.selector.select(timeout=ACCEPT_PAUSE_SECONDS):
                    if key.data == "accept":
                        if not self._accept(listener):
                            self.selector.unregister(listener)
                            accepting = False
                    elif key.data == "wake":
                        _drain(wake_read)
                    else:
                        self._hear(key.data)
                self._reap()
        finally:
            listener.close()
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            self._stop_workers()
            self.selector.close()
            wake_read.close()
            wake_write.close()
        return 1 if self.failed else 0

    def _stop(self, signum: int, _frame: Any) -> None:
        logger.info("Supervisor: %s received, stopping the workers", signal.Signals(signum).name)
        self.stopping = True

    # workers

    def _start(self, index: int) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        process = self._context.Process(
            target=worker_main, kwargs={"config": self.config, "channel": theirs}, name=f"portal-worker-{index}"
        )
        process.start()
        theirs.close()
        ours.setblocking(False)
        self.balancer.workers[index] = WorkerLoad()
        self.processes[index] = _Process(process, ours, self.balancer.workers[index])
        self.selector.register(ours, selectors.EVENT_READ, index)

    def _hear(self, index: int) -> None:
        """Messages of one worker: ready, connections closed, or (at end of file) its end."""
        entry = self.processes[index]
        assert entry is not None
        while (received := next_message(entry.channel)) is not None:
            message, fds = received
            if not message:
                self._forget(index)
                return
            if message == RETURN:
                entry.load.connections = max(0, entry.load.connections - len(fds))
                for fd in fds:
                    with socket.socket(fileno=fd) as connection:
                        self._give(connection)
                continue
            if message == READY:
                entry.load.ready = True
                entry.served = True
                logger.info("Worker %d [%d] serving", index, entry.process.pid)
                waiting, self.waiting = self.waiting, []
                for connection in waiting:
                    with connection:
                        self._give(connection)
            elif message == STOPPING:
                entry.load.ready = False
                self._tell(entry, NO_MORE)
            else:
                entry.load.connections = max(0, entry.load.connections - message.count(CLOSED))

    def _forget(self, index: int) -> None:
        """A worker's channel has closed: it is stopping or has died. Replace it unless stopping.

        Not waited for: a worker told to stop may take a while over its requests in flight, and the supervisor
        keeps accepting meanwhile."""
        entry = self.processes[index]
        assert entry is not None
        self.selector.unregister(entry.channel)
        entry.channel.close()
        self.processes[index] = None
        self.balancer.workers[index] = WorkerLoad()
        self.retiring.append(entry)
        if self.stopping:
            return
        if not entry.served:
            logger.error("Worker %d [%s] stopped before it could serve; the server stops.", index, entry.process.pid)
            self.failed = True
            self.stopping = True
            return
        logger.warning("Worker %d [%s] has stopped serving; starting another.", index, entry.process.pid)
        self._start(index)

    def _reap(self) -> None:
        """Workers that have stopped serving and whose process has now ended."""
        for entry in list(self.retiring):
            if not entry.process.is_alive():
                self.retiring.remove(entry)
                level = logging.INFO if entry.process.exitcode in (0, -signal.SIGTERM) else logging.WARNING
                logger.log(level, "Worker [%s] ended (exit code %s)", entry.process.pid, entry.process.exitcode)

    def _tell(self, entry: _Process, message: bytes) -> None:
        with contextlib.suppress(OSError):  # a worker that has gone: its end of file is handled
            entry.channel.send(message)

    def _stop_workers(self) -> None:
        running = [entry for entry in self.processes if entry is not None]
        self.processes = [None] * self.count
        for entry in running:
            self._tell(entry, NO_MORE)  # the listener is closed: a stopping worker need not wait to hear it
            if entry.process.is_alive():
                entry.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for entry in running + self.retiring:
            entry.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if entry.process.is_alive():
                logger.error("Worker [%s] did not stop in %.0f s; killed.", entry.process.pid, STOP_SECONDS)
                entry.process.kill()
                entry.process.join()
        for entry in running:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(entry.channel)
            entry.channel.close()
        self.retiring.clear()
        for connection in self.waiting:
            connection.close()
        self.waiting.clear()

    # connections

    def _accept(self, listener: socket.socket) -> bool:
        """Every connection waiting, each to the least busy ready worker; False to pause accepting a moment."""
        while True:
            try:
                connection, _address = listener.accept()
            except BlockingIOError:
                return True
            except ConnectionAbortedError:  # the client gave up while it waited
                continue
            except OSError as error:  # out of file descriptors and the like: not in a busy loop
                logger.error("Supervisor: accept failed (%s); accepting again in %.1f s", error, ACCEPT_PAUSE_SECONDS)
                self._resume_accepting = time.monotonic() + ACCEPT_PAUSE_SECONDS
                return False
            with connection:
                self._give(connection)

    def _give(self, connection: socket.socket) -> None:
        tried: frozenset[int] = frozenset()
        while (index := self.balancer.choose(exclude=tried)) is not None:
            tried |= {index}
            entry = self.processes[index]
            assert entry is not None
            try:
                socket.send_fds(entry.channel, [GIVE], [connection.fileno()])
            except OSError as error:  # the worker is going (its end of file follows) or its queue is full
                logger.warning("Supervisor: worker %d did not take a connection: %s", index, error)
                continue
            entry.load.connections += 1
            return
        self.waiting.append(connection.dup())  # for the next worker that is ready


def _drain(wake: socket.socket) -> None:
    try:
        while wake.recv(4096):
            pass
    except BlockingIOError:
        pass


def serve(config: uvicorn.Config, workers: int) -> None:
    """Serve with ``workers`` balanced worker processes; exits the process with the supervisor's status."""
    sys.exit(Supervisor(config, workers).run())
