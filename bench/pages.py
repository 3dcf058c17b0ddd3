"""Public pages against the framework's ceiling: anonymous visitors, wrk at 16 connections, in one run.

Starts the yardstick, the smallest FastAPI + Jinja2 page (``../shared/bench/ceiling_app.py``, run as it is with
uvicorn and 2 workers, its async route ``/cfp``), and the portal as in production (``portal serve --workers 2``,
``PORTAL_PRODUCTION=1``, a fixed secret key) on a fresh SQLite database made by the migrations and holding the
seeded challenges (``portal challenges load --publish --demo``, as ``make run`` does). Both stay up; each target is
first checked (status 200 and the page it should be), warmed up, then measured with wrk (Debian's package) in
three rounds interleaved: the ceiling, the portal's challenge list ``/``, a challenge page
``/challenges/counter-uas``, the public API ``/api/v1/challenges/counter-uas``, and the list and the challenge page
in English (the language cookie). The figures are the medians of the rounds.

Run: ``.venv/bin/python bench/pages.py``. Ends with one line:
``pages ceiling_rps=... list_rps=... challenge_rps=... api_rps=... list_vs_ceiling=... challenge_vs_ceiling=...
api_vs_ceiling=... worker_rss_mb=...`` (``worker_rss_mb``: the largest resident memory of a portal worker after
the run). Target: list, challenge page and API each at 0.5 of the ceiling or more; workers under 100 MB.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from common import ROOT, children, cpu_seconds, log, machine, portal_command, process_tree, rss_mb, start, stop

CEILING = ROOT.parent / "shared" / "bench" / "ceiling_app.py"
SECRET = "bench-pages-secret-key-not-for-production"
SLUG = "counter-uas"


@dataclass
class Target:
    name: str
    server: str  # "ceiling" or "portal"
    path: str
    expect: str  # text the page must hold, so an error page is never measured
    cookie: str = ""
    rps: list[float] = field(default_factory=list)
    p50_ms: list[float] = field(default_factory=list)
    p99_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    bytes_per_response: list[float] = field(default_factory=list)
    errors: int = 0


def targets() -> list[Target]:
    return [
        Target("ceiling", "ceiling", "/cfp", "Call for proposals"),
        Target("list", "portal", "/", "drones detecteren"),
        Target("challenge", "portal", f"/challenges/{SLUG}", "Probleemstelling"),
        Target("api", "portal", f"/api/v1/challenges/{SLUG}", f'"slug":"{SLUG}"'),
        Target("list_en", "portal", "/", "detect, identify and neutralise", cookie="portal_lang=en"),
        Target("challenge_en", "portal", f"/challenges/{SLUG}", "Problem statement", cookie="portal_lang=en"),
    ]


@dataclass
class WrkResult:
    rps: float
    requests: int
    bytes_read: float
    p50_ms: float
    p99_ms: float
    errors: int


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}
SIZES = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()  # type: ignore[union-attr]
    return float(number) * UNITS[unit]


def wrk(url: str, *, seconds: float, connections: int, threads: int, cookie: str) -> WrkResult:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = re.search(r"(\d+) requests in [\d.]+\w+, ([\d.]+)(B|KB|MB|GB) read", out)
    assert total is not None, out
    p50 = re.search(r"50%\s+([\d.]+\w+)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    return WrkResult(
        rps=rps,
        requests=int(total.group(1)),
        bytes_read=float(total.group(2)) * SIZES[total.group(3)],
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
        errors=failed,
    )


def check(url: str, target: Target) -> None:
    request = urllib.request.Request(url, headers={"Cookie": target.cookie} if target.cookie else {})
    with urllib.request.urlopen(request, timeout=30) as response:
        body = response.read().decode("utf-8")
        if response.status != 200 or target.expect not in body:
            raise RuntimeError(f"{target.name}: {url} answered {response.status} without {target.expect!r}")


def prepare(data_dir: Path, env: dict[str, str], code: Path) -> None:
    """Schema by the migrations, then the seeded challenges loaded and published as ``make run`` does."""
    portal = str(Path(sys.executable).parent / "portal")
    subprocess.run([portal, "migrate"], cwd=code, env=env, check=True, capture_output=True)
    loaded = subprocess.run(
        [portal, "challenges", "load", "--publish", "--demo"], cwd=code, env=env, capture_output=True, text=True
    )
    if loaded.returncode not in (0, 3):
        raise RuntimeError(f"loading the challenges failed:\n{loaded.stdout}\n{loaded.stderr}")


def run(args: argparse.Namespace) -> list[str]:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    work = Path(tempfile.mkdtemp(prefix="bench-pages-"))
    data_dir = work / "data"
    data_dir.mkdir()
    ceiling_port, portal_port = args.port, args.port + 1
    env = {
        **os.environ,
        "PYTHONPATH": str(args.code),  # this tree's code, not whatever the virtual environment has installed
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_DATABASE_URL": f"sqlite:///{data_dir / 'portal.db'}",
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_PRODUCTION": "1",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{portal_port}",
        "PORTAL_CHALLENGES_DIR": str(args.code / "challenges"),
    }
    servers: dict[str, subprocess.Popen[bytes]] = {}
    try:
        prepare(data_dir, env, args.code)
        ceiling_command = [sys.executable, "-m", "uvicorn", "ceiling_app:app", "--host", "127.0.0.1"]
        ceiling_command += ["--port", str(ceiling_port), "--workers", str(args.workers), "--no-access-log"]
        ceiling_command += ["--log-level", "warning"]
        servers["ceiling"] = start(
            ceiling_command, env=dict(os.environ), cwd=args.ceiling.parent, port=ceiling_port,
            log_file=work / "ceiling.log", ready_path="/cfp",
        )  # fmt: skip
        servers["portal"] = start(
            portal_command(port=portal_port, workers=args.workers),
            env=env, cwd=args.code, port=portal_port, log_file=work / "portal.log", ready_path="/healthz",
        )  # fmt: skip
        ports = {"ceiling": ceiling_port, "portal": portal_port}
        chosen = [target for target in targets() if not args.only or target.name in args.only]
        for target in chosen:
            check(f"http://127.0.0.1:{ports[target.server]}{target.path}", target)
        trees = {name: process_tree(process.pid) for name, process in servers.items()}
        log(f"{machine()}; portal under gunicorn, {args.workers} workers; wrk -t{args.threads} -c{args.connections}")
        for target in chosen:
            url = f"http://127.0.0.1:{ports[target.server]}{target.path}"
            wrk(url, seconds=args.warmup, connections=args.connections, threads=args.threads, cookie=target.cookie)
        for round_number in range(1, args.rounds + 1):
            for target in chosen:
                url = f"http://127.0.0.1:{ports[target.server]}{target.path}"
                before = cpu_seconds(trees[target.server])
                result = wrk(
                    url, seconds=args.seconds, connections=args.connections, threads=args.threads, cookie=target.cookie
                )
                used = cpu_seconds(trees[target.server]) - before
                target.rps.append(result.rps)
                target.p50_ms.append(result.p50_ms)
                target.p99_ms.append(result.p99_ms)
                target.cpu_ms.append(1000 * used / max(1, result.requests))
                target.bytes_per_response.append(result.bytes_read / max(1, result.requests))
                target.errors += result.errors
                log(
                    f"round {round_number} {target.name:13} {result.rps:8.0f} req/s  p50 {result.p50_ms:6.2f} ms  "
                    f"p99 {result.p99_ms:6.2f} ms  server CPU {target.cpu_ms[-1]:.3f} ms/req  "
                    f"{target.bytes_per_response[-1] / 1024:.1f} KB/resp  errors {result.errors}"
                )
        workers = children(servers["portal"].pid)
        worker_rss = max((rss_mb(pid) for pid in workers), default=float("nan"))
        if args.keep:
            log(f"data kept in {work}")
    finally:
        for process in servers.values():
            stop(process)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)

    by_name = {target.name: target for target in chosen}
    for target in chosen:
        log(
            f"median {target.name:13} {statistics.median(target.rps):8.0f} req/s  "
            f"p99 {statistics.median(target.p99_ms):6.2f} ms  CPU {statistics.median(target.cpu_ms):.3f} ms/req  "
            f"{statistics.median(target.bytes_per_response) / 1024:.1f} KB  errors {target.errors}"
        )

    def rps(name: str) -> float:
        return statistics.median(by_name[name].rps) if name in by_name else float("nan")

    ceiling = rps("ceiling")
    lines = []
    if "list_en" in by_name or "challenge_en" in by_name:
        lines.append(
            f"pages_en list_rps={rps('list_en'):.0f} challenge_rps={rps('challenge_en'):.0f} "
            f"list_vs_ceiling={rps('list_en') / ceiling:.2f} challenge_vs_ceiling={rps('challenge_en') / ceiling:.2f}"
        )
    errors = sum(target.errors for target in chosen)
    lines.append(
        f"pages ceiling_rps={ceiling:.0f} list_rps={rps('list'):.0f} challenge_rps={rps('challenge'):.0f} "
        f"api_rps={rps('api'):.0f} list_vs_ceiling={rps('list') / ceiling:.2f} "
        f"challenge_vs_ceiling={rps('challenge') / ceiling:.2f} api_vs_ceiling={rps('api') / ceiling:.2f} "
        f"worker_rss_mb={worker_rss:.1f}" + (f" errors={errors}" if errors else "")
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of each server.")
    parser.add_argument("--connections", type=int, default=16, help="wrk's open connections.")
    parser.add_argument("--threads", type=int, default=2, help="wrk's threads.")
    parser.add_argument("--seconds", type=float, default=10, help="Length of each measurement.")
    parser.add_argument("--warmup", type=float, default=3, help="Length of each target's warm-up.")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8346, help="The ceiling's port; the portal takes the next one.")
    parser.add_argument("--ceiling", type=Path, default=CEILING, help="The ceiling app, used as it is.")
    parser.add_argument("--only", nargs="*", help="Measure only these targets (ceiling, list, challenge, api, ...).")
    parser.add_argument("--keep", action="store_true", help="Keep the data folder and the servers' logs.")
    parser.add_argument(
        "--code",
        type=Path,
        default=ROOT,
        help="The portal's source tree to serve (default: this one), e.g. a checkout of another commit.",
    )
    args = parser.parse_args()
    started = time.perf_counter()
    lines = run(args)
    log(f"done in {time.perf_counter() - started:.0f} s")
    for line in lines:
        print(line, flush=True)


if __name__ == "__main__":
    main()
