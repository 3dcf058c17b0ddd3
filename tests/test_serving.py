"""``portal serve --workers N``: one supervisor hands each connection to the worker with the fewest open ones.

The server runs as real processes, as in production. Which worker holds a connection is read from Linux's
``/proc``: the server side of the connection is a socket inode, and exactly one worker has it open. Only
``/healthz`` is requested, which touches no database."""

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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.serving import Balancer, WorkerLoad

pytestmark = pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")

PORTAL = Path(sys.executable).parent / "portal"


# --- the choice ----------------------------------------------------------------------------------------


def test_balancer_gives_the_next_connection_to_the_worker_with_fewest() -> None:
    balancer = Balancer([WorkerLoad(ready=True, connections=3), WorkerLoad(ready=True, connections=1)])
    assert balancer.choose() == 1


def test_balancer_takes_turns_between_equals() -> None:
    balancer = Balancer([WorkerLoad(ready=True), WorkerLoad(ready=True), WorkerLoad(ready=True)])
    assert [balancer.choose() for _ in range(4)] == [0, 1, 2, 0]


def test_balancer_skips_workers_not_ready_and_excluded() -> None:
    balancer = Balancer([WorkerLoad(ready=False), WorkerLoad(ready=True, connections=9), WorkerLoad(ready=True)])
    assert balancer.choose() == 2
    assert balancer.choose(exclude=frozenset({2})) == 1
    assert balancer.choose(exclude=frozenset({1, 2})) is None
    assert Balancer([WorkerLoad(), WorkerLoad()]).choose() is None


# --- the processes -------------------------------------------------------------------------------------


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def workers(self) -> list[int]:
        """The supervisor's live worker processes (its children, less multiprocessing's resource tracker)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()]

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def serving(self) -> int:
        """How many times a worker has reported that it serves."""
        return len(re.findall(r"Worker \d+ \[\d+\] serving$", self.output(), re.MULTILINE))


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
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert served.process.poll() is None, served.output()
        if served.serving() >= workers:
            return
        time.sleep(0.1)
    raise AssertionError(f"not serving after 60 s:\n{served.output()}")


def _stop(served: Served) -> int:
    if served.process.poll() is None:
        served.process.send_signal(signal.SIGTERM)
    try:
        return served.process.wait(timeout=40)
    except subprocess.TimeoutExpired:
        served.process.kill()
        raise


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    served = _start(tmp_path_factory.mktemp("serving"), workers=2)
    try:
        _wait_until_serving(served, 2)
        yield served
    finally:
        _stop(served)


def _healthz(connection: http.client.HTTPConnection) -> int:
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    return response.status


def _open(served: Served) -> http.client.HTTPConnection:
    """A keep-alive connection that has been served once (so a worker has surely taken it)."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    assert _healthz(connection) == 200
    return connection


def _server_side_inodes(port: int) -> dict[int, int]:
    """Client port -> inode of the server side's socket, for established connections to ``port``."""
    inodes = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if state == "01" and int(local.split(":")[1], 16) == port:
            inodes[int(remote.split(":")[1], 16)] = inode
    return inodes


def _holder(connection: http.client.HTTPConnection, served: Served) -> int:
    """The worker process that holds the server side of ``connection``."""
    assert connection.sock is not None
    inode = _server_side_inodes(served.port)[connection.sock.getsockname()[1]]
    target = f"socket:[{inode}]"
    holders = []
    for pid in served.workers():
        fds = Path(f"/proc/{pid}/fd")
        if any(os.readlink(fd) == target for fd in fds.iterdir() if fd.is_symlink()):
            holders.append(pid)
    assert len(holders) == 1, f"{target} held by {holders}"
    return holders[0]


def _open_sockets(pid: int, served: Served) -> int:
    targets = {f"socket:[{inode}]" for inode in _server_side_inodes(served.port).values()}
    return sum(1 for fd in Path(f"/proc/{pid}/fd").iterdir() if fd.is_symlink() and os.readlink(fd) in targets)


def test_the_workers_run_with_two_malloc_arenas(two_workers: Served) -> None:
    """glibc reads MALLOC_ARENA_MAX when a process starts: each spawned worker has it in its environment."""
    workers = two_workers.workers()
    assert len(workers) == 2
    for pid in workers:
        assert b"MALLOC_ARENA_MAX=2" in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")


def test_connections_are_spread_evenly_and_refill_the_worker_that_has_fewest(two_workers: Served) -> None:
    workers = two_workers.workers()
    assert len(workers) == 2
    connections = [_open(two_workers) for _ in range(6)]
    try:
        holders = [_holder(connection, two_workers) for connection in connections]
        assert Counter(holders) == {workers[0]: 3, workers[1]: 3}

        # Two clients of one worker leave; the next two connections go to that worker, not one each.
        emptied = holders[0]
        leaving = [connection for connection, holder in zip(connections, holders, strict=True) if holder == emptied]
        for connection in leaving[:2]:
            connection.close()
            connections.remove(connection)
        deadline = time.monotonic() + 10
        while _open_sockets(emptied, two_workers) > 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)  # the worker's report of the closings reaches the supervisor (well within a second)
        arriving = [_open(two_workers) for _ in range(2)]
        connections += arriving
        assert [_holder(connection, two_workers) for connection in arriving] == [emptied, emptied]
    finally:
        for connection in connections:
            connection.close()


