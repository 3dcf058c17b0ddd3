"""Evaluators scoring at once: 8 evaluators work through their queues over HTTP, as their browsers would.

A fresh database (a SQLite file, or a new PostgreSQL database dropped afterwards), schema by the migrations, holding
a challenge in evaluation whose one stage closed a day ago by the real clock: 8 criteria (weights
20/15/15/10/10/10/10/10, scale 0-5), ``--proposals`` 2,000 organisations each with a submitted proposal version,
``--evaluators`` 8 evaluators in its pool with a live session each (second factor given), and ``--per-proposal`` 3
assignments per proposal, accepted with a declaration of no conflict (750 per evaluator). Rows are written in
bulk beforehand. Then ``portal serve --workers 2`` as in production (``PORTAL_PRODUCTION=1``, a fixed secret key;
gunicorn's arbiter with the portal's uvicorn workers) and the 8 evaluators at once, each with one
keep-alive connection, until ``--evaluations`` evaluations are done. Each evaluator does what a browser does:
it opens the queue ``/evaluate`` once and follows its "Next to do" link, and from then on one evaluation is five
requests: the proposal ``/evaluate/assignments/{id}``, the scoring form posted with a score and a justification
for every criterion and an assessed TRL (``action=submit``), its 303 followed to the security assessment
(``{id}/security?done=scores``), that form posted with a rating and a justification for each of the four factors
(submitted), and its 303 followed to the queue (``/evaluate?done=evaluation``), whose "Next to do" link is the next
evaluation's proposal. An evaluation's time runs from its proposal's request to the queue's answer. Every
request is counted (the evaluators' first queues too): ``requests_per_evaluation``.

Afterwards the database is checked: every evaluation the portal answered with its redirects is submitted with all
8 scores and the submitted security assessment (``lost`` counts those that are not); ``failed`` counts evaluations
with an answer other than the expected one.

Run: ``.venv/bin/python bench/scoring.py --db sqlite`` (or ``--db postgresql``). Ends with one line:
``scoring db=... evaluations=... rate_per_s=... p50_ms=... p99_ms=... lost=... failed=... cpu_ms_per_evaluation=...
requests_per_evaluation=...``; ``cpu_ms_per_evaluation`` is the CPU time of the portal's processes (supervisor and
workers, not the database server) divided by the evaluations, the figure a busy machine changes least.
Target: more than 89 evaluations per second (ten times pretalx's 8.9 reviews per second with 8 reviewers at once
on the same machine), nothing lost.
"""

from __future__ import annotations

import argparse
import http.client
import math
import os
import re
import secrets
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import common
from common import (
    ROOT,
    children,
    cpu_seconds,
    free_port,
    log,
    machine,
    percentile,
    portal_command,
    process_tree,
    rss_mb,
    start,
    stop,
)

sys.path.insert(0, str(ROOT))

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
SECRET = "bench-scoring-secret-key-not-for-production"
SLUG = "bench-scoring"
WEIGHTS = (20, 15, 15, 10, 10, 10, 10, 10)
CRITERIA = [f"criterion_{number}" for number in range(1, len(WEIGHTS) + 1)]
FACTORS = ("security_risks", "policy_goals", "armed_forces", "industrial_capabilities")
RATINGS = ("not_at_stake", "low", "medium", "high")
BATCH = 1000


def _text(value: str) -> dict[str, str]:
    return {"nl": value, "en": value}


def definition(now: datetime) -> dict[str, Any]:
    """A challenge whose one stage opened two months ago and closed a day ago (local time, whole minutes)."""
    from tests.factories import definition_data

    local = now.astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, second=0, microsecond=0)
    data = definition_data(
        slug=SLUG,
        scale={
            "min": 0,
            "max": 5,
            "levels": [{"value": v, "label": _text(f"L{v}"), "descriptor": _text(f"D{v}")} for v in range(6)],
        },
        criteria=[
            {"key": key, "title": _text(f"Criterion {n}"), "description": _text("What counts."), "weight": weight}
            for n, (key, weight) in enumerate(zip(CRITERIA, WEIGHTS, strict=True), start=1)
        ],
    )
    data["stages"][0]["opens_at"] = (local - timedelta(days=60)).isoformat()
    data["stages"][0]["deadline"] = (local - timedelta(days=1)).isoformat()
    return data


# --- databases ------------------------------------------------------------------------------------


