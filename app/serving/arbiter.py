"""gunicorn's arbiter with the portal's uvicorn workers (``workers.PortalWorker``): ``portal serve --workers N``.

The ``portal`` process becomes the arbiter (``exec`` of ``python -m app.serving.arbiter``, so a service manager's
signals reach it: SIGTERM stops, SIGHUP reloads). The arbiter imports none of the portal, so every worker loads the
code anew and a reload serves the code installed since.

One change to gunicorn's arbiter (``PortalArbiter``): on SIGHUP gunicorn tells the old workers to stop as soon as
it has forked the new ones, so until the new ones have loaded the portal (seconds, more on a busy machine) no
worker accepts and new connections wait in the listening socket's backlog, or time out. Here the old workers
serve until every new one has said that it serves (``workers.READY_MODE`` on its heartbeat file); only then are
they told to stop, and they finish their requests in flight. A new worker that dies before it serves is replaced,
and the old ones serve meanwhile. A new worker that cannot load the portal at all (a broken installation) gives the
reload up: gunicorn would stop the whole server, here the new workers are stopped and the old ones serve on, with an
error in the log; none is started in the place of one that ends (it would load the code that failed) until the next
reload, and only when none is left does the server stop."""

from __future__ import annotations

import os
import signal
import stat
import sys
from typing import Any

from gunicorn.app.wsgiapp import WSGIApplication
from gunicorn.arbiter import Arbiter
from gunicorn.errors import HaltServer

from app.serving.workers import READY_MODE

STOP_SECONDS = 35.0
"""On SIGTERM or a reload, how long workers may take to finish their requests in flight before they are killed."""
WORKER_CLASS = "app.serving.workers.PortalWorker"
KEEP_ALIVE_SECONDS = 5
"""uvicorn's own default; gunicorn's (2 s) would be passed to its uvicorn workers otherwise."""


def gunicorn_command(*, host: str, port: int, workers: int, timeout: float, max_requests: int) -> list[str]:
    """The command line of the arbiter serving the portal as ``portal serve`` would (gunicorn's options)."""
    command = [
        sys.executable,
        "-m",
        "app.serving.arbiter",
        "app.main:create_app()",
        "--worker-class",
        WORKER_CLASS,
        "--workers",
        str(workers),
        "--bind",
        f"[{host}]:{port}" if ":" in host else f"{host}:{port}",
        "--timeout",
        f"{timeout:g}",
        "--graceful-timeout",
        f"{STOP_SECONDS:g}",
        "--keep-alive",
        str(KEEP_ALIVE_SECONDS),
        "--log-level",
        "info",
        "--access-logfile",
        "-",  # uvicorn's access log
        "--no-control-socket",  # gunicorn's control socket: one path per user, which two servers would share
    ]
    if max_requests:
        command += ["--max-requests", str(max_requests), "--max-requests-jitter", str(max(1, max_requests // 10))]
    return command


def exec_gunicorn(*, host: str, port: int, workers: int, timeout: float, max_requests: int) -> None:
    """Replace this process with the arbiter (does not return)."""
    command = gunicorn_command(host=host, port=port, workers=workers, timeout=timeout, max_requests=max_requests)
    sys.stdout.flush()
    os.execv(command[0], command)  # noqa: S606 (a fixed command, no shell)


class PortalArbiter(Arbiter):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's arbiter, whose reload retires the old workers only once their replacements serve."""

    def __init__(self, app: Any) -> None:
        super().__init__(app)
        self.retiring: set[int] = set()
        self.kept: set[int] = set()  # the workers serving on after a reload that could not load the portal

    def handle_hup(self) -> None:
        self.log.info("Hang up: %s; the old workers serve until the new ones do", self.master_name)
        self.app.reload()
        self.setup(self.app)
        self.log.reopen_files()
        self.kept = set()
        self.retiring = set(self.WORKERS)
        for _ in range(self.cfg.workers):
            self.spawn_worker()

    def reap_workers(self) -> None:
        try:
            super().reap_workers()
        except HaltServer as halt:
            serving = (self.retiring | self.kept) & set(self.WORKERS)
            if not serving:
                raise
            if self.retiring:
                self.log.error(
                    "Reload given up: a new worker could not load the portal (%s). The %d workers started before "
                    "the reload serve on; fix the installation and reload again.",
                    halt.reason,
                    len(serving),
                )
                for pid in sorted(set(self.WORKERS) - serving):
                    self.kill_worker(pid, signal.SIGTERM)
            self.kept, self.retiring = serving, set()

    def manage_workers(self) -> None:
        if self.kept:
            self.kept &= set(self.WORKERS)
            if self.kept:
                return  # after a reload that failed, no worker is started: it would load the code that failed
        if not self.retiring:
            super().manage_workers()
            return
        self.retiring &= set(self.WORKERS)  # those that ended meanwhile
        new = [pid for pid in self.WORKERS if pid not in self.retiring]
        for _ in range(self.cfg.workers - len(new)):  # a new worker that died is replaced
            self.spawn_worker()
        if all(_says_it_serves(self.WORKERS[pid]) for pid in new):
            for pid in sorted(self.retiring):
                self.log.info("Worker (pid:%s) replaced; stopping it", pid)
                self.kill_worker(pid, signal.SIGTERM)
            self.retiring = set()  # they finish their requests; the main loop reaps them


def _says_it_serves(worker: Any) -> bool:
    try:
        return stat.S_IMODE(os.fstat(worker.tmp.fileno()).st_mode) == READY_MODE
    except (OSError, ValueError):
        return False


class PortalApplication(WSGIApplication):  # type: ignore[misc]  # gunicorn ships no types
    """gunicorn's command line (its options, the app given as ``module:callable``), run by ``PortalArbiter``."""

    def run(self) -> None:
        try:
            PortalArbiter(self).run()
        except RuntimeError as error:
            print(f"\nError: {error}\n", file=sys.stderr)
            sys.exit(1)


if __name__ == "__main__":
    PortalApplication("%(prog)s [OPTIONS] [APP_MODULE]", prog="portal serve").run()