def _wait_for_replacement(served: Served, gone: int, serving_before: int) -> list[int]:
    """The worker processes once ``gone`` has been replaced and its replacement serves."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = served.workers()
        if len(now) == 2 and gone not in now and served.serving() > serving_before:
            return now
        time.sleep(0.1)
    raise AssertionError(f"no replacement worker:\n{served.output()}")


def _wait_for_output(served: Served, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in served.output():
        assert time.monotonic() < deadline, f"{text!r} not in:\n{served.output()}"
        time.sleep(0.1)


def test_a_worker_that_dies_is_replaced_and_the_portal_keeps_answering(two_workers: Served) -> None:
    before = two_workers.workers()
    serving_before = two_workers.serving()
    os.kill(before[0], signal.SIGKILL)
    now = _wait_for_replacement(two_workers, before[0], serving_before)
    assert before[1] in now
    assert "has stopped serving; starting another" in two_workers.output()
    _wait_for_output(two_workers, f"Worker [{before[0]}] ended (exit code -9)")
    holders = set()
    for _ in range(4):
        connection = _open(two_workers)
        holders.add(_holder(connection, two_workers))
        connection.close()
    assert holders == set(now)


def test_a_worker_told_to_stop_hands_back_new_connections_and_no_client_is_refused(two_workers: Served) -> None:
    before = two_workers.workers()
    serving_before = two_workers.serving()
    answers: list[object] = []
    stop = threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=10)
                answers.append(_healthz(connection))
                connection.close()
            except (OSError, http.client.HTTPException) as error:
                answers.append(repr(error))

    clients = [threading.Thread(target=client) for _ in range(3)]
    for thread in clients:
        thread.start()
    try:
        time.sleep(0.5)
        os.kill(before[0], signal.SIGTERM)
        _wait_for_replacement(two_workers, before[0], serving_before)
        time.sleep(0.5)
    finally:
        stop.set()
        for thread in clients:
            thread.join()
    assert len(answers) > 50
    assert Counter(answers) == {200: len(answers)}
    _wait_for_output(two_workers, f"Worker [{before[0]}] ended (exit code -15)")  # uvicorn re-raises the signal


def test_a_connection_given_just_before_its_worker_stops_is_still_answered(two_workers: Served) -> None:
    """The client has connected and the supervisor has handed the connection over, but the request is not
    yet sent when the worker is told to stop: the request is answered, then the connection closes."""
    serving_before = two_workers.serving()
    connection = http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=10)
    connection.connect()
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                holder = _holder(connection, two_workers)
                break
            except (AssertionError, KeyError):
                assert time.monotonic() < deadline, "no worker took the connection"
                time.sleep(0.05)
        os.kill(holder, signal.SIGTERM)
        _wait_for_output(two_workers, f"[{holder}] has stopped serving")  # its graceful shutdown has begun
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("connection") == "close"
        response.read()
    finally:
        connection.close()
    _wait_for_replacement(two_workers, holder, serving_before)
    _wait_for_output(two_workers, f"Worker [{holder}] ended (exit code -15)")


def _alive(pid: int) -> bool:
    """Running, not a zombie: a zombie has closed every file it had open."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_while_no_worker_can_serve_a_new_connection_waits_for_one(two_workers: Served) -> None:
    before = two_workers.workers()
    serving_before = two_workers.serving()
    for pid in before:
        os.kill(pid, signal.SIGKILL)
    # Once the supervisor knows (a connection handed to a worker in its last moment is lost with it, as are
    # those it held):
    for pid in before:
        _wait_for_output(two_workers, f"[{pid}] has stopped serving")
    connection = http.client.HTTPConnection("127.0.0.1", two_workers.port, timeout=60)
    try:
        assert _healthz(connection) == 200  # answered by a replacement
    finally:
        connection.close()
    assert two_workers.serving() > serving_before
    deadline = time.monotonic() + 60
    while two_workers.serving() < serving_before + 2 or len(two_workers.workers()) != 2:
        assert time.monotonic() < deadline, two_workers.output()
        time.sleep(0.1)
    assert not set(before) & set(two_workers.workers())


def test_sigterm_stops_the_supervisor_and_every_worker(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2)
    _wait_until_serving(served, 2)
    workers = served.workers()
    connection = _open(served)
    connection.close()
    assert _stop(served) == 0
    assert not any(_alive(pid) for pid in workers)
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", served.port), timeout=2).close()


def test_a_worker_that_cannot_start_stops_the_server_instead_of_restarting_it(tmp_path: Path) -> None:
    served = _start(tmp_path, workers=2, PORTAL_DATABASE_URL="nosuchdatabase://nowhere")
    try:
        status = served.process.wait(timeout=60)
    finally:
        if served.process.poll() is None:
            served.process.kill()
    assert status == 1
    output = served.output()
    assert "stopped before it could serve" in output
    assert "starting another" not in output