def fresh_database(kind: str, data_dir: Path, pg_server: str) -> AbstractContextManager[str]:
    """A URL to an empty database (a SQLite file in the data folder, or a new PostgreSQL database dropped after)."""
    return common.fresh_database(kind, data_dir, pg_server, prefix="bench_scoring")


# --- beforehand -----------------------------------------------------------------------------------


@dataclass
class Evaluator:
    index: int
    user_id: int
    session_token: str
    csrf_cookie: str
    assignments: list[int]


def prepare(url: str, *, proposals: int, evaluators: int, per_proposal: int) -> list[Evaluator]:
    """Schema, the challenge in evaluation, proposals, evaluators with sessions, accepted assignments."""
    from sqlalchemy import insert, select

    from app import migrate
    from app.accounts import sessions
    from app.audit.service import Actor
    from app.challenges import service as challenge_service
    from app.challenges.enums import ChallengeStatus
    from app.challenges.schemas import ChallengeDefinition
    from app.database import Database
    from app.evaluations import models as ev
    from app.organisations.models import Organisation
    from app.proposals.models import Proposal, ProposalVersion
    from tests.factories import create_user

    db = Database(url)
    migrate.upgrade(db.engine)
    now = datetime.now(UTC)
    earlier = now - timedelta(days=61)
    with db.unit_of_work() as session:
        challenge_service.save_definition(
            session,
            definition=ChallengeDefinition.model_validate(definition(now)),
            actor=Actor(user_id=None, label="bench"),
            now=earlier,
            publish=True,
        )
        session.commit()
        challenge = challenge_service.get_challenge_by_slug(session, slug=SLUG)
        challenge.status = ChallengeStatus.EVALUATION.value
        stage = challenge.stages[0]
        submitted_at = stage.deadline_at - timedelta(hours=2)
        users = [
            create_user(session, email=f"evaluator{n}@bench.example", name=f"Evaluator {n}", roles=("evaluator",))
            for n in range(1, evaluators + 1)
        ]
        session.execute(
            insert(ev.PoolMember), [{"challenge_id": challenge.id, "user_id": u.id, "added_at": earlier} for u in users]
        )
        for first in range(0, proposals, BATCH):
            session.execute(
                insert(Organisation),
                [
                    {
                        "legal_name": f"Bench Sensoren {n:04d} B.V.",
                        "kvk_number": f"{70_000_000 + n}",
                        "country": "NL",
                        "created_at": earlier,
                    }
                    for n in range(first, min(first + BATCH, proposals))
                ],
            )
        organisations = session.execute(
            select(Organisation.id, Organisation.legal_name, Organisation.kvk_number).order_by(Organisation.id)
        ).all()
        session.execute(
            insert(Proposal),
            [
                {
                    "challenge_id": challenge.id,
                    "stage_id": stage.id,
                    "organisation_id": org.id,
                    "status": "submitted",
                    "draft": {},
                    "challenge_version": challenge.current_version,
                    "version_count": 1,
                    "created_at": submitted_at,
                    "updated_at": submitted_at,
                    "submitted_at": submitted_at,
                }
                for org in organisations
            ],
        )
        proposal_ids = session.scalars(
            select(Proposal.id).where(Proposal.stage_id == stage.id).order_by(Proposal.id)
        ).all()
        by_org = dict(zip([org.id for org in organisations], proposal_ids, strict=True))
        session.execute(
            insert(ProposalVersion),
            [
                {
                    "proposal_id": by_org[org.id],
                    "number": 1,
                    "kind": "submit",
                    "challenge_version": challenge.current_version,
                    "content": {
                        "proposal": f"P-{by_org[org.id]:06d}",
                        "organisation": {"id": org.id, "legal_name": org.legal_name, "kvk_number": org.kvk_number},
                        "partners": [],
                        "answers": {
                            "summary": f"Early detection of small drones by {org.legal_name}: a passive radar "
                            "network with acoustic sensors, fused on the edge, tested at two air bases."
                        },
                        "documents": {},
                        "trl": 5,
                    },
                    "receipt_hash": f"{by_org[org.id]:064x}",
                    "received_at": submitted_at + timedelta(seconds=index),
                    "idempotency_key": f"bench-{index}",
                }
                for index, org in enumerate(organisations)
            ],
        )
        session.execute(
            insert(ev.Assignment),
            [
                {
                    "proposal_id": proposal_id,
                    "evaluator_id": users[(index * per_proposal + k) % evaluators].id,
                    "stage_id": stage.id,
                    "status": "accepted",
                    "assigned_at": stage.deadline_at + timedelta(hours=1),
                }
                for index, proposal_id in enumerate(proposal_ids)
                for k in range(per_proposal)
            ],
        )
        assignments = session.execute(
            select(ev.Assignment.id, ev.Assignment.evaluator_id).order_by(ev.Assignment.proposal_id, ev.Assignment.id)
        ).all()
        session.execute(
            insert(ev.ConflictDeclaration),
            [{"assignment_id": a.id, "has_conflict": False, "reason": "", "declared_at": now} for a in assignments],
        )
        policy = sessions.SessionPolicy(idle=timedelta(minutes=30), absolute=timedelta(hours=12))
        result = []
        for index, user in enumerate(users):
            token, auth = sessions.start_session(
                session, user=user, now=now, policy=policy, ip="127.0.0.1", user_agent="bench"
            )
            auth.mfa_verified_at = now
            mine = [a.id for a in assignments if a.evaluator_id == user.id]
            result.append(Evaluator(index, user.id, token, secrets.token_urlsafe(32), mine))
        session.commit()
    db.dispose()
    return result


