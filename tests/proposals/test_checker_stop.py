"""Stopping the service (systemd sends SIGTERM to every process of the service, Ctrl+C SIGINT to the
terminal's) while uploads are in flight: their checks are answered, not cut off and refused as beyond the
limits, and a check that needs a new checking process after the fork server was stopped still gets one."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from multiprocessing import forkserver
from pathlib import Path
from typing import Any

import pytest

from app.proposals.documents import isolation
from app.proposals.documents.isolation import CheckLimits, inspect_isolated
from tests import pdfs
from tests.asyncrun import run_async


def _slow_check(started: int) -> Any:
    def check(*_request: Any) -> tuple[Any, ...]:
        os.write(started, b"x")  # the check has begun: the test sends its signal now
        time.sleep(0.5)  # long enough for the signal to arrive in the middle of it
        return ("ok", "pdf", 1)

    return check


def _checking_process(ours: Any, theirs: Any) -> None:
    ours.close()  # as in a process forked from the fork server: only its own end of the connection
    isolation._serve(theirs)


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_checking_process_answers_its_check_whatever_stop_signal_arrives(
    monkeypatch: pytest.MonkeyPatch, stop: int
) -> None:
    started_read, started_write = os.pipe()
    monkeypatch.setattr(isolation, "_check", _slow_check(started_write))
    context = multiprocessing.get_context("fork")  # the patched check goes with the fork
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(target=_checking_process, args=(ours, theirs), daemon=True)
    process.start()
    theirs.close()
    request = ("brief.pdf", ["pdf"], None, CheckLimits())
    try:
        ours.send(request)
        assert os.read(started_read, 1) == b"x"
        os.kill(process.pid, stop)
        assert ours.poll(30)
        assert ours.recv() == ("ok", "pdf", 1)
        ours.send(request)  # still serving: its worker decides when it ends
        assert ours.poll(30)
        assert ours.recv() == ("ok", "pdf", 1)
        ours.close()  # the worker closes the connection (or ends): the checking process ends
        process.join(30)
        assert process.exitcode == 0
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        os.close(started_read)
        os.close(started_write)


def test_a_check_after_the_fork_server_was_stopped_gets_a_new_checking_process(tmp_path: Path) -> None:
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdfs.pdf_bytes(pages=2))

    async def check() -> int | None:
        return (await inspect_isolated(path, allowed=["pdf"], max_pages=None, limits=CheckLimits())).pages

    assert run_async(check) == 2
    for checker in list(isolation._idle):  # every pooled process busy: the next check needs a new one
        isolation._idle.remove(checker)
        checker.close()
    # The fork server going (a stop signal to the whole service): its process not yet ended, nothing listening.
    assert forkserver._forkserver._forkserver_pid is not None
    forkserver._forkserver._forkserver_address = "\0portal-test-fork-server-gone"
    assert run_async(check) == 2
