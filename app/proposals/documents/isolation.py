"""A document check in a process of its own, with a CPU-time and a memory limit.

The checks take time linear in a file's size, but they parse what a competitor may have built to be
costly, with libraries (pypdf, expat) whose every path we do not control. So each check runs in a fresh
process forked from a small server process that has the checking code imported already (multiprocessing's
``forkserver``: a fork costs a few milliseconds, and the web worker's threads and sockets are never
copied). The child lowers its priority, limits its address space (``RLIMIT_AS``) and its CPU time (a
profiling timer at the limit, ``RLIMIT_CPU`` one second later as the backstop that no loop in C escapes),
and sends back its answer. The event loop waits for it without blocking; no view thread is held.
A child that runs out of either limit, or dies, is answered with ``beyond_limits``.
"""

from __future__ import annotations

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
_CHECKER = "app.proposals.documents.isolation"
_context: Any = None


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
        context.set_forkserver_preload(["__main__", _CHECKER])
        _context = context
    return _context


def _out_of_time(_signal: int, _frame: FrameType | None) -> None:
    raise _OutOfTime()


def _limit(limits: CheckLimits) -> None:
    os.nice(5)
    memory = limits.memory_mb * MIB
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    backstop = math.ceil(limits.cpu_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (backstop, backstop + 1))
    signal.signal(signal.SIGPROF, _out_of_time)
    signal.setitimer(signal.ITIMER_PROF, limits.cpu_seconds)


def _child(connection: Connection, path: str, allowed: list[str], max_pages: int | None, limits: CheckLimits) -> None:
    """Runs in the checking process: the answer is a tuple of plain values (a refusal's message and params)."""
    result: tuple[Any, ...]
    try:
        _limit(limits)
        inspection = inspect_document(Path(path), allowed=allowed, max_pages=max_pages)
        result = ("ok", inspection.kind.value, inspection.pages)
    except DocumentRefused as refused:
        result = ("refused", refused.message, refused.reason, dict(refused.params))
    except (_OutOfTime, MemoryError, RecursionError):
        result = ("limits",)
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
    connection.send(result)
    connection.close()
    # Out at once: the interpreter's teardown in a forked child costs more CPU than the check.
    os._exit(0)


def _answer(result: tuple[Any, ...] | None, limits: CheckLimits) -> Inspection:
    if result is not None and result[0] == "ok":
        kind = DocumentKind(result[1])
        return Inspection(kind=kind, media_type=_MEDIA_TYPES[kind], pages=result[2])
    if result is not None and result[0] == "refused":
        raise DocumentRefused(result[1], reason=result[2], **result[3])
    raise beyond_limits(seconds=limits.cpu_seconds, megabytes=limits.memory_mb)


async def inspect_isolated(
    path: Path, *, allowed: Collection[str], max_pages: int | None, limits: CheckLimits
) -> Inspection:
    """``inspect_document`` in a limited process of its own; raises ``DocumentRefused`` (reason ``limits``
    when the check ran out of time or memory)."""
    context = _context_of()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(sending, str(path), list(allowed), max_pages, limits), daemon=True, name="document-check"
    )
    if not _server_running():
        await anyio.to_thread.run_sync(start_checker)  # seconds, once per process: never on the event loop
    try:
        process.start()  # the fork server forks: a few milliseconds
    finally:
        sending.close()
    result: tuple[Any, ...] | None = None
    try:
        with anyio.move_on_after(limits.cpu_seconds * WALL_FACTOR + WALL_MARGIN_SECONDS):
            await anyio.wait_readable(receiving.fileno())
            result = receiving.recv()
            await anyio.wait_readable(process.sentinel)  # the child exits right after it answered
    except (EOFError, OSError):
        result = None
    finally:
        if process.exitcode is None:
            process.kill()
        process.join()
        process.close()
        receiving.close()
    return _answer(result, limits)


def _server_running() -> bool:
    return _context is not None and getattr(forkserver._forkserver, "_forkserver_pid", None) is not None


def start_checker() -> None:
    """Start the fork server that checking processes are forked from (the app does this at startup)."""
    _context_of()
    forkserver.ensure_running()