# --- the evaluators ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    evaluator: int
    assignment_id: int
    ok: bool
    seconds: float
    error: str = ""
    pages: dict[str, float] = field(default_factory=dict)
    requests: int = 0


class Browser:
    """One evaluator's browser: one keep-alive connection, its cookies, its CSRF token."""

    def __init__(self, port: int, evaluator: Evaluator) -> None:
        from app.security import csrf_token_for

        self.port = port
        self.evaluator = evaluator
        self.token = csrf_token_for(SECRET, evaluator.csrf_cookie, evaluator.session_token)
        self.cookies = f"portal_session={evaluator.session_token}; portal_csrf={evaluator.csrf_cookie}"
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)

    def request(self, method: str, path: str, form: list[tuple[str, str]] | None = None) -> tuple[int, str, bytes]:
        headers = {"Cookie": self.cookies, "Accept-Encoding": "identity"}
        body = None
        if form is not None:
            body = urlencode([*form, ("csrf_token", self.token)]).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (OSError, http.client.HTTPException):
            self.connection.close()  # one retry on a fresh connection (a keep-alive the server closed)
            self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        return response.status, response.getheader("Location") or "", response.read()

    def close(self) -> None:
        self.connection.close()


def scores_form(assignment_id: int) -> list[tuple[str, str]]:
    form = [("action", "submit"), ("assessed_trl", str(4 + assignment_id % 3))]
    for n, key in enumerate(CRITERIA):
        form += [
            (f"score_{key}", str((assignment_id + n) % 6)),
            (f"justification_{key}", f"Criterion {n + 1}: the proposal's passive radar meets part of what counts."),
        ]
    return form


def security_form(assignment_id: int) -> list[tuple[str, str]]:
    form = [("action", "submit")]
    for n, factor in enumerate(FACTORS):
        form += [
            (f"rating_{factor}", RATINGS[(assignment_id + n) % len(RATINGS)]),
            (f"factor_justification_{factor}", "Assessed against the framework: a Dutch consortium, dual use."),
        ]
    return form


NEXT = re.compile(r'id="next-todo" href="/evaluate/assignments/(\d+)"')
STEPS = ("queue", "proposal", "scores", "security", "assess")


def next_assignment(body: bytes) -> int | None:
    """The assignment the queue's "Next to do" button links to (None when nothing is left to do)."""
    found = NEXT.search(body.decode())
    return int(found.group(1)) if found else None


def evaluate(browser: Browser, assignment_id: int) -> tuple[Outcome, int | None]:
    """One evaluation from the queue's "Next to do" link: the proposal, the scores posted and the redirect
    followed (the security assessment), its form posted and the redirect followed (the queue, whose "Next to do"
    is the next evaluation's). Five requests; returns the outcome and the next assignment."""
    base = f"/evaluate/assignments/{assignment_id}"
    follow = ""  # the path: the previous answer's Location, as a browser follows a 303
    plan: list[tuple[str, str, str, list[tuple[str, str]] | None, int, str | None]] = [
        ("proposal", "GET", base, None, 200, None),
        ("scores", "POST", f"{base}/scores", scores_form(assignment_id), 303, f"{base}/security?done=scores"),
        ("security", "GET", follow, None, 200, None),
        ("assess", "POST", f"{base}/security", security_form(assignment_id), 303, "/evaluate?done=evaluation"),
        ("queue", "GET", follow, None, 200, None),
    ]
    outcome = Outcome(browser.evaluator.index, assignment_id, True, 0.0)
    started = time.perf_counter()
    location, body = "", b""
    for name, method, path, form, expected, redirect in plan:
        step_started = time.perf_counter()
        try:
            status, location, body = browser.request(method, path or location, form)
        except (OSError, http.client.HTTPException) as error:
            outcome.ok, outcome.error = False, f"{name} {type(error).__name__}: {error}"
            break
        outcome.requests += 1
        outcome.pages[name] = time.perf_counter() - step_started
        if status != expected or (redirect is not None and location != redirect):
            outcome.ok, outcome.error = False, f"{name} {status} {location}: {body[:200]!r}"
            break
    outcome.seconds = time.perf_counter() - started
    return outcome, next_assignment(body) if outcome.ok else None


