"""``portal serve --workers N`` under gunicorn: a worker whose event loop hangs is replaced, SIGHUP reloads
without refusing a client, a request in flight at a reload is answered, a worker is recycled after its
requests; and the serving settings. Real processes over real sockets, as in ``tests/test_serving.py``."""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import time
from collections import Counter
from pathlib import Path

import pytest
from pydantic import ValidationError

from app.settings import Settings
from tests.test_serving import (
    SERVING,
    _answers,
    _healthz,
    _start,
    _stop,
    _wait_for_output,
    _wait_for_replacement,
    _wait_until_serving,
    clients_during,
)

pytestmark = pytest.mark.skipif(not Path("/proc").exists(), reason="reads Linux's /proc")


def test_a_worker_whose_event_loop_hangs_is_killed_and_replaced(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_WORKER_TIMEOUT="3")
    before: list[int] = []
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        serving_before = served.serving()
        os.kill(before[0], signal.SIGSTOP)  # its event loop checks in no more
        now = _wait_for_replacement(served, {before[0]}, serving_before)
        assert before[1] in now
        output = served.output()
        assert f"WORKER TIMEOUT (pid:{before[0]})" in output
        assert f"Worker (pid:{before[0]}) was sent SIGKILL!" in output
        assert Counter(_answers(served) for _ in range(6)) == {200: 6}
    finally:
        for pid in before[:1]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        _stop(served)


def test_a_worker_whose_event_loop_runs_is_never_taken_for_hung(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_WORKER_TIMEOUT="2")
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        for _ in range(40):  # four seconds, twice the timeout, of requests now and then
            assert _answers(served) == 200
            time.sleep(0.1)
        time.sleep(2)  # and as long again idle
        assert served.workers() == before
        assert "WORKER TIMEOUT" not in served.output()
    finally:
        _stop(served)


def test_sighup_starts_new_workers_then_stops_the_old_and_no_client_is_refused(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2)
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        serving_before = served.serving()

        def reload() -> None:
            served.process.send_signal(signal.SIGHUP)
            _wait_for_replacement(served, set(before), serving_before)

        answers = clients_during(served, reload)
        assert len(answers) > 20
        assert Counter(answers) == {200: len(answers)}
        output = served.output()
        assert "the old workers serve until the new ones do" in output
        for pid in before:
            # told to stop only after the new workers said that they serve
            stopped_at = output.index(f"Worker (pid:{pid}) replaced; stopping it")
            assert output.count(SERVING, 0, stopped_at) >= serving_before + 2, output
        assert served.process.poll() is None
    finally:
        _stop(served)


def test_a_reload_whose_workers_cannot_load_the_portal_leaves_the_old_workers_serving(tmp_path: Path) -> None:
    """A broken installation (here: the generated secret key made unreadable) must not take the portal down at a
    reload: gunicorn stops the whole server when a worker fails to boot; here the reload is given up."""
    served = _start(tmp_path, workers=2, PORTAL_SECRET_KEY="")  # the key generated into the data folder
    key = tmp_path / "data" / "secret_key"
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        text = key.read_text()
        key.unlink()
        key.mkdir()  # every new worker's create_app fails reading it
        served.process.send_signal(signal.SIGHUP)
        _wait_for_output(served, "Reload given up")
        deadline = time.monotonic() + 30
        while served.workers() != before and time.monotonic() < deadline:
            time.sleep(0.1)  # the new workers stopped and reaped
        assert served.process.poll() is None, served.output()
        assert served.workers() == before
        assert Counter(_answers(served) for _ in range(6)) == {200: 6}

        key.rmdir()
        key.write_text(text)  # the installation mended: the next reload goes through
        serving_before = served.serving()
        served.process.send_signal(signal.SIGHUP)
        now = _wait_for_replacement(served, set(before), serving_before)
        assert not set(now) & set(before)
        assert _answers(served) == 200 and served.process.poll() is None
    finally:
        with contextlib.suppress(OSError):
            key.rmdir()
        _stop(served)


def test_a_request_in_flight_at_sighup_is_answered_by_the_old_worker(tmp_path: Path) -> None:
    """A form post whose body is half sent when the reload begins: the old worker waits for the rest and
    answers it before it stops (uvicorn's graceful shutdown under gunicorn's graceful timeout)."""
    served = _start(tmp_path, workers=2)
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        body = b"email=someone%40example.org&password=wrong-password"
        with socket.create_connection(("127.0.0.1", served.port), timeout=30) as connection:
            connection.sendall(
                b"POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body[:10]
            )
            time.sleep(0.5)  # the request has reached a worker, which waits for its body
            served.process.send_signal(signal.SIGHUP)
            for pid in before:
                _wait_for_output(served, f"[{pid}] [INFO] Shutting down")
            connection.sendall(body[10:])
            answer = connection.recv(65536)
        assert answer.startswith(b"HTTP/1.1 "), answer[:200]
        status = int(answer.split(b" ", 2)[1])
        assert status < 500, answer[:500]  # answered by the portal (the form's own refusal), not dropped
        assert served.process.poll() is None
    finally:
        _stop(served)


def test_a_worker_is_replaced_after_its_maximum_of_requests(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_WORKER_MAX_REQUESTS="10")
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        serving_before = served.serving()
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
        answers, retried = [], 0
        for _ in range(11):  # on one connection, so one worker: 10 or 11 requests (a tenth more at most)
            try:
                answers.append(_healthz(connection))
            except (http.client.RemoteDisconnected, ConnectionResetError):
                # The retiring worker closed the kept-alive connection between two requests (a request sent
                # after it noticed its limit): a client sends an idempotent request again on a new connection
                # (RFC 9112, 9.3.1), as browsers do. Only a request already being answered must not be lost.
                retried += 1
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
                answers.append(_healthz(connection))
        connection.close()
        assert Counter(answers) == {200: 11} and retried <= 1
        _wait_for_output(served, "Maximum request limit of")
        recycled = {pid for pid in before if f"[{pid}] [INFO] Maximum request limit of" in served.output()}
        assert len(recycled) == 1
        now = _wait_for_replacement(served, recycled, serving_before)
        assert set(before) - recycled <= set(now)  # the other worker served on
        assert _answers(served) == 200
    finally:
        _stop(served)


@pytest.mark.parametrize(("name", "value"), [("worker_timeout", 1), ("worker_max_requests", -1)])
def test_serving_settings_out_of_range_stop_the_start(name: str, value: object) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value})  # type: ignore[arg-type]


def test_serving_settings_default_to_gunicorns_timeout_and_no_recycling(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("PORTAL_WORKER_TIMEOUT", "PORTAL_WORKER_MAX_REQUESTS"):
        monkeypatch.delenv(variable, raising=False)
    settings = Settings()
    assert (settings.worker_timeout, settings.worker_max_requests) == (30, 0)
