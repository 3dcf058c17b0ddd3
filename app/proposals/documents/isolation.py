"""A document check in a process of its own, with a CPU-time and a memory limit.

The checks take time linear in a file's size, but they parse what a competitor may have built to be
costly, with libraries (pypdf, expat) whose every path we do not control. So each check runs in a checking
process, never in the web worker: a small pool of long-lived processes per worker, forked from a server
process that has the checking code imported already (multiprocessing's ``forkserver``; the web worker's
threads and sockets are never copied). Starting such a process costs some 40 ms of CPU, a check of a 2 MB
PDF about 2 ms, so a process serves many checks in turn, one at a time. For each check the process sets
its limits anew: its address space (``RLIMIT_AS``) and its CPU time (a profiling timer at the limit, and
``RLIMIT_CPU`` one second past its own usage as the backstop that no loop in C escapes); it runs at a lower
priority. The event loop waits for the answer without blocking; no view thread is held.

A check that runs out of either limit, or a process that dies or does not answer in time, is answered with
``beyond_limits``, and that process is not used again: the next check gets a fresh one. When every pooled
process is busy a new one is started, so a costly file never makes another company's check wait. A worker
keeps ``PORTAL_DOCUMENT_CHECKERS`` idle processes (more are ended after their check) and, in production,
starts that many with itself: in a deadline rush every company's upload finishes at about the same moment,
and starting a process per check then cost more CPU than the uploads themselves. Each process is replaced
after ``MAX_CHECKS`` checks.
"""

from __future__ import annotations

import atexit
import math
import multiprocessing
import os
import resource
import signal
from collections.abc import Collection
from dataclasses import dataclass
from multiprocessing import forkserver
from multiprocessing.connection import Connection
from pathlib import Path
from types import FrameType
from typing import Any

import anyio
import anyio.to_thread

from app.proposals.documents.checks import MEDIA_TYPES as _MEDIA_TYPES
from app.proposals.documents.checks import DocumentRefused, Inspection, beyond_limits, inspect_document
from app.proposals.enums import DocumentKind

MIB = 1024 * 1024
# Wall-clock time a check may take, beyond its CPU time, while the machine is busy with other work.
WALL_FACTOR = 10
WALL_MARGIN_SECONDS = 5.0
# Idle checking processes kept per web worker (``start_checker`` sets it from the settings), and the checks
# one process serves before it is replaced.
IDLE_KEEP = 4
MAX_CHECKS = 200
_keep = IDLE_KEEP
_CHECKER = "app.proposals.documents.isolation"
_OFFICE = "app.proposals.documents.office"  # loaded by checks only when a document is checked
_context: Any = None
_idle: list[_Checker] = []


@dataclass(frozen=True)
class CheckLimits:
    cpu_seconds: float = 2.0
    memory_mb: int = 512


class _OutOfTime(BaseException):
    """Out of CPU time: a BaseException, so that no ``except Exception`` in a parser swallows it."""


def _context_of() -> Any:
    global _context
    if _context is None:
        context = multiprocessing.get_context("forkserver")
        # The main module too: a child whose main module the server already has does not import it again.
        context.set_forkserver_preload(["__main__", _CHECKER, "pypdf", _OFFICE])
        _context = context
    return _context


def _out_of_time(_signal: int, _frame: FrameType | None) -> None:
    raise _OutOfTime()


def _cpu_used() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _set_soft(which: int, soft: int) -> None:
    hard = resource.getrlimit(which)[1]
    if hard != resource.RLIM_INFINITY:
        soft = hard if soft == resource.RLIM_INFINITY else min(soft, hard)
    resource.setrlimit(which, (soft, hard))


def _limit(limits: CheckLimits) -> None:
    _set_soft(resource.RLIMIT_AS, limits.memory_mb * MIB)
    _set_soft(resource.RLIMIT_CPU, math.ceil(_cpu_used() + limits.cpu_seconds) + 1)
    signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)


def _unlimit() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0)
    _set_soft(resource.RLIMIT_AS, resource.RLIM_INFINITY)


def _check(path: str, allowed: list[str], max_pages: int | None, limits: CheckLimits) -> tuple[Any, ...]:
    """One check under its limits: the answer is a tuple of plain values (a refusal's message and params)."""
    try:
        _limit(limits)
        inspection = inspect_document(Path(path), allowed=allowed, max_pages=max_pages)
        return ("ok", inspection.kind.value, inspection.pages)
    except DocumentRefused as refused:
        return ("refused", refused.message, refused.reason, dict(refused.params))
    except (_OutOfTime, MemoryError, RecursionError):
        return ("limits",)
    finally:
        _unlimit()