def run_evaluators(port: int, evaluators: list[Evaluator], total: int) -> tuple[list[Outcome], float, int]:
    """Every evaluator at once, each opening the queue once and then following its "Next to do" from one
    evaluation to the next, until ``total`` are done. Also returns the number of requests, all counted."""
    per = math.ceil(total / len(evaluators))
    done = 0
    first_queues = 0
    lock = threading.Lock()

    def work(evaluator: Evaluator) -> list[Outcome]:
        nonlocal done, first_queues
        browser = Browser(port, evaluator)
        outcomes: list[Outcome] = []
        try:
            status, _, body = browser.request("GET", "/evaluate")
            with lock:
                first_queues += 1
            following = next_assignment(body) if status == 200 else None
            while following is not None and len(outcomes) < per:
                outcome, following = evaluate(browser, following)
                outcomes.append(outcome)
                with lock:
                    done += 1
                    if done % 200 == 0:
                        log(f"evaluated {done}/{per * len(evaluators)} ({time.perf_counter() - started:.1f} s)")
            if len(outcomes) < per:
                log(f"evaluator {evaluator.index}: the queue offered no next assignment after {len(outcomes)}")
        finally:
            browser.close()
        return outcomes

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(evaluators)) as pool:
        results = list(pool.map(work, evaluators))
    outcomes = [outcome for outcomes in results for outcome in outcomes]
    return outcomes, time.perf_counter() - started, first_queues + sum(outcome.requests for outcome in outcomes)


# --- afterwards -------------------------------------------------------------------------------------


def lost(url: str, outcomes: list[Outcome]) -> tuple[int, list[str]]:
    """Evaluations the portal answered as done that are not submitted, with every score, and assessed."""
    from sqlalchemy import func, select

    from app.database import Database
    from app.evaluations import models as ev

    answered = [outcome.assignment_id for outcome in outcomes if outcome.ok]
    db = Database(url)
    problems = []
    with db.session() as session:
        evaluations = {
            row.assignment_id: row
            for row in session.execute(
                select(
                    ev.Evaluation.assignment_id, ev.Evaluation.id, ev.Evaluation.status, ev.Evaluation.assessed_trl
                ).where(ev.Evaluation.assignment_id.in_(answered))
            )
        }
        scored = dict(
            session.execute(
                select(ev.EvaluationScore.evaluation_id, func.count())
                .where(ev.EvaluationScore.evaluation_id.in_([e.id for e in evaluations.values()]))
                .where(ev.EvaluationScore.score.is_not(None))
                .group_by(ev.EvaluationScore.evaluation_id)
            ).all()
        )
        assessed = {
            row.assignment_id
            for row in session.execute(
                select(ev.SecurityAssessment.assignment_id).where(
                    ev.SecurityAssessment.assignment_id.in_(answered), ev.SecurityAssessment.status == "submitted"
                )
            )
        }
    db.dispose()
    for assignment_id in answered:
        evaluation = evaluations.get(assignment_id)
        if evaluation is None or evaluation.status != "submitted" or evaluation.assessed_trl is None:
            problems.append(f"assignment {assignment_id}: evaluation not submitted")
        elif scored.get(evaluation.id, 0) != len(CRITERIA):
            problems.append(f"assignment {assignment_id}: {scored.get(evaluation.id, 0)} scores")
        elif assignment_id not in assessed:
            problems.append(f"assignment {assignment_id}: security assessment not submitted")
    return len(problems), problems


