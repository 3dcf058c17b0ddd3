"""What the benchmarks that run ``portal serve`` share: starting and stopping it, its processes, their CPU and memory."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def log(message: str) -> None:
    print(f"# {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def portal_command(*, port: int, workers: int) -> list[str]:
    """``portal serve`` as in production: gunicorn's arbiter with the portal's uvicorn workers."""
    bin_dir = Path(sys.executable).parent
    return [str(bin_dir / "portal"), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]


def wait_until_up(process: subprocess.Popen[bytes], port: int, path: str, log_file: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server stopped:\n{log_file.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", path)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer {path} within {seconds:.0f} s")


def start(
    command: list[str], *, env: dict[str, str], cwd: Path, port: int, log_file: Path, ready_path: str
) -> subprocess.Popen[bytes]:
    """A server in its own process group; returns once ``ready_path`` answers 200."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=log_file.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    wait_until_up(process, port, ready_path, log_file)
    return process


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group this script started (the arbiter and its workers)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def _parents() -> dict[int, int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    return parents


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (from /proc)."""
    parents = _parents()
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        tree += frontier
    return tree


def children(root: int) -> list[int]:
    """The processes ``root`` started itself: the arbiter's workers."""
    return [pid for pid, parent in _parents().items() if parent == root]


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds used so far by the processes (and their children that ended)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(value) for value in fields[11:15])
    return total / ticks


def rss_mb(pid: int) -> float:
    """Resident memory of one process (VmRSS), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` 0.5 or 0.99) of a non-empty list."""
    import math

    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def machine() -> str:
    """One line naming the machine: host, cores, CPU model, Python."""
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{platform.node()}: {os.cpu_count()} cores {model}, Python {platform.python_version()}"


@contextmanager
def fresh_database(kind: str, data_dir: Path, pg_server: str, *, prefix: str) -> Iterator[str]:
    """A URL to an empty database: a SQLite file in the data folder, or a new PostgreSQL database
    (``{prefix}_{pid}``) dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{data_dir / 'portal.db'}"
        return
    import psycopg

    name = f"{prefix}_{os.getpid()}"
    admin = pg_server.replace("postgresql+psycopg://", "postgresql://").rstrip("/") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server.rstrip("/") + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
