"""A checking process told to stop in the middle of a check (systemd sends SIGTERM to every process of the
service) answers that check first: the upload in flight is checked, not refused as beyond the limits."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from typing import Any

import pytest

from app.proposals.documents import isolation


def _slow_check(started: int) -> Any:
    def check(*_request: Any) -> tuple[Any, ...]:
        os.write(started, b"x")  # the check has begun: the test sends its signal now
        time.sleep(1.0)  # long enough for the signal to arrive in the middle of it
        return ("ok", "pdf", 1)

    return check


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_during_a_check_waits_for_its_answer(monkeypatch: pytest.MonkeyPatch, stop: int) -> None:
    started_read, started_write = os.pipe()
    monkeypatch.setattr(isolation, "_check", _slow_check(started_write))
    context = multiprocessing.get_context("fork")  # the patched check goes with the fork
    ours, theirs = context.Pipe(duplex=True)
    process = context.Process(target=isolation._serve, args=(theirs,), daemon=True)
    process.start()
    theirs.close()
    try:
        ours.send(("brief.pdf", ["pdf"], None, isolation.CheckLimits()))
        assert os.read(started_read, 1) == b"x"
        os.kill(process.pid, stop)
        assert ours.poll(30)
        assert ours.recv() == ("ok", "pdf", 1)
        process.join(30)
        assert process.exitcode is not None  # and then it stops
    finally:
        if process.is_alive():
            process.kill()
        process.join()
        ours.close()
        os.close(started_read)
        os.close(started_write)