# --- main -------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> str:
    work = Path(tempfile.mkdtemp(prefix="bench-scoring-"))
    data_dir = work / "data"
    data_dir.mkdir()
    server = None
    try:
        with fresh_database(args.db, data_dir, args.pg_server) as url:
            started = time.perf_counter()
            evaluators = prepare(
                url, proposals=args.proposals, evaluators=args.evaluators, per_proposal=args.per_proposal
            )
            log(
                f"{args.proposals} proposals, {args.evaluators} evaluators with {len(evaluators[0].assignments)} "
                f"assignments each, in {time.perf_counter() - started:.1f} s"
            )
            port = free_port()
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),  # this tree's code, not whatever the virtual environment has installed
                "PORTAL_DATA_DIR": str(data_dir),
                "PORTAL_DATABASE_URL": url,
                "PORTAL_SECRET_KEY": SECRET,
                "PORTAL_PRODUCTION": "1",
                "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
            }
            command = portal_command(port=port, workers=args.workers)
            server = start(command, env=env, cwd=ROOT, port=port, log_file=work / "server.log", ready_path="/healthz")
            log(f"{machine()}; portal under gunicorn, {args.workers} workers, {args.db}")
            # Warm: every evaluator opens the queue once (pooled connections, compiled queries, templates).
            for evaluator in evaluators:
                browser = Browser(port, evaluator)
                status, _, _ = browser.request("GET", "/evaluate")
                browser.close()
                if status != 200:
                    raise RuntimeError(f"the queue answered {status}")
            tree = process_tree(server.pid)
            workers = children(server.pid)
            before, client_before = cpu_seconds(tree), time.process_time()
            each_before = [cpu_seconds([pid]) for pid in workers]
            outcomes, wall, requests = run_evaluators(port, evaluators, args.evaluations)
            used, client = cpu_seconds(tree) - before, time.process_time() - client_before
            each = [cpu_seconds([pid]) - first for pid, first in zip(workers, each_before, strict=True)]
            log("the workers' CPU: " + ", ".join(f"{seconds:.1f} s" for seconds in each) + f" of {wall:.1f} s each")
            worker_rss = max((rss_mb(pid) for pid in children(server.pid)), default=float("nan"))
            stop(server)
            server = None
            failures = [outcome for outcome in outcomes if not outcome.ok]
            kinds = Counter(outcome.error.split(" ", 2)[:2].__str__() for outcome in failures)
            if kinds:
                log("failures by kind: " + ", ".join(f"{kind}: {n}" for kind, n in kinds.most_common()))
            for outcome in failures[:5]:
                log(f"failed: assignment {outcome.assignment_id}: {outcome.error}")
            succeeded = [outcome for outcome in outcomes if outcome.ok]
            for page in STEPS:
                values = [o.pages[page] * 1000 for o in succeeded if page in o.pages]
                if values:
                    log(
                        f"{page:9} ms: p50 {percentile(values, 0.5):6.1f}  p99 {percentile(values, 0.99):6.1f}  "
                        f"max {max(values):6.1f}"
                    )
            log(
                f"portal CPU {used:.1f} s for {len(outcomes)} evaluations ({1000 * used / max(1, len(outcomes)):.1f} ms "
                f"each) and {requests} requests ({1000 * used / max(1, requests):.2f} ms each), wall {wall:.1f} s, "
                f"largest worker {worker_rss:.0f} MB; the evaluators' client CPU {client:.1f} s "
                f"({1000 * client / max(1, len(outcomes)):.1f} ms each)"
            )
            missing, problems = lost(url, outcomes)
            for problem in problems[:10]:
                log(problem)
            if args.keep:
                log(f"data kept in {work}")
        times = [outcome.seconds * 1000 for outcome in succeeded] or [math.nan]
        return (
            f"scoring db={args.db} evaluations={len(succeeded)} rate_per_s={len(succeeded) / wall:.1f} "
            f"p50_ms={percentile(times, 0.5):.0f} p99_ms={percentile(times, 0.99):.0f} lost={missing} "
            f"failed={len(failures)} cpu_ms_per_evaluation={1000 * used / max(1, len(outcomes)):.1f} "
            f"requests_per_evaluation={requests / max(1, len(outcomes)):.2f}"
        )
    finally:
        if server is not None:
            stop(server)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL (a database is made there).")
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--evaluators", type=int, default=8)
    parser.add_argument("--per-proposal", type=int, default=3, help="Evaluators assigned to each proposal.")
    parser.add_argument("--evaluations", type=int, default=800, help="Evaluations done in the run, in all.")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of the portal.")
    parser.add_argument("--keep", action="store_true", help="Keep the data folder and the server's log.")
    args = parser.parse_args()
    print(run(args), flush=True)


if __name__ == "__main__":
    main()
