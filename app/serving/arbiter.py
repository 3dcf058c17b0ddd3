"""gunicorn's arbiter with uvicorn workers (``uvicorn_worker.UvicornWorker``), the alternative to the balancing
supervisor: ``PORTAL_SERVER=gunicorn`` or ``portal serve --server gunicorn``.

The same app factory, the same number of workers, the same worker timeout, graceful stop and recycling
settings. The ``portal`` process becomes gunicorn's arbiter (``exec``, so a service manager's signals reach it:
SIGTERM stops, SIGHUP reloads); the arbiter imports none of the portal, so every worker loads the code anew."""

from __future__ import annotations

import os
import sys

from app.serving.supervisor import STOP_SECONDS

WORKER_CLASS = "uvicorn_worker.UvicornWorker"
KEEP_ALIVE_SECONDS = 5
"""uvicorn's own default; gunicorn's (2 s) would be passed to its uvicorn workers otherwise."""


def gunicorn_command(*, host: str, port: int, workers: int, timeout: float, max_requests: int) -> list[str]:
    """The command line of gunicorn serving the portal as ``portal serve`` would."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
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
        "-",  # uvicorn's access log, as under the supervisor
    ]
    if max_requests:
        command += ["--max-requests", str(max_requests), "--max-requests-jitter", str(max(1, max_requests // 10))]
    return command


def exec_gunicorn(*, host: str, port: int, workers: int, timeout: float, max_requests: int) -> None:
    """Replace this process with gunicorn's arbiter (does not return)."""
    command = gunicorn_command(host=host, port=port, workers=workers, timeout=timeout, max_requests=max_requests)
    sys.stdout.flush()
    os.execv(command[0], command)  # noqa: S606 (a fixed command, no shell)
