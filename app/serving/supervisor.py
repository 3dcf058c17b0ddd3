"""The supervisor process: accepts on the listening socket and hands each connection to the least busy worker
(see ``app.serving``)."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import random
import selectors
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from app.serving.channel import CLOSED, GIVE, HEARTBEAT, NO_MORE, READY, RECYCLE, RETURN, STOPPING, next_message
from app.serving.worker import worker_main

logger = logging.getLogger("uvicorn.error")

ACCEPT_PAUSE_SECONDS = 0.5
STOP_SECONDS = 35.0
"""How long the supervisor waits for a stopping worker (uvicorn's own graceful timeout is unset: it waits for
the requests in flight) before it kills it."""
HUNG_GRACE_SECONDS = 5.0
"""How long a worker that has not answered has, after SIGTERM, before SIGKILL."""


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
    slot: int
    process: BaseProcess
    channel: socket.socket
    load: WorkerLoad
    heard: float
    served: bool = False
    replaces: int | None = None
    """The worker this one takes over from once it serves (a reload or a recycling), if any."""
    retiring: bool = False
    """Told to stop because another has taken over: not replaced when it ends."""
    stop_by: float = 0.0
    """When a retiring worker still running is killed."""


@dataclass
class _Ended:
    process: BaseProcess
    kill_at: float | None = None
    """When a worker that did not answer is killed if SIGTERM has not ended it."""


class Supervisor:
    """Accepts on the listening socket and hands every connection to a worker (see ``app.serving``)."""

    def __init__(self, config: uvicorn.Config, workers: int, *, timeout: float = 30.0, max_requests: int = 0) -> None:
        if workers < 1:
            raise ValueError("at least one worker")
        self.config = config
        self.count = workers
        self.timeout = timeout
        self.max_requests = max_requests
        self.workers: dict[int, _Process] = {}
        self.ended: list[_Ended] = []
        self.waiting: list[socket.socket] = []
        self.balancer = Balancer()
        self._order: list[int] = []
        self.selector = selectors.DefaultSelector()
        self.stopping = False
        self.reload_asked = False
        self.failed = False
        self._next_id = 0
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
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, self._reload_asked)
        previous_wakeup = signal.set_wakeup_fd(wake_write.fileno(), warn_on_full_buffer=False)
        logger.info("Started supervisor process [%d] for %d workers", os.getpid(), self.count)
        try:
            for slot in range(self.count):
                self._start(slot)
            self.selector.register(wake_read, selectors.EVENT_READ, "wake")
            self._loop(listener, wake_read)
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

    def _loop(self, listener: socket.socket, wake: socket.socket) -> None:
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
                    _drain(wake)
                elif key.data in self.workers:
                    self._hear(key.data)
            if self.reload_asked and not self.stopping:
                self.reload_asked = False
                self._reload()
            self._find_hung()
            self._reap()

    def _stop(self, signum: int, _frame: Any) -> None:
        logger.info("Supervisor: %s received, stopping the workers", signal.Signals(signum).name)
        self.stopping = True

    def _reload_asked(self, _signum: int, _frame: Any) -> None:
        self.reload_asked = True

    # workers

    def _start(self, slot: int, replaces: int | None = None) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        max_requests = self.max_requests
        if max_requests:  # not every worker at once
            max_requests += random.randint(0, max(1, max_requests // 10))  # noqa: S311 (not a secret)
        process = self._context.Process(
            target=worker_main,
            kwargs={"config": self.config, "channel": theirs, "max_requests": max_requests},
            name=f"portal-worker-{slot}",
        )
        process.start()
        theirs.close()
        ours.setblocking(False)
        worker_id, self._next_id = self._next_id, self._next_id + 1
        self.workers[worker_id] = _Process(slot, process, ours, WorkerLoad(), time.monotonic(), replaces=replaces)
        self._rebalance()
        self.selector.register(ours, selectors.EVENT_READ, worker_id)

    def _rebalance(self) -> None:
        """The balancer's list follows the workers that have a channel (their loads are shared, not copied)."""
        self._order = list(self.workers)
        self.balancer.workers = [self.workers[worker_id].load for worker_id in self._order]

    def _hear(self, worker_id: int) -> None:
        """Messages of one worker: ready, connections closed, heartbeats, or (at end of file) its end."""
        entry = self.workers[worker_id]
        while (received := next_message(entry.channel)) is not None:
            message, fds = received
            if not message:
                self._forget(worker_id)
                return
            entry.heard = time.monotonic()
            if message == RETURN:
                entry.load.connections = max(0, entry.load.connections - len(fds))
                for fd in fds:
                    with socket.socket(fileno=fd) as connection:
                        self._give(connection)
            elif message == READY:
                self._serving(worker_id, entry)
            elif message == STOPPING:
                entry.load.ready = False
                self._tell(entry, NO_MORE)
            elif message == RECYCLE:
                if not entry.retiring and not self._replacing(worker_id):
                    logger.info("Worker %d [%d] has served its requests; replacing it", entry.slot, entry.process.pid)
                    self._start(entry.slot, replaces=worker_id)
            elif message != HEARTBEAT:
                entry.load.connections = max(0, entry.load.connections - message.count(CLOSED))

    def _serving(self, worker_id: int, entry: _Process) -> None:
        entry.load.ready = True
        entry.served = True
        logger.info("Worker %d [%d] serving", entry.slot, entry.process.pid)
        if entry.replaces is not None and (old := self.workers.get(entry.replaces)) is not None:
            old.retiring = True
            old.stop_by = time.monotonic() + STOP_SECONDS
            old.load.ready = False  # new connections go to the new worker only
            logger.info("Worker %d [%d] replaced by [%d]; stopping it", old.slot, old.process.pid, entry.process.pid)
            old.process.terminate()  # uvicorn's graceful shutdown: the requests in flight are answered
        entry.replaces = None
        waiting, self.waiting = self.waiting, []
        for connection in waiting:
            with connection:
                self._give(connection)

    def _replacing(self, worker_id: int) -> bool:
        return any(entry.replaces == worker_id for entry in self.workers.values())

    def _reload(self) -> None:
        """SIGHUP: a new worker (the code loaded anew) for every worker serving; each old one stops once its
        replacement serves."""
        current = [
            (worker_id, entry)
            for worker_id, entry in self.workers.items()
            if entry.served and not entry.retiring and not self._replacing(worker_id)
        ]
        logger.info("Supervisor: SIGHUP received, starting %d new workers", len(current))
        for worker_id, entry in current:
            self._start(entry.slot, replaces=worker_id)

    def _close(self, worker_id: int, kill_at: float | None = None) -> _Process:
        entry = self.workers.pop(worker_id)
        self._rebalance()
        self.selector.unregister(entry.channel)
        entry.channel.close()
        self.ended.append(_Ended(entry.process, kill_at))
        return entry

    def _forget(self, worker_id: int) -> None:
        """A worker's channel has closed: it is stopping or has died. Replace it unless stopping or replaced.

        Not waited for: a worker told to stop may take a while over its requests in flight, and the supervisor
        keeps accepting meanwhile."""
        entry = self._close(worker_id)
        if self.stopping or entry.retiring:
            return
        if not entry.served and entry.replaces is not None and entry.replaces in self.workers:
            logger.error(
                "New worker %d [%s] stopped before it could serve; the worker it was to replace keeps serving.",
                entry.slot,
                entry.process.pid,
            )
            return
        if not entry.served:
            logger.error(
                "Worker %d [%s] stopped before it could serve; the server stops.", entry.slot, entry.process.pid
            )
            self.failed = True
            self.stopping = True
            return
        self._replace(worker_id, entry, "has stopped serving")

    def _replace(self, worker_id: int, entry: _Process, what: str) -> None:
        successor = next((other for other in self.workers.values() if other.replaces == worker_id), None)
        if successor is not None:  # a reload or recycling had already started one
            successor.replaces = None
            logger.warning(
                "Worker %d [%s] %s; [%s] takes over.", entry.slot, entry.process.pid, what, successor.process.pid
            )
            return
        logger.warning("Worker %d [%s] %s; starting another.", entry.slot, entry.process.pid, what)
        self._start(entry.slot)

    def _find_hung(self) -> None:
        """Workers whose event loop has not answered for ``timeout`` seconds: SIGTERM, SIGKILL after a grace."""
        now = time.monotonic()
        for worker_id, entry in list(self.workers.items()):
            if entry.retiring and now > entry.stop_by:
                logger.error("Worker [%s] did not stop in %.0f s; killed.", entry.process.pid, STOP_SECONDS)
                entry.process.kill()
                self._close(worker_id)
            elif entry.served and now - entry.heard > self.timeout:
                entry.process.terminate()
                self._close(worker_id, kill_at=now + HUNG_GRACE_SECONDS)
                logger.error(
                    "Worker %d [%s] has not answered for %.0f s; killed (its connections are lost)",
                    entry.slot,
                    entry.process.pid,
                    self.timeout,
                )
                if not entry.retiring:
                    self._replace(worker_id, entry, "did not answer")

    def _reap(self) -> None:
        """Workers that have stopped serving and whose process has now ended; those not answering killed."""
        now = time.monotonic()
        for ended in list(self.ended):
            process = ended.process
            if not process.is_alive():
                self.ended.remove(ended)
                level = logging.INFO if process.exitcode in (0, -signal.SIGTERM) else logging.WARNING
                logger.log(level, "Worker [%s] ended (exit code %s)", process.pid, process.exitcode)
            elif ended.kill_at is not None and now >= ended.kill_at:
                process.kill()
                ended.kill_at = None

    def _tell(self, entry: _Process, message: bytes) -> None:
        with contextlib.suppress(OSError):  # a worker that has gone: its end of file is handled
            entry.channel.send(message)

    def _stop_workers(self) -> None:
        running = list(self.workers.values())
        self.workers = {}
        for entry in running:
            self._tell(entry, NO_MORE)  # the listener is closed: a stopping worker need not wait to hear it
            if entry.process.is_alive():
                entry.process.terminate()
        deadline = time.monotonic() + STOP_SECONDS
        for process in [entry.process for entry in running] + [ended.process for ended in self.ended]:
            process.join(timeout=max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                logger.error("Worker [%s] did not stop in %.0f s; killed.", process.pid, STOP_SECONDS)
                process.kill()
                process.join()
        for entry in running:
            with contextlib.suppress(KeyError, ValueError):
                self.selector.unregister(entry.channel)
            entry.channel.close()
        self.ended.clear()
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
            entry = self.workers[self._order[index]]
            try:
                socket.send_fds(entry.channel, [GIVE], [connection.fileno()])
            except OSError as error:  # the worker is going (its end of file follows) or its queue is full
                logger.warning("Supervisor: worker %d did not take a connection: %s", entry.slot, error)
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


def serve(config: uvicorn.Config, workers: int, *, timeout: float = 30.0, max_requests: int = 0) -> None:
    """Serve with ``workers`` balanced worker processes; exits the process with the supervisor's status.

    ``timeout``: seconds after which a worker whose event loop has not answered is killed and replaced;
    ``max_requests`` (0: never): requests after which a worker is replaced (plus up to a tenth more, so that
    the workers are not all replaced at once)."""
    sys.exit(Supervisor(config, workers, timeout=timeout, max_requests=max_requests).run())