def _serve(connection: Connection) -> None:
    """The checking process: checks one request after another until its connection closes or a limit is hit.

    Stopping the service (systemd sends SIGTERM to every process of the service, Ctrl+C sends SIGINT to the
    terminal's) does not end it: its worker finishes the uploads in flight, whose checks would otherwise be
    cut off and refused as beyond the limits. It ends when its worker closes the connection or ends."""
    os.nice(5)
    signal.signal(signal.SIGPROF, _out_of_time)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        while True:
            result = _check(*connection.recv())
            connection.send(result)
            if result[0] == "limits":
                break  # a parser interrupted anywhere may have left anything behind: start afresh
    except (EOFError, OSError):
        pass
    finally:
        connection.close()
        # Out at once: the interpreter's teardown in a forked child costs more CPU than a check.
        os._exit(0)


class _Checker:
    """A checking process and this worker's end of its connection."""

    def __init__(self) -> None:
        context = _context_of()
        self.connection, theirs = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(theirs,), daemon=True, name="document-checker")
        try:
            try:
                self.process.start()  # the fork server forks: a few milliseconds
            except OSError:  # the fork server was stopped (a stop signal to the whole service): another one
                forkserver._forkserver._stop()  # type: ignore[attr-defined]  # waits for it, forgets it
                self.process.start()
        finally:
            theirs.close()
        self.checks = 0
        _open.add(self)

    def close(self) -> None:
        _open.discard(self)
        self.connection.close()
        if self.process.exitcode is None:
            self.process.kill()
        self.process.join()
        self.process.close()


_open: set[_Checker] = set()


@atexit.register
def _close_all() -> None:
    """Checking processes ignore SIGTERM, which multiprocessing sends its daemon children at exit before it
    waits for them: they are ended first (registered after multiprocessing's own hook, so run before it)."""
    for checker in list(_open):
        checker.close()
    _idle.clear()


def _answer(result: tuple[Any, ...] | None, limits: CheckLimits) -> Inspection:
    if result is not None and result[0] == "ok":
        kind = DocumentKind(result[1])
        return Inspection(kind=kind, media_type=_MEDIA_TYPES[kind], pages=result[2])
    if result is not None and result[0] == "refused":
        raise DocumentRefused(result[1], reason=result[2], **result[3])
    raise beyond_limits(seconds=limits.cpu_seconds, megabytes=limits.memory_mb)


def _take() -> _Checker:
    """An idle checking process that is still alive (one may have been killed since), or a new one."""
    while _idle:
        checker = _idle.pop()
        if checker.process.is_alive():
            return checker
        checker.close()
    return _Checker()


async def inspect_isolated(
    path: Path, *, allowed: Collection[str], max_pages: int | None, limits: CheckLimits
) -> Inspection:
    """``inspect_document`` in a limited checking process; raises ``DocumentRefused`` (reason ``limits``
    when the check ran out of time or memory)."""
    if not _server_running():
        await anyio.to_thread.run_sync(start_checker)  # seconds, once per process: never on the event loop
    checker = _take()
    result: tuple[Any, ...] | None = None
    try:
        checker.connection.send((str(path), list(allowed), max_pages, limits))
        checker.checks += 1
        with anyio.move_on_after(limits.cpu_seconds * WALL_FACTOR + WALL_MARGIN_SECONDS):
            await anyio.wait_readable(checker.connection.fileno())
            result = checker.connection.recv()
    except (EOFError, OSError):
        result = None
    finally:
        reusable = result is not None and result[0] != "limits" and checker.checks < MAX_CHECKS
        if reusable and len(_idle) < _keep:
            _idle.append(checker)
        else:
            checker.close()
    return _answer(result, limits)


def _server_running() -> bool:
    return _context is not None and getattr(forkserver._forkserver, "_forkserver_pid", None) is not None


def start_checker(*, keep: int = IDLE_KEEP, ready: int = 0) -> None:
    """Start the fork server that checking processes are forked from (the app does this at startup), keep up
    to ``keep`` idle checking processes from now on, and have ``ready`` of them started already."""
    global _keep
    _keep = keep
    _context_of()
    forkserver.ensure_running()
    while len(_idle) < min(ready, keep):
        _idle.append(_Checker())
