"""``portal serve --workers N``: gunicorn's arbiter with the portal's uvicorn workers, as real processes.

The server runs as in production: ``portal serve`` becomes the arbiter, its children are the workers. Only
``/healthz`` (and one unauthenticated form) is requested, which touches no database."""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.serving.arbiter import gunicorn_command
from app.serving.workers import REQUESTS_PER_CONNECTION

pytestmark = pytest.mark.skipif(not Path("/proc").exists(), reason="reads Linux's /proc")

PORTAL = Path(sys.executable).parent / "portal"
SERVING = "Application startup complete."


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def workers(self) -> list[int]:
        """The arbiter's live worker processes (its children that are not zombies)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children if _alive(int(pid))]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def serving(self) -> int:
        """How many times a worker has said that it serves."""
        return self.output().count(SERVING)


def _alive(pid: int) -> bool:
    """Running, not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start(tmp_path: Path, workers: int, **env: str) -> Served:
    port = _free_port()
    log = tmp_path / f"serve-{port}.log"
    environment = {
        **os.environ,
        "PORTAL_DATA_DIR": str(tmp_path / "data"),
        "PORTAL_SECRET_KEY": "serving-test-secret",
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
        **env,
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [str(PORTAL), "serve", "--port", str(port), "--workers", str(workers)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Served(process, port, log)


def _wait_until_serving(served: Served, workers: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert served.process.poll() is None, served.output()
        if served.serving() >= workers and len(served.workers()) == workers:
            return
        time.sleep(0.1)
    raise AssertionError(f"not serving after 90 s:\n{served.output()}")


def _stop(served: Served) -> int:
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
    try:
        return served.process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        served.process.kill()
        raise


def _healthz(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status


def _answers(served: Served) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=30)
    try:
        return _healthz(connection)
    finally:
        connection.close()


def _wait_for_output(served: Served, text: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while text not in served.output():
        assert time.monotonic() < deadline, f"{text!r} not in:\n{served.output()}"
        time.sleep(0.1)


def _wait_for_replacement(served: Served, gone: set[int], serving_before: int, workers: int = 2) -> list[int]:
    """The worker processes once every one of ``gone`` has been replaced and the replacements serve."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        now = served.workers()
        if len(now) == workers and not gone & set(now) and served.serving() >= serving_before + len(gone):
            return now
        time.sleep(0.1)
    raise AssertionError(f"no replacement worker:\n{served.output()}")


def clients_during(served: Served, event: Callable[[], None], count: int = 3) -> list[object]:
    """What clients making one request per connection were answered while ``event`` ran (and half a second
    before and after it)."""
    answers: list[object] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                answers.append(_answers(served))
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


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = _start(tmp_path_factory.mktemp("serving"), workers=2)
    try:
        _wait_until_serving(served, 2)
        yield served
    finally:
        _stop(served)


def test_the_arbiter_runs_the_portals_workers_and_answers(two_workers: Served) -> None:
    assert len(two_workers.workers()) == 2
    assert "Using worker: app.serving.workers.PortalWorker" in two_workers.output()
    assert Counter(_answers(two_workers) for _ in range(10)) == {200: 10}


def test_a_worker_that_dies_is_replaced_and_the_portal_keeps_answering(two_workers: Served) -> None:
    before = two_workers.workers()
    serving_before = two_workers.serving()
    os.kill(before[0], signal.SIGKILL)
    now = _wait_for_replacement(two_workers, {before[0]}, serving_before)
    assert before[1] in now
    assert f"Worker (pid:{before[0]}) was sent SIGKILL!" in two_workers.output()
    assert Counter(_answers(two_workers) for _ in range(6)) == {200: 6}


def test_a_worker_told_to_stop_is_replaced_and_no_client_is_refused(two_workers: Served) -> None:
    before = two_workers.workers()
    serving_before = two_workers.serving()

    def stop_one() -> None:
        os.kill(before[0], signal.SIGTERM)
        _wait_for_replacement(two_workers, {before[0]}, serving_before)

    answers = clients_during(two_workers, stop_one)
    assert len(answers) > 50
    assert Counter(answers) == {200: len(answers)}


def _server_side_inodes(port: int) -> dict[int, int]:
    """Client port -> inode of the server side's socket, for established connections to ``port``."""
    inodes = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if state == "01" and int(local.split(":")[1], 16) == port:
            inodes[int(remote.split(":")[1], 16)] = inode
    return inodes


def _holder(connection: socket.socket, served: Served) -> int | None:
    """The worker process that has accepted the server side of ``connection``, if one has."""
    inode = _server_side_inodes(served.port).get(connection.getsockname()[1])
    target = f"socket:[{inode}]"
    for pid in served.workers():
        fds = Path(f"/proc/{pid}/fd")
        if any(os.readlink(fd) == target for fd in fds.iterdir() if fd.is_symlink()):
            return pid
    return None


def test_a_connection_accepted_just_before_its_worker_stops_is_still_answered(two_workers: Served) -> None:
    """The client has connected and a worker has accepted the connection, but the request is not yet sent when
    the worker is told to stop: the request is answered, then the connection closes."""
    serving_before = two_workers.serving()
    with socket.create_connection(("127.0.0.1", two_workers.port), timeout=30) as connection:
        deadline = time.monotonic() + 10
        while (holder := _holder(connection, two_workers)) is None:
            assert time.monotonic() < deadline, "no worker accepted the connection"
            time.sleep(0.05)
        os.kill(holder, signal.SIGTERM)
        _wait_for_output(two_workers, f"[{holder}] [INFO] Shutting down")  # its graceful shutdown has begun
        time.sleep(0.3)
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b"connection: close" in answer.lower()
    _wait_for_replacement(two_workers, {holder}, serving_before)


def test_a_keep_alive_connection_is_closed_after_its_share_of_requests(two_workers: Served) -> None:
    """A long-lived connection stays with the worker that accepted it; after ``REQUESTS_PER_CONNECTION`` answers
    it is closed (``Connection: close``, as nginx's ``keepalive_requests``) and the client opens another, which
    the worker free to accept it takes."""
    connection = http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=30)
    try:
        answers = []
        for _ in range(REQUESTS_PER_CONNECTION):
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            answers.append((response.status, response.getheader("connection")))
        assert answers[:-1] == [(200, None)] * (REQUESTS_PER_CONNECTION - 1)  # kept alive until then
        assert answers[-1] == (200, "close")
        assert connection.sock is None  # the client saw the close
        assert _healthz(connection) == 200  # and opens anew
    finally:
        connection.close()


def test_the_workers_run_with_two_malloc_arenas(two_workers: Served) -> None:
    """glibc reads MALLOC_ARENA_MAX when a process starts: each worker has it in its environment."""
    workers = two_workers.workers()
    assert len(workers) == 2
    for pid in workers:
        assert b"MALLOC_ARENA_MAX=2" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


def test_sigterm_stops_the_arbiter_and_every_worker(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2)
    _wait_until_serving(served, 2)
    workers = served.workers()
    assert _answers(served) == 200
    assert _stop(served) == 0
    assert not any(_alive(pid) for pid in workers)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", served.port), timeout=2).close()


def test_a_worker_that_cannot_start_stops_the_server_instead_of_restarting_it(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_DATABASE_URL="nosuchdatabase://nowhere")
    try:
        status = served.process.wait(timeout=90)
    finally:
        if served.process.poll() is None:
            served.process.kill()
    assert status != 0
    output = served.output()
    assert "Worker failed to boot" in output
    assert len(re.findall(r"Booting worker with pid", output)) <= 2


def test_gunicorn_command_carries_workers_timeout_graceful_stop_and_recycling() -> None:
    command = gunicorn_command(host="127.0.0.1", port=8123, workers=3, timeout=20, max_requests=1000)
    assert command[1:4] == ["-m", "app.serving.arbiter", "app.main:create_app()"]
    options = [argument for argument in command[4:] if argument != "--no-control-socket"]
    assert dict(zip(options[::2], options[1::2], strict=True)) == {
        "--worker-class": "app.serving.workers.PortalWorker",
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
    assert "--no-control-socket" in command
    assert "--max-requests" not in gunicorn_command(host="::1", port=1, workers=1, timeout=30, max_requests=0)
    assert "[::1]:1" in gunicorn_command(host="::1", port=1, workers=1, timeout=30, max_requests=0)


def test_the_workers_leave_the_client_address_to_the_portal() -> None:
    """uvicorn would take the client's address from X-Forwarded-For on connections from 127.0.0.1; the portal
    reads that header itself, only from PORTAL_TRUSTED_PROXIES (tests/test_security.py covers that rule)."""
    from app.serving.workers import PortalWorker

    assert PortalWorker.CONFIG_KWARGS["proxy_headers"] is False
