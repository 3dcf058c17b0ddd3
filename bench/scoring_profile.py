"""One evaluator's evaluations in-process: the CPU time of each request of ``bench/scoring.py``'s flow.

The same database as ``bench/scoring.py`` (``--proposals`` 2,000, 8 evaluators, 3 per proposal: 750 assignments
per evaluator), the portal built by ``create_app`` as ``portal serve`` builds it (``PORTAL_PRODUCTION=1``) and
started as a worker starts it (its lifespan: the warm-up, ``gc.freeze()``, on PostgreSQL the session cache's
listening connection), and one evaluator going through ``--evaluations`` evaluations exactly as a browser
does (the queue's "Next to do", the proposal, the scores posted, the redirect followed to the security assessment,
its form posted, the redirect followed to the queue), the requests sent straight to the ASGI app in this thread.
The views, which the server runs in worker threads, run inline here (``anyio.to_thread.run_sync`` replaced),
so ``time.process_time`` around a request is that request's CPU, middleware and all, without a client's or a
server's. A shared, busy machine changes wall time, not this.

Run: ``.venv/bin/python bench/scoring_profile.py --db sqlite`` (or ``postgresql``; the database server's own
CPU is not counted). Prints the median CPU per request and per evaluation; ``--profile FILE`` also runs the
measured evaluations under cProfile and prints where the time goes.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import os
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import anyio.to_thread
import common
import scoring
from common import ROOT, log

sys.path.insert(0, str(ROOT))


async def _inline(func: Any, *args: Any, **_: Any) -> Any:
    return func(*args)


anyio.to_thread.run_sync = _inline  # type: ignore[assignment]  # views inline: one thread's CPU is the request's


class Client:
    """Requests straight to the ASGI app, with one evaluator's cookies and CSRF token."""

    def __init__(self, app: Any, evaluator: scoring.Evaluator, host: str) -> None:
        from app.security import csrf_token_for

        self.app = app
        self.host = host
        self.token = csrf_token_for(scoring.SECRET, evaluator.csrf_cookie, evaluator.session_token)
        self.cookie = f"portal_session={evaluator.session_token}; portal_csrf={evaluator.csrf_cookie}"

    async def request(
        self, method: str, target: str, form: list[tuple[str, str]] | None = None
    ) -> tuple[int, str, bytes]:
        path, _, query = target.partition("?")
        headers = [(b"host", self.host.encode()), (b"cookie", self.cookie.encode())]
        body = b""
        if form is not None:
            body = urlencode([*form, ("csrf_token", self.token)]).encode()
            headers += [
                (b"content-type", b"application/x-www-form-urlencoded"),
                (b"content-length", str(len(body)).encode()),
            ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 40000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        sent = False
        answer: dict[str, Any] = {"status": 0, "location": "", "body": []}

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
                for name, value in message.get("headers", []):
                    if name.lower() == b"location":
                        answer["location"] = value.decode()
            elif message["type"] == "http.response.body":
                answer["body"].append(message.get("body", b""))

        await self.app(scope, receive, send)
        return answer["status"], answer["location"], b"".join(answer["body"])


STATEMENTS: list[str] = []  # the SQL statements sent, for counting per request (and ``--sql``)
SPENT = {"templates": 0.0, "driver": 0.0}  # CPU seconds in template rendering and in the database driver's execute


def _count_statements(engine: Any) -> None:
    from sqlalchemy import event

    @event.listens_for(engine, "before_cursor_execute")
    def _sent(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        STATEMENTS.append(statement)
        SPENT["driver"] -= time.process_time()

    @event.listens_for(engine, "after_cursor_execute")
    def _answered(*_: Any) -> None:
        SPENT["driver"] += time.process_time()


def _time_templates(templates: Any) -> None:
    original = templates.TemplateResponse

    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.process_time()
        try:
            return original(*args, **kwargs)
        finally:
            SPENT["templates"] += time.process_time() - started

    templates.TemplateResponse = timed


async def evaluations(
    client: Client, count: int, cpu: dict[str, list[float]], queries: dict[str, list[int]] | None = None
) -> int:
    """``count`` evaluations from the queue's "Next to do"; the CPU of each request appended under its step."""
    done = 0

    async def step(name: str, method: str, target: str, form: list[tuple[str, str]] | None, expected: int) -> Any:
        sent = len(STATEMENTS)
        before = dict(SPENT)
        started = time.process_time()
        status, location, body = await client.request(method, target, form)
        cpu.setdefault(name, []).append(time.process_time() - started)
        for part, value in SPENT.items():
            cpu.setdefault(f"{name} {part}", []).append(value - before[part])
        if queries is not None:
            queries.setdefault(name, []).append(len(STATEMENTS) - sent)
            if SHOW_SQL and done == 0:
                print(f"--- {name} {target}", *STATEMENTS[sent:], sep="\n")
        if status != expected:
            raise RuntimeError(f"{name} {target}: {status} {location} {body[:300]!r}")
        return location, body

    _, body = await step("queue", "GET", "/evaluate", None, 200)
    while done < count:
        following = scoring.next_assignment(body)
        if following is None:
            break
        base = f"/evaluate/assignments/{following}"
        await step("proposal", "GET", base, None, 200)
        location, _ = await step("scores", "POST", f"{base}/scores", scoring.scores_form(following), 303)
        await step("security", "GET", location, None, 200)
        location, _ = await step("assess", "POST", f"{base}/security", scoring.security_form(following), 303)
        _, body = await step("queue", "GET", location, None, 200)
        done += 1
    return done


SHOW_SQL = False


def run(args: argparse.Namespace) -> None:
    global SHOW_SQL
    SHOW_SQL = args.sql
    work = Path(tempfile.mkdtemp(prefix="bench-scoring-profile-"))
    data_dir = work / "data"
    data_dir.mkdir()
    try:
        with scoring.fresh_database(args.db, data_dir, args.pg_server) as url:
            evaluators = scoring.prepare(url, proposals=args.proposals, evaluators=8, per_proposal=3)
            os.environ.update(
                {
                    "PORTAL_DATA_DIR": str(data_dir),
                    "PORTAL_DATABASE_URL": url,
                    "PORTAL_SECRET_KEY": scoring.SECRET,
                    "PORTAL_PRODUCTION": "1",
                    "PORTAL_BASE_URL": "http://127.0.0.1:8000",
                }
            )
            from app.main import create_app

            app = create_app()
            _count_statements(app.state.db.engine)  # the writing engine is the same one with other options
            loop = app.state.db.on_loop()  # the event loop's own connection (app/loopviews.py)
            if loop is not None:
                _count_statements(loop.engine)
            _time_templates(app.state.templates)
            client = Client(app, evaluators[0], "127.0.0.1:8000")
            profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall time
            cpu: dict[str, list[float]] = {}
            queries: dict[str, list[int]] = {}

            async def served() -> int:
                # The app's startup and shutdown as the server runs them (on PostgreSQL the session cache listens).
                async with app.router.lifespan_context(app):
                    await asyncio.sleep(0.2)  # the session cache's listening connection is in place
                    warm: dict[str, list[float]] = {}
                    await evaluations(client, args.warm, warm)
                    gc.collect()
                    gc.freeze()  # as the server's startup does
                    if profiler:
                        profiler.enable()
                    done = await evaluations(client, args.evaluations, cpu, queries)
                    if profiler:
                        profiler.disable()
                        profiler.dump_stats(args.profile)
                    return done

            done = asyncio.run(served())
            app.state.db.dispose()
        label = " (under cProfile: slower than without)" if profiler else ""
        log(f"{done} evaluations in-process, {args.db}{label}; {common.machine()}")
        for name in scoring.STEPS:
            values = sorted(v * 1000 for v in cpu.get(name, []))
            if values:
                parts = ", ".join(f"{part} {1000 * statistics.median(cpu[f'{name} {part}']):.2f}" for part in SPENT)
                print(
                    f"{name:9} CPU ms: median {statistics.median(values):6.2f}  mean {statistics.mean(values):6.2f}  "
                    f"p90 {values[int(0.9 * (len(values) - 1))]:6.2f}  ({len(values)} requests, "
                    f"{statistics.median(queries[name]):.0f} SQL statements; medians of it: {parts})"
                )
        total = 1000 * sum(sum(cpu[name]) for name in scoring.STEPS if name in cpu) / max(1, done)
        requests = sum(len(cpu[name]) for name in scoring.STEPS if name in cpu)
        print(f"scoring_profile db={args.db} evaluations={done} requests={requests} cpu_ms_per_evaluation={total:.1f}")
        if profiler:
            stats = pstats.Stats(str(args.profile))
            stats.sort_stats("cumulative").print_stats(45)
            stats.sort_stats("tottime").print_stats(30)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-server", default=scoring.PG_SERVER)
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--evaluations", type=int, default=60, help="Evaluations measured.")
    parser.add_argument("--warm", type=int, default=5, help="Evaluations done first, not measured.")
    parser.add_argument("--sql", action="store_true", help="Print the SQL statements of the first evaluation.")
    parser.add_argument("--profile", type=Path, help="Also run the measured evaluations under cProfile; stats here.")
    run(parser.parse_args())


if __name__ == "__main__":
    main()
