"""``portal serve --workers N``: a worker whose event loop hangs is replaced, SIGHUP reloads without refusing a
client, a worker is recycled after its requests; and the same portal under gunicorn.

Real processes over real sockets, as in ``tests/test_serving.py``; only ``/healthz`` is requested."""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import signal
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
import uvicorn
from pydantic import ValidationError

from app.serving import Supervisor
from app.serving.arbiter import gunicorn_command
from app.settings import Settings
from tests.test_serving import (
    Served,
    _healthz,
    _holder,
    _open,
    _start,
    _stop,
    _wait_for_output,
    _wait_for_replacement,
    _wait_until_serving,
)

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")


def _clients_during(served: Served, event: Callable[[], None], count: int = 3) -> list[object]:
    """What clients making one request per connection were answered while ``event`` ran (and half a second
    before and after it)."""
    answers: list[object] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
                answers.append(_healthz(connection))
                connection.close()
            except (OSError, http.client.HTTPException) as error:
                answers.append(repr(error))

    threads = [threading.Thread(target=client) for _ in range(count)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(0.5)
        event()
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return answers


def test_a_worker_whose_event_loop_hangs_is_killed_and_replaced(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_WORKER_TIMEOUT="3")
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        serving_before = served.serving()
        os.kill(before[0], signal.SIGSTOP)  # its event loop answers nothing any more
        now = _wait_for_replacement(served, before[0], serving_before)
        assert before[1] in now
        output = served.output()
        assert re.search(rf"Worker \d \[{before[0]}\] has not answered for 3 s; killed", output), output
        assert f"[{before[0]}] did not answer; starting another." in output
        _wait_for_output(served, f"Worker [{before[0]}] ended (exit code -9)")  # SIGTERM waits while stopped
        holders = set()
        for _ in range(4):
            connection = _open(served)
            holders.add(_holder(connection, served))
            connection.close()
        assert holders == set(now)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.kill(before[0], signal.SIGKILL)
        _stop(served)


def test_a_worker_whose_event_loop_runs_is_never_taken_for_hung(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_WORKER_TIMEOUT="2")
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        connection = _open(served)
        for _ in range(40):  # four seconds, twice the timeout, of requests now and then
            assert _healthz(connection) == 200
            time.sleep(0.1)
        connection.close()
        assert served.workers() == before
        assert "has not answered" not in served.output()
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
            deadline = time.monotonic() + 60
            while served.serving() < serving_before + 2 or set(served.workers()) & set(before):
                assert time.monotonic() < deadline, served.output()
                time.sleep(0.1)

        answers = _clients_during(served, reload)
        assert len(answers) > 50
        assert Counter(answers) == {200: len(answers)}
        assert len(served.workers()) == 2
        output = served.output()
        assert "SIGHUP received, starting 2 new workers" in output
        for pid in before:
            assert re.search(rf"Worker \d \[{pid}\] replaced by \[\d+\]; stopping it", output), output
            _wait_for_output(served, f"Worker [{pid}] ended (exit code -15)")
        assert "starting another" not in output
        assert served.process.poll() is None
    finally:
        _stop(served)


def test_a_request_in_flight_at_sighup_is_answered_by_the_old_worker(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2)
    try:
        _wait_until_serving(served, 2)
        with socket.create_connection(("127.0.0.1", served.port), timeout=10) as connection:
            connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # its end not yet sent
            client = http.client.HTTPConnection("127.0.0.1", served.port)
            client.sock = connection
            deadline = time.monotonic() + 10
            while True:
                try:
                    holder = _holder(client, served)
                    break
                except (AssertionError, KeyError):
                    assert time.monotonic() < deadline, "no worker took the connection"
                    time.sleep(0.05)
            served.process.send_signal(signal.SIGHUP)
            _wait_for_output(served, f"[{holder}] replaced by")
            time.sleep(0.5)  # its graceful shutdown has begun
            connection.sendall(b"\r\n")
            response = http.client.HTTPResponse(connection)
            response.begin()
            assert response.status == 200
            assert response.read() != b""
        _wait_for_output(served, f"Worker [{holder}] ended (exit code -15)")
    finally:
        _stop(served)


def test_a_worker_is_replaced_after_its_maximum_of_requests(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_WORKER_MAX_REQUESTS="10")
    try:
        _wait_until_serving(served, 2)
        before = served.workers()
        connection = _open(served)
        first = _holder(connection, served)
        for _ in range(11):  # 10 or 11 requests (a tenth more at most), the first included
            assert _healthz(connection) == 200
        connection.close()
        _wait_for_output(served, f"[{first}] has served its requests; replacing it")
        _wait_for_output(served, f"[{first}] replaced by")
        _wait_for_output(served, f"Worker [{first}] ended (exit code -15)")
        now = served.workers()
        assert len(now) == 2
        assert first not in now
        assert set(before) - {first} <= set(now)
        assert "starting another" not in served.output()
        assert _healthz(_open(served)) == 200
    finally:
        _stop(served)


def test_gunicorn_serves_the_portal_with_the_same_settings(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_SERVER="gunicorn", PORTAL_WORKER_TIMEOUT="20")
    try:
        deadline = time.monotonic() + 60
        while "Application startup complete" not in served.output() or served.output().count("Booting worker") < 2:
            assert served.process.poll() is None, served.output()
            assert time.monotonic() < deadline, served.output()
            time.sleep(0.1)
        connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
        assert _healthz(connection) == 200
        connection.close()
        assert "Using worker: uvicorn_worker.UvicornWorker" in served.output()
    finally:
        assert _stop(served) == 0


def test_gunicorn_command_carries_workers_timeout_graceful_stop_and_recycling() -> None:
    command = gunicorn_command(host="127.0.0.1", port=8123, workers=3, timeout=20, max_requests=1000)
    assert command[1:4] == ["-m", "gunicorn", "app.main:create_app()"]
    options = dict(zip(command[4::2], command[5::2], strict=True))
    assert options == {
        "--worker-class": "uvicorn_worker.UvicornWorker",
        "--workers": "3",
        "--bind": "127.0.0.1:8123",
        "--timeout": "20",
        "--graceful-timeout": "35",
        "--keep-alive": "5",
        "--log-level": "info",
        "--access-logfile": "-",
        "--max-requests": "1000",
        "--max-requests-jitter": "100",
    }
    assert "--max-requests" not in gunicorn_command(host="::1", port=1, workers=1, timeout=30, max_requests=0)


# --- replacements, without processes --------------------------------------------------------------------


class _Process:
    """Stands for a worker process: the supervisor's choices are under test, not the worker."""

    pids = iter(range(90001, 99999))

    def __init__(self, **_kwargs: object) -> None:
        self.pid = next(self.pids)
        self.terminated = False
        self.exitcode = None

    def start(self) -> None:
        pass

    def is_alive(self) -> bool:
        return True

    def terminate(self) -> None:
        self.terminated = True


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    """A supervisor with one worker serving (worker 0)."""
    supervisor = Supervisor(uvicorn.Config("app.main:create_app", factory=True), 1)
    supervisor._context = SimpleNamespace(Process=_Process)  # type: ignore[assignment]
    supervisor._start(0)
    supervisor._serving(0, supervisor.workers[0])
    yield supervisor
    for entry in supervisor.workers.values():
        entry.channel.close()
    supervisor.selector.close()


def test_a_replacement_that_fails_to_start_leaves_the_old_worker_serving(supervisor: Supervisor) -> None:
    supervisor._reload()
    assert supervisor.workers[1].replaces == 0
    supervisor._forget(1)  # its channel closed before it said READY
    assert list(supervisor.workers) == [0]
    assert supervisor.workers[0].load.ready is True
    assert not supervisor.workers[0].process.terminated  # type: ignore[attr-defined]
    assert (supervisor.failed, supervisor.stopping) == (False, False)


def test_a_replacement_that_serves_retires_the_old_worker_which_is_then_not_replaced(
    supervisor: Supervisor,
) -> None:
    supervisor._reload()
    supervisor._serving(1, supervisor.workers[1])
    old = supervisor.workers[0]
    assert (old.retiring, old.load.ready, old.process.terminated) == (True, False, True)  # type: ignore[attr-defined]
    supervisor._forget(0)
    assert list(supervisor.workers) == [1]
    assert supervisor.balancer.choose() == 0  # the only worker left: the new one


@pytest.mark.parametrize(
    ("name", "value"), [("worker_timeout", 1), ("worker_max_requests", -1), ("server", "waitress")]
)
def test_serving_settings_out_of_range_stop_the_start(name: str, value: object) -> None:
    with pytest.raises(ValidationError, match=name):
        Settings(**{name: value})  # type: ignore[arg-type]


def test_serving_settings_default_to_the_supervisor_with_gunicorns_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("PORTAL_SERVER", "PORTAL_WORKER_TIMEOUT", "PORTAL_WORKER_MAX_REQUESTS"):
        monkeypatch.delenv(variable, raising=False)
    settings = Settings()
    assert (settings.server, settings.worker_timeout, settings.worker_max_requests) == ("supervisor", 30, 0)
