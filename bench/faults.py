"""Faults and recovery: crashes and outages during a deadline rush, and what the portal keeps.

Each scenario sets up what ``bench/deadline_rush.py`` sets up (a fresh data folder and database: a SQLite
file there or a new PostgreSQL database on the local server, dropped afterwards; schema by the migrations;
a published challenge whose one stage asks a text and a PDF; companies with an account, an organisation, a
live session and a draft with its answers saved, all through the service layer), starts the portal as in
production (``portal serve --workers N``, ``PORTAL_PRODUCTION=1``) and sends real HTTP: every company
uploads its own PDF (distinct bytes) to ``POST /proposals/{id}/documents/brief`` and submits with
``POST /proposals/{id}/submit``, each request on a new connection. A client whose request goes unanswered
(connection dropped or refused), or is answered 503/507, tries again after a pause, as a person would: the
upload with the same file, the submit with the same ``submission_key`` (the idempotency key of the form),
until it has both 303 answers or a minute has passed. A submission is acknowledged once its submit was
answered with the 303 to ``/versions/1``.

Scenarios:

- ``kill_worker``: ``--runs`` times (default 50 per database), three companies submit at once and one
  worker process is killed with SIGKILL: in even runs after a random delay within the time an upload and a
  submit take (the worker with the most connections open), in odd runs a moment after the first upload was
  answered (the worker holding a submit in flight, if any). Its requests die in the middle of an upload or
  a submit (counted as ``hits_upload``/``hits_submit`` from the kernel's socket tables). The clients
  retry; gunicorn's arbiter starts another worker. ``recovery_s``: from the kill until the new worker reports
  that it serves (median; ``recovery_max_s`` the slowest); ``served_again_s``: from the kill until the
  first request begun after it was answered as expected (by the other worker, meanwhile).
- ``database_restart`` (PostgreSQL only): during a rush, the PostgreSQL server is stopped
  (``pg_ctlcluster 15 main stop -m fast``), left down for ``--outage-s`` seconds and started again (always
  started again, whatever happens). Every answer during the outage must be the portal's own 503 page with
  ``Retry-After`` (``server_errors`` counts anything else: a 500, a stack trace), ``/readyz`` (polled every
  0.2 s) must say not ready and then ready. ``recovery_s``: from the server being back until ``/readyz``
  says ready.
- ``disk_full``: the blob folder is a small tmpfs (``mount -t tmpfs -o size=8m``, unmounted at the end).
  Companies upload 2 MiB PDFs until one is refused: it must get 507 and the message on its documents page,
  with nothing stored (no row, no blob, no temporary file); meanwhile pages and submits of the others go on.
  Then the tmpfs grows by 6 MiB (``mount -o remount``): the refused company uploads again and submits.
  ``recovery_s``: from the remount to that upload's 303.
- ``mail_outage``: ``portal worker`` runs against an SMTP port where nothing listens while companies submit
  (each submission queues a receipt e-mail); once every receipt has failed twice, an aiosmtpd server comes
  up on that port. The retry waits (1 and 5 minutes) are skipped by moving the failed messages'
  ``next_attempt_at`` to now, each time once every message has been tried (time passing faster, not
  anything the worker does itself). Every message must arrive exactly once (by Message-ID) and show 3
  attempts in ``portal mail list``. ``recovery_s``: from the server being up until every message arrived.
- ``sigterm``: during a rush, SIGTERM to ``portal serve``'s process group (the arbiter, its workers and
  the document checkers, as systemd stops a service); the requests in flight must be
  answered or not begun at all: ``unclean`` counts submissions or uploads stored without their request
  being answered, and answers that are neither the expected ones nor the portal's 503 page (a 500, or a
  document refused because its check was cut off). The portal is then started again and the clients finish.
  ``recovery_s``: from the start command until ``/healthz`` answers.

Afterwards (every scenario): exactly one version per acknowledged submission, its document row, blob row and
blob file hashing to what the client sent, and its receipt hash recomputing (``acknowledged_lost``:
acknowledged but missing or damaged); across the whole database, every document row (draft or version) has
its blob row and a blob file with the right hash, every submitted proposal its version and every version
its document (``half_stored``; ``duplicated``: proposals with more than one version). ``tmp_left``: files
left in the blob store's temporary folder (a killed worker leaves its upload's partial file there).
``failures_after_recovery``: requests sent after the recovery that did not get their expected answer, plus
companies that never finished.

Run: ``.venv/bin/python bench/faults.py`` (every scenario; ``--scenario NAME`` for one, ``--db sqlite`` or
``--db postgresql`` for one database). As root (mount, pg_ctlcluster). Each scenario ends with one line:
``faults scenario=NAME db=... runs=... acknowledged_lost=... half_stored=... failures_after_recovery=...
recovery_s=...`` followed by figures of its own.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import deadline_rush as rush  # the set-up, documents and checks of the deadline rush

ROOT = rush.ROOT
SCENARIOS = ("kill_worker", "database_restart", "disk_full", "mail_outage", "sigterm")
DEFAULT_RUNS = {"kill_worker": 50, "database_restart": 2, "disk_full": 3, "mail_outage": 3, "sigterm": 3}
PG_CLUSTER = ("15", "main")
GIVE_UP_SECONDS = 60.0
PAGE_503 = ("Het portaal is even niet beschikbaar", "The portal is unavailable for a moment")
PAGE_507 = ("de opslag van het portaal is vol", "the portal&#39;s storage is full")
log = rush.log


# --- the portal ------------------------------------------------------------------------------------


@dataclass
class Portal:
    """A ``portal serve`` this script started, with what it needs to start it again."""

    url: str
    data_dir: Path
    port: int
    workers: int
    log_file: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> float:
        """Start ``portal serve`` in its own process group; the seconds until /healthz answered 200."""
        env = {
            **os.environ,
            "PORTAL_DATA_DIR": str(self.data_dir),
            "PORTAL_DATABASE_URL": self.url,
            "PORTAL_SECRET_KEY": rush.SECRET,
            "PORTAL_PRODUCTION": "1",
            "PORTAL_BASE_URL": f"http://127.0.0.1:{self.port}",
            "PORTAL_WORKERS": str(self.workers),
            "PYTHONPATH": str(ROOT),  # this tree's portal, whichever tree the virtual environment was installed from
            **self.env,
        }
        command = [str(Path(sys.executable).parent / "portal"), "serve", "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--workers", str(self.workers)]
        started = time.monotonic()
        with self.log_file.open("ab") as output:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        while time.monotonic() < started + 90:
            if self.process.poll() is not None:
                raise RuntimeError(f"the portal stopped:\n{self.log_file.read_text()[-3000:]}")
            if probe(self.port, "/healthz") == 200:
                return time.monotonic() - started
            time.sleep(0.05)
        raise RuntimeError("the portal did not answer /healthz within 90 s")

    def stop(self) -> None:
        if self.process is not None:
            rush.stop_server(self.process)
            self.process = None

    def workers_now(self) -> list[int]:
        """The worker processes: the arbiter's children."""
        assert self.process is not None
        found = []
        for pid in rush.process_tree(self.process.pid)[1:]:
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
                parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError):
                continue
            if parent == self.process.pid and b"gunicorn" in cmdline:
                found.append(pid)
        return found

    def serving_lines(self) -> int:
        """How many times a worker has said it serves (uvicorn logs it under the arbiter)."""
        return self.log_file.read_text(errors="replace").count("Application startup complete.")


def probe(port: int, path: str, timeout: float = 5.0) -> int | None:
    """The status of a GET, or None without an answer."""
    try:
        status, _headers, _body = send(port, "GET", path, timeout=timeout)
    except (OSError, http.client.HTTPException):
        return None
    return status


def send(
    port: int,
    method: str,
    path: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
    on_connect: Callable[[int], None] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a new connection; ``on_connect`` hears the connection's local port."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.connect()
        if on_connect is not None and connection.sock is not None:
            on_connect(connection.sock.getsockname()[1])
        connection.request(method, path, body=body, headers={"Connection": "close", **(headers or {})})
        response = connection.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        connection.close()


# --- the clients -----------------------------------------------------------------------------------


@dataclass
class Attempt:
    company: int
    kind: str  # upload | submit
    started: float
    ended: float = 0.0
    status: int | None = None  # None: no answer (connection refused, reset or closed)
    error: str = ""
    ok: bool = False
    local_port: int = 0
    verdict: str = ""  # ok, try_again (the portal's 503 page), full (507 with its message), no_answer, bad


@dataclass
class Journey:
    """One company's upload and submit, with every attempt."""

    company: rush.Company
    key: str
    attempts: list[Attempt] = field(default_factory=list)
    uploaded: bool = False
    acked: bool = False
    acked_at: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def in_progress(self, at: float) -> list[Attempt]:
        with self.lock:
            return [a for a in self.attempts if a.started <= at and (a.ended == 0.0 or a.ended >= at)]


def _verdict(attempt: Attempt, headers: dict[str, str], body: bytes, expected: str) -> str:
    if attempt.status == 303 and headers.get("location", "").endswith(expected):
        return "ok"
    text = body.decode("utf-8", "replace")
    if "Traceback" in text:
        return "bad"
    if attempt.status == 503 and headers.get("retry-after") and any(words in text for words in PAGE_503):
        return "try_again"
    if attempt.status == 507 and any(words in text for words in PAGE_507):
        return "full"
    return "bad"


def attempt_once(port: int, journey: Journey, kind: str, *, timeout: float = 60.0) -> Attempt:
    """One upload or submit of the journey's company, recorded with its verdict."""
    from app.security import csrf_token_for

    company = journey.company
    token = csrf_token_for(rush.SECRET, company.csrf_cookie, company.session_token)
    cookies = f"portal_session={company.session_token}; portal_csrf={company.csrf_cookie}"
    if kind == "upload":
        path = f"/proposals/{company.proposal_id}/documents/{rush.DOCUMENT}"
        body = rush.multipart(company.body, f"brief-{company.index:04d}.pdf", token)
        headers = {"Content-Type": f"multipart/form-data; boundary={rush.BOUNDARY}", "Cookie": cookies}
        expected = f"/proposals/{company.proposal_id}/documents?uploaded={rush.DOCUMENT}"
    else:
        path = f"/proposals/{company.proposal_id}/submit"
        fields = [("submission_key", journey.key)] + [("declarations", value) for value in rush.DECLARATIONS]
        body = urlencode([*fields, ("csrf_token", token)]).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies}
        expected = f"/proposals/{company.proposal_id}/versions/1"
    attempt = Attempt(company.index, kind, time.monotonic())
    with journey.lock:
        journey.attempts.append(attempt)

    def connected(local_port: int) -> None:
        attempt.local_port = local_port

    try:
        attempt.status, answer_headers, answer = send(
            port, "POST", path, body=body, headers=headers, timeout=timeout, on_connect=connected
        )
        attempt.verdict = _verdict(attempt, answer_headers, answer, expected)
        if attempt.verdict != "ok":
            attempt.error = f"{attempt.status}: {answer[:160]!r}"
    except (OSError, http.client.HTTPException) as error:
        attempt.verdict, attempt.error = "no_answer", f"{type(error).__name__}: {error}"
    attempt.ended = time.monotonic()
    attempt.ok = attempt.verdict == "ok"
    return attempt


def complete(port: int, journey: Journey, *, pause: float = 0.3, give_up: float = GIVE_UP_SECONDS) -> Journey:
    """Upload, then submit, each until it is answered as expected (or ``give_up`` seconds have passed)."""
    until = time.monotonic() + give_up
    while time.monotonic() < until and not journey.acked:
        kind = "submit" if journey.uploaded else "upload"
        attempt = attempt_once(port, journey, kind)
        if attempt.ok and kind == "upload":
            journey.uploaded = True
        elif attempt.ok:
            journey.acked, journey.acked_at = True, attempt.ended
        else:
            time.sleep(pause)
    return journey


def journeys_for(companies: list[rush.Company]) -> list[Journey]:
    return [Journey(company, f"faults-{company.index}-{os.urandom(6).hex()}") for company in companies]


def run_all(port: int, journeys: list[Journey], concurrency: int) -> tuple[ThreadPoolExecutor, list[Any]]:
    """Start every journey, ``concurrency`` at a time; the caller waits for the futures."""
    pool = ThreadPoolExecutor(max_workers=concurrency)
    return pool, [pool.submit(complete, port, journey) for journey in journeys]


def failed_after(journeys: list[Journey], moment: float) -> int:
    """Requests begun after ``moment`` without their expected answer, plus journeys never finished."""
    failed = sum(1 for j in journeys for a in j.attempts if a.started >= moment and not a.ok)
    return failed + sum(1 for journey in journeys if not journey.acked)


# --- set-up and checks -------------------------------------------------------------------------------


@contextmanager
def workspace(kind: str, args: argparse.Namespace, count: int, label: str) -> Iterator[tuple[str, Path, list]]:
    """A fresh data folder and database with ``count`` companies ready (documents made, CSRF cookies not yet)."""
    work = Path(tempfile.mkdtemp(prefix=f"bench-faults-{label}-"))
    data_dir = work / "data"
    data_dir.mkdir()
    try:
        with rush.fresh_database(kind, data_dir, args.pg_server) as url:
            started = time.perf_counter()
            companies, _deadline = rush.prepare(url, count=count, deadline_minutes=args.deadline_minutes)
            for company in companies:
                text = f"Solution brief of {company.legal_name} (KvK {company.kvk_number})"
                company.body = rush.pdf_document(text, args.pdf_mb)
                company.sha256 = hashlib.sha256(company.body).hexdigest()
            log(f"{label}: {count} companies ready in {time.perf_counter() - started:.1f} s")
            yield url, work, companies
    finally:
        if args.keep:
            log(f"data kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def cookies(port: int, companies: list[rush.Company]) -> None:
    for company in companies:
        company.csrf_cookie = rush.csrf_cookie(port)


@dataclass
class Findings:
    acknowledged_lost: int = 0
    half_stored: int = 0
    duplicated: int = 0
    tmp_left: int = 0
    problems: list[str] = field(default_factory=list)


def check(url: str, blob_dir: Path, journeys: list[Journey]) -> Findings:
    """Acknowledged submissions intact, and nothing half stored anywhere in the database."""
    acked = [journey.company for journey in journeys if journey.acked]
    everyone = rush.verify(url, blob_dir, [journey.company for journey in journeys])
    acknowledged = rush.verify(url, blob_dir, acked)
    damaged = {p.split()[1] for p in acknowledged.problems if p.startswith("proposal ")}
    incomplete = half_stored(url, blob_dir)
    tmp = blob_dir / "tmp"
    return Findings(
        acknowledged_lost=acknowledged.lost + len(damaged),
        half_stored=len(incomplete) + everyone.corrupt,
        duplicated=everyone.duplicated,
        tmp_left=len(list(tmp.iterdir())) if tmp.is_dir() else 0,
        problems=everyone.problems[:10] + incomplete[:10],
    )


def half_stored(url: str, blob_dir: Path) -> list[str]:
    """Whatever the database holds that is not whole: a document row without its blob row or file (or with
    a file of other bytes), a submitted proposal without a version, a version without its document."""
    from sqlalchemy import func, select

    from app.database import Database
    from app.proposals.models import Blob, Proposal, ProposalDocument, ProposalVersion, ProposalVersionDocument

    problems = []
    db = Database(url)
    with db.session() as session:
        blobs = {blob.sha256: blob.size_bytes for blob in session.scalars(select(Blob))}
        hashes: dict[str, bool] = {}
        for table, owner_column in (
            (ProposalDocument, ProposalDocument.id),
            (ProposalVersionDocument, ProposalVersionDocument.version_id),
        ):
            for sha256, owner in session.execute(select(table.sha256, owner_column)).all():
                if sha256 not in blobs:
                    problems.append(f"{table.__tablename__} {owner}: no blob row")
                if sha256 not in hashes:
                    path = blob_dir / sha256[:2] / sha256[2:4] / sha256
                    hashes[sha256] = path.is_file() and rush._file_sha256(path) == sha256
                if not hashes[sha256]:
                    problems.append(f"{table.__tablename__} {owner}: blob file missing or damaged")
        for sha256 in blobs:
            if not (blob_dir / sha256[:2] / sha256[2:4] / sha256).is_file():
                problems.append(f"blob {sha256[:12]}: row without its file")
        counts = {
            proposal_id: count
            for proposal_id, count in session.execute(
                select(ProposalVersion.proposal_id, func.count()).group_by(ProposalVersion.proposal_id)
            )
        }
        for proposal_id, status, version_count in session.execute(
            select(Proposal.id, Proposal.status, Proposal.version_count)
        ):
            if status == "submitted" and not counts.get(proposal_id):
                problems.append(f"proposal {proposal_id}: submitted without a version")
            if counts.get(proposal_id, 0) != version_count:
                problems.append(
                    f"proposal {proposal_id}: {counts.get(proposal_id, 0)} versions, counted {version_count}"
                )
        with_documents = set(session.scalars(select(ProposalVersionDocument.version_id)))
        for version_id in session.scalars(select(ProposalVersion.id)):
            if version_id not in with_documents:
                problems.append(f"version {version_id}: without its document")
    db.dispose()
    return problems


def report(findings: Findings) -> None:
    for problem in findings.problems[:10]:
        log(f"problem: {problem}")


def seconds(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}" if values else "nan"


def line(scenario: str, db: str, runs: int, findings: Findings, failures: int, recovery: str, **extra: Any) -> str:
    text = (
        f"faults scenario={scenario} db={db} runs={runs} acknowledged_lost={findings.acknowledged_lost} "
        f"half_stored={findings.half_stored} failures_after_recovery={failures} recovery_s={recovery}"
    )
    extra = {"duplicated": findings.duplicated, "tmp_left": findings.tmp_left, **extra}
    return text + "".join(f" {key}={value}" for key, value in extra.items())


def verdicts(journeys: list[Journey]) -> Counter[str]:
    return Counter(attempt.verdict for journey in journeys for attempt in journey.attempts)


def show_failures(journeys: list[Journey], label: str) -> None:
    kinds = verdicts(journeys)
    log(f"{label}: answers {dict(kinds)}")
    shown = 0
    for journey in journeys:
        for attempt in journey.attempts:
            if attempt.verdict == "bad" and shown < 5:
                log(f"bad answer, company {attempt.company} {attempt.kind}: {attempt.error}")
                shown += 1
        if not journey.acked:
            log(
                f"company {journey.company.index} never finished: {journey.attempts[-1].error if journey.attempts else ''}"
            )


# --- kill_worker -------------------------------------------------------------------------------------


def connected_ports(pid: int, port: int) -> set[int]:
    """The client ports of the established connections to ``port`` that process ``pid`` holds."""
    inodes = set()
    try:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    peers = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            rows = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            local, remote, state, inode = fields[1], fields[2], fields[3], fields[9]
            if state == "01" and int(local.rsplit(":", 1)[1], 16) == port and inode in inodes:
                peers.add(int(remote.rsplit(":", 1)[1], 16))
    return peers


def aimed(batch: list[Journey], peers: set[int], at_submit: bool) -> tuple[int, int]:
    """How well killing the worker holding ``peers`` hits: submits in flight first when aiming at them."""
    now = time.monotonic()
    flying = [a for journey in batch for a in journey.in_progress(now) if a.local_port in peers]
    submits = sum(1 for attempt in flying if attempt.kind == "submit")
    return (submits, len(peers)) if at_submit else (len(peers), submits)


def kill_worker(kind: str, args: argparse.Namespace) -> str:
    runs, per_run = args.runs or DEFAULT_RUNS["kill_worker"], 3
    with workspace(kind, args, (runs + 2) * per_run, "kill_worker") as (url, work, companies):
        portal = Portal(url, work / "data", rush.free_port(), args.workers, work / "server.log")
        portal.start()
        cookies(portal.port, companies)
        try:
            warm = journeys_for(companies[: 2 * per_run])
            for first in (0, per_run):  # the second round, warm, sets the span
                started = time.monotonic()
                with ThreadPoolExecutor(per_run) as pool:
                    list(pool.map(lambda journey: complete(portal.port, journey), warm[first : first + per_run]))
                span = time.monotonic() - started
            log(f"kill_worker: {per_run} uploads and submits at once take {span:.2f} s; killing within that")
            journeys: list[Journey] = []
            recoveries: list[float] = []
            hits: Counter[str] = Counter()
            failures = 0
            killed_at = time.monotonic()
            served_again: list[float] = []
            for run in range(runs):
                batch = journeys_for(companies[per_run * (run + 2) : per_run * (run + 3)])
                journeys += batch
                serving = portal.serving_lines()
                pool, futures = run_all(portal.port, batch, per_run)
                if run % 2:  # every other run aims at a submit: once an upload is answered, the submit follows
                    while not any(j.uploaded for j in batch) and time.monotonic() < killed_at + 60:
                        time.sleep(0.002)
                    time.sleep(random.uniform(0.0, 0.05))
                else:
                    time.sleep(random.uniform(0.02, span))
                workers = portal.workers_now()
                if not workers:
                    raise RuntimeError(f"no worker is running:\n{portal.log_file.read_text()[-3000:]}")
                peers = {pid: connected_ports(pid, portal.port) for pid in workers}
                victim = max(workers, key=lambda pid: (aimed(batch, peers[pid], run % 2), random.random()))
                killed_at = time.monotonic()
                os.kill(victim, signal.SIGKILL)
                for journey in batch:
                    for attempt in journey.in_progress(killed_at):
                        if attempt.local_port in peers[victim]:
                            hits[attempt.kind] += 1
                while portal.serving_lines() <= serving and time.monotonic() < killed_at + 60:
                    time.sleep(0.02)
                ready_at = time.monotonic()
                recoveries.append(ready_at - killed_at)
                for future in futures:
                    future.result()
                pool.shutdown()
                answered = [a.ended for j in batch for a in j.attempts if a.ok and a.started >= killed_at]
                if answered:
                    served_again.append(min(answered) - killed_at)
                failures += failed_after(batch, ready_at)
                if (run + 1) % 10 == 0:
                    log(f"kill_worker: {run + 1}/{runs} runs, last recovery {recoveries[-1]:.1f} s, hits {dict(hits)}")
        finally:
            portal.stop()
        show_failures(journeys, "kill_worker")
        findings = check(url, work / "data" / "blobs", warm + journeys)
        report(findings)
        retried = sum(1 for j in journeys if sum(a.kind == "submit" for a in j.attempts) > 1)
        return line(
            "kill_worker",
            kind,
            runs,
            findings,
            failures,
            seconds(recoveries),
            recovery_max_s=f"{max(recoveries):.1f}",
            served_again_s=seconds(served_again),
            served_again_max_s=f"{max(served_again):.1f}" if served_again else "nan",
            hits_upload=hits["upload"],
            hits_submit=hits["submit"],
            submits_retried=retried,
            acknowledged=sum(j.acked for j in journeys),
        )


# --- database_restart --------------------------------------------------------------------------------


def pg_ctl(action: str, *extra: str) -> None:
    subprocess.run(["pg_ctlcluster", *PG_CLUSTER, action, *extra], check=True, capture_output=True, timeout=120)


def pg_online() -> bool:
    result = subprocess.run(["pg_lsclusters", "-h"], capture_output=True, text=True, check=False)
    return any(row.split()[:2] == list(PG_CLUSTER) and "online" in row for row in result.stdout.splitlines())


def others_busy(pg_server: str, own: str) -> int:
    """Queries other databases' clients are running now (other people's tests share the server)."""
    import psycopg

    admin = pg_server.replace("postgresql+psycopg://", "postgresql://").rstrip("/") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as connection:
        row = connection.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() "
            "AND datname IS NOT NULL AND datname <> %s",
            (own,),
        ).fetchone()
    return int(row[0]) if row else 0


class ReadyWatch(threading.Thread):
    """Polls /readyz every 0.2 s and keeps (time, status)."""

    def __init__(self, port: int) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.samples: list[tuple[float, int | None]] = []
        self.halt = threading.Event()

    def run(self) -> None:
        while not self.halt.is_set():
            self.samples.append((time.monotonic(), probe(self.port, "/readyz", timeout=10)))
            self.halt.wait(0.2)


def database_restart(kind: str, args: argparse.Namespace) -> str:
    if kind != "postgresql":
        raise ValueError("database_restart runs on PostgreSQL")
    runs, per_run = args.runs or DEFAULT_RUNS["database_restart"], 60
    with workspace(kind, args, runs * per_run, "database_restart") as (url, work, companies):
        portal = Portal(url, work / "data", rush.free_port(), args.workers, work / "server.log")
        portal.start()
        cookies(portal.port, companies)
        own = url.rsplit("/", 1)[1]
        journeys: list[Journey] = []
        recoveries: list[float] = []
        failures = not_ready_seen = ready_again = 0
        try:
            for run in range(runs):
                batch = journeys_for(companies[per_run * run : per_run * (run + 1)])
                journeys += batch
                for _ in range(60):
                    if others_busy(args.pg_server, own) == 0:
                        break
                    time.sleep(0.5)  # let another engineer's query finish first
                watch = ReadyWatch(portal.port)
                watch.start()
                pool, futures = run_all(portal.port, batch, args.concurrency)
                waited = time.monotonic()
                while sum(j.acked for j in batch) < per_run // 5 and time.monotonic() < waited + 60:
                    time.sleep(0.05)
                log(f"database_restart: run {run + 1}, {sum(j.acked for j in batch)} acknowledged; stopping PostgreSQL")
                down_at = stopped_at = starting_at = time.monotonic()
                try:
                    pg_ctl("stop", "-m", "fast")
                    stopped_at = time.monotonic()
                    time.sleep(args.outage_s)
                finally:
                    starting_at = time.monotonic()
                    pg_ctl("start")
                up_at = time.monotonic()
                log(
                    f"database_restart: PostgreSQL stopping {stopped_at - down_at:.1f} s, down {starting_at - stopped_at:.1f} s, "
                    f"starting {up_at - starting_at:.1f} s"
                )
                for future in futures:
                    future.result()
                pool.shutdown()
                wait_for(lambda w=watch, u=up_at: any(a >= u and s == 200 for a, s in w.samples), 60, "/readyz ready")
                watch.halt.set()
                watch.join()
                outage = [status for at, status in watch.samples if stopped_at <= at <= starting_at]
                log(f"database_restart: /readyz while PostgreSQL was down: {dict(Counter(outage))}")
                not_ready_seen += bool(outage) and all(status == 503 for status in outage)
                ready_at = next((at for at, status in watch.samples if at >= up_at and status == 200), None)
                ready_again += ready_at is not None
                recoveries.append((ready_at or time.monotonic()) - up_at)
                failures += failed_after(batch, ready_at or up_at)
        finally:
            if not pg_online():
                pg_ctl("start")
            portal.stop()
        show_failures(journeys, "database_restart")
        findings = check(url, work / "data" / "blobs", journeys)
        report(findings)
        answers = verdicts(journeys)
        return line(
            "database_restart",
            kind,
            runs,
            findings,
            failures,
            seconds(recoveries),
            outage_s=f"{args.outage_s:.0f}",
            answers_503=answers["try_again"],
            server_errors=answers["bad"],
            no_answer=answers["no_answer"],
            readyz_not_ready=f"{not_ready_seen}/{runs}",
            readyz_ready_again=f"{ready_again}/{runs}",
            acknowledged=sum(j.acked for j in journeys),
        )


# --- disk_full ---------------------------------------------------------------------------------------


def mount_tmpfs(folder: Path, megabytes: int, *, remount: bool = False) -> None:
    options = f"{'remount,' if remount else ''}size={megabytes}m,mode=0700"
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True, timeout=30)


def disk_full(kind: str, args: argparse.Namespace) -> str:
    runs = args.runs or DEFAULT_RUNS["disk_full"]
    with workspace(kind, args, 8 * runs + 8, "disk_full") as (url, work, companies):
        blob_dir = work / "blobs"
        blob_dir.mkdir()
        size = 8
        mount_tmpfs(blob_dir, size)
        portal = Portal(url, work / "data", rush.free_port(), args.workers, work / "server.log")
        portal.env["PORTAL_BLOB_DIR"] = str(blob_dir)
        journeys: list[Journey] = []
        recoveries: list[float] = []
        failures = refused = pages_while_full = stored_while_refused = 0
        try:
            portal.start()
            cookies(portal.port, companies)
            queue = iter(journeys_for(companies))
            for run in range(runs):
                full: Journey | None = None
                while full is None:
                    journey = next(queue)
                    journeys.append(journey)
                    attempt = attempt_once(portal.port, journey, "upload")
                    if attempt.verdict == "full":
                        full, refused = journey, refused + 1
                    elif attempt.ok:
                        journey.uploaded = True
                        complete(portal.port, journey)  # the submit writes no file: it goes on
                    else:
                        raise RuntimeError(f"upload answered neither 303 nor 507: {attempt.error}")
                stored_while_refused += len(list((blob_dir / "tmp").iterdir()))
                stored_while_refused += stored_document(url, full.company.proposal_id)
                statuses = [probe(portal.port, "/healthz"), documents_page(portal.port, full.company)]
                pages_while_full += all(status == 200 for status in statuses)
                size += 6
                mount_tmpfs(blob_dir, size, remount=True)
                freed_at = time.monotonic()
                complete(portal.port, full, pause=0.2)
                recoveries.append(next(a.ended for a in full.attempts if a.ok) - freed_at)
                failures += failed_after([full], freed_at)
                log(f"disk_full: run {run + 1}: {len(journeys)} uploads so far, refused one, {size} MiB now")
        finally:
            portal.stop()
            try:
                findings = check(url, blob_dir, journeys)
            finally:
                subprocess.run(["umount", str(blob_dir)], check=False, timeout=30)
        findings.half_stored += stored_while_refused
        show_failures(journeys, "disk_full")
        report(findings)
        return line(
            "disk_full",
            kind,
            runs,
            findings,
            failures,
            seconds(recoveries),
            refused_507=refused,
            served_while_full=f"{pages_while_full}/{runs}",
            acknowledged=sum(j.acked for j in journeys),
        )


def stored_document(url: str, proposal_id: int) -> int:
    from sqlalchemy import func, select

    from app.database import Database
    from app.proposals.models import ProposalDocument

    db = Database(url)
    with db.session() as session:
        count = session.scalar(
            select(func.count()).select_from(ProposalDocument).where(ProposalDocument.proposal_id == proposal_id)
        )
    db.dispose()
    return int(count or 0)


def documents_page(port: int, company: rush.Company) -> int | None:
    cookies_header = f"portal_session={company.session_token}; portal_csrf={company.csrf_cookie}"
    try:
        status, _headers, _body = send(
            port, "GET", f"/proposals/{company.proposal_id}/documents", headers={"Cookie": cookies_header}
        )
    except (OSError, http.client.HTTPException):
        return None
    return status


# --- mail_outage -------------------------------------------------------------------------------------


class Received:
    """The aiosmtpd handler: every message that arrived, by Message-ID."""

    def __init__(self) -> None:
        self.ids: Counter[str] = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # aiosmtpd calls it by this name
        from email import message_from_bytes

        message = message_from_bytes(envelope.content)
        with self.lock:
            self.ids[str(message["Message-ID"])] += 1
        return "250 OK"


def outbox(url: str) -> list[tuple[int, str, str, int]]:
    """(id, Message-ID, status, attempts) of every receipt in the outbox."""
    from sqlalchemy import select

    from app.database import Database
    from app.notifications.models import OutboxMessage

    db = Database(url)
    with db.session() as session:
        rows = session.execute(
            select(OutboxMessage.id, OutboxMessage.message_id, OutboxMessage.status, OutboxMessage.attempts).where(
                OutboxMessage.template == "proposal_receipt"
            )
        ).all()
    db.dispose()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def time_passes(url: str) -> None:
    """The retry wait of every message that failed is over: what the clock would do in minutes."""
    from sqlalchemy import update

    from app.database import Database
    from app.notifications.models import OutboxMessage

    db = Database(url)
    now = datetime.now(UTC)
    with db.unit_of_work() as session:
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.attempts > 0, OutboxMessage.next_attempt_at > now)
            .values(next_attempt_at=now)
        )
        session.commit()
    db.dispose()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    until = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > until:
            raise RuntimeError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.2)


def mail_outage(kind: str, args: argparse.Namespace) -> str:
    from aiosmtpd.controller import Controller

    runs, per_run = args.runs or DEFAULT_RUNS["mail_outage"], 20
    with workspace(kind, args, runs * per_run, "mail_outage") as (url, work, companies):
        smtp_port = rush.free_port()
        env = {"PORTAL_SMTP_HOST": "127.0.0.1", "PORTAL_SMTP_PORT": str(smtp_port), "PORTAL_SMTP_STARTTLS": "0"}
        portal = Portal(url, work / "data", rush.free_port(), args.workers, work / "server.log", env=env)
        received = Received()
        worker = None
        journeys: list[Journey] = []
        recoveries: list[float] = []
        failures = 0
        try:
            portal.start()
            cookies(portal.port, companies)
            worker = subprocess.Popen(
                [str(Path(sys.executable).parent / "portal"), "worker", "--interval", "0.5"],
                cwd=ROOT,
                env={**os.environ, **env, "PORTAL_DATA_DIR": str(work / "data"), "PORTAL_DATABASE_URL": url}
                | {"PYTHONPATH": str(ROOT)},
                stdout=(work / "worker.log").open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            for run in range(runs):
                batch = journeys_for(companies[per_run * run : per_run * (run + 1)])
                journeys += batch
                with ThreadPoolExecutor(args.concurrency) as pool:
                    list(pool.map(lambda journey: complete(portal.port, journey), batch))
                expected = per_run * (run + 1)

                def tried(times: int, expected: int = expected) -> bool:
                    rows = outbox(url)
                    return len(rows) == expected and all(r[3] >= times or r[2] == "sent" for r in rows)

                wait_for(lambda: tried(1), 60, "every receipt tried once")
                time_passes(url)
                wait_for(lambda: tried(2), 60, "every receipt tried twice")
                controller = Controller(received, hostname="127.0.0.1", port=smtp_port)
                controller.start()
                back_at = time.monotonic()
                try:
                    time_passes(url)
                    wait_for(lambda: all(r[2] == "sent" for r in outbox(url)), 60, "every receipt sent")
                    recoveries.append(time.monotonic() - back_at)
                finally:
                    controller.stop()
                failures += sum(1 for r in outbox(url) if r[2] != "sent")
                log(f"mail_outage: run {run + 1}: {expected} receipts sent, {sum(received.ids.values())} arrived")
        finally:
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(timeout=30)
            portal.stop()
        rows = outbox(url)
        listing = mail_list(url, work / "data", len(rows))
        shown_three = sum(1 for r in rows if listing.get(r[0]) == ("sent", 3))
        lost = sum(1 for r in rows if received.ids[r[1]] == 0)
        twice = sum(1 for r in rows if received.ids[r[1]] > 1)
        mismatch = sum(1 for r in rows if (r[2] == "sent") != (received.ids[r[1]] > 0))
        findings = check(url, work / "data" / "blobs", journeys)
        findings.acknowledged_lost += lost
        findings.half_stored += mismatch
        findings.duplicated += twice
        report(findings)
        return line(
            "mail_outage",
            kind,
            runs,
            findings,
            failures,
            seconds(recoveries),
            messages=len(rows),
            delivered_once=sum(1 for r in rows if received.ids[r[1]] == 1),
            mail_list_shows_3_attempts=f"{shown_three}/{len(rows)}",
            acknowledged=sum(j.acked for j in journeys),
        )


def mail_list(url: str, data_dir: Path, limit: int) -> dict[int, tuple[str, int]]:
    """``portal mail list`` as an operator reads it: id to (status, attempts)."""
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "portal"), "mail", "list", "--limit", str(limit)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    shown = {}
    for row in result.stdout.splitlines():
        fields = row.split()
        if len(fields) >= 5 and fields[0].isdigit():
            shown[int(fields[0])] = (fields[3], int(fields[4]))
    return shown


# --- sigterm -----------------------------------------------------------------------------------------


def stored_now(url: str, journeys: list[Journey]) -> tuple[set[int], set[int]]:
    """Companies whose submission (version with their key) and whose document (their bytes) are stored."""
    from sqlalchemy import select

    from app.database import Database
    from app.proposals.models import ProposalDocument, ProposalVersion

    ids = [journey.company.proposal_id for journey in journeys]
    db = Database(url)
    with db.session() as session:
        versions = set(
            session.execute(
                select(ProposalVersion.proposal_id, ProposalVersion.idempotency_key).where(
                    ProposalVersion.proposal_id.in_(ids)
                )
            ).all()
        )
        documents = set(
            session.execute(
                select(ProposalDocument.proposal_id, ProposalDocument.sha256).where(
                    ProposalDocument.proposal_id.in_(ids)
                )
            ).all()
        )
    db.dispose()
    submitted = {j.company.index for j in journeys if (j.company.proposal_id, j.key) in versions}
    uploaded = {j.company.index for j in journeys if (j.company.proposal_id, j.company.sha256) in documents}
    return submitted, uploaded


def sigterm(kind: str, args: argparse.Namespace) -> str:
    runs, per_run = args.runs or DEFAULT_RUNS["sigterm"], 40
    with workspace(kind, args, runs * per_run, "sigterm") as (url, work, companies):
        portal = Portal(url, work / "data", rush.free_port(), args.workers, work / "server.log")
        journeys: list[Journey] = []
        recoveries: list[float] = []
        stops: list[float] = []
        failures = unclean = 0
        try:
            portal.start()
            cookies(portal.port, companies)
            for run in range(runs):
                batch = journeys_for(companies[per_run * run : per_run * (run + 1)])
                journeys += batch
                pool, futures = run_all(portal.port, batch, args.concurrency)
                waited = time.monotonic()
                while sum(j.acked for j in batch) < per_run // 4 and time.monotonic() < waited + 60:
                    time.sleep(0.05)
                assert portal.process is not None
                term_at = time.monotonic()
                # To the whole process group, as systemd stops a service (its default KillMode).
                os.killpg(portal.process.pid, signal.SIGTERM)
                portal.process.wait(timeout=60)
                stopped_at = time.monotonic()
                stops.append(stopped_at - term_at)
                portal.process = None
                # Everything the server did is done now: work stored without its request answered is unclean.
                submitted, uploaded = stored_now(url, batch)
                for journey in batch:
                    answered = [a for a in journey.attempts if a.ended and a.ended <= stopped_at]
                    acked_before = any(a.ok and a.kind == "submit" for a in answered)
                    uploaded_before = any(a.ok and a.kind == "upload" for a in answered)
                    unclean += journey.company.index in submitted and not acked_before
                    unclean += journey.company.index in uploaded and not uploaded_before
                    # A 5xx, or a refusal that is not the portal's own "try again" (a document refused as
                    # beyond the limits because its checking process was stopped half-way).
                    unclean += sum(1 for a in answered if a.verdict == "bad")
                restart_at = time.monotonic()
                recoveries.append(portal.start())
                for future in futures:
                    future.result()
                pool.shutdown()
                failures += failed_after(batch, restart_at + recoveries[-1])
                log(
                    f"sigterm: run {run + 1}: stopped in {stops[-1]:.1f} s, serving again in {recoveries[-1]:.1f} s, "
                    f"answers {dict(verdicts(batch))}"
                )
        finally:
            portal.stop()
        show_failures(journeys, "sigterm")
        findings = check(url, work / "data" / "blobs", journeys)
        report(findings)
        return line(
            "sigterm",
            kind,
            runs,
            findings,
            failures,
            seconds(recoveries),
            unclean=unclean,
            stop_s=seconds(stops),
            no_answer=verdicts(journeys)["no_answer"],
            acknowledged=sum(j.acked for j in journeys),
        )


# --- main --------------------------------------------------------------------------------------------


RUNNERS: dict[str, Callable[[str, argparse.Namespace], str]] = {
    "kill_worker": kill_worker,
    "database_restart": database_restart,
    "disk_full": disk_full,
    "mail_outage": mail_outage,
    "sigterm": sigterm,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, help=f"Runs per scenario (defaults: {DEFAULT_RUNS}).")
    parser.add_argument("--pg-server", default=rush.PG_SERVER, help="PostgreSQL server URL (a database is made there).")
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of the portal.")
    parser.add_argument("--concurrency", type=int, default=12, help="Companies at once in a rush.")
    parser.add_argument("--pdf-mb", type=float, default=2, help="Size of each PDF in MiB.")
    parser.add_argument("--outage-s", type=float, default=5, help="database_restart: seconds PostgreSQL stays down.")
    parser.add_argument("--deadline-minutes", type=int, default=60, help="The stage closes this far ahead.")
    parser.add_argument("--seed", type=int, default=17, help="Seed of the random kill moments.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data folders (and server logs).")
    args = parser.parse_args()
    random.seed(args.seed)
    log(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; workers={args.workers} concurrency={args.concurrency}"
    )
    scenarios = SCENARIOS if args.scenario == "all" else (args.scenario,)
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    for scenario in scenarios:
        for kind in kinds:
            if scenario == "database_restart" and kind != "postgresql":
                continue
            started = time.perf_counter()
            print(RUNNERS[scenario](kind, args), flush=True)
            log(f"{scenario} on {kind}: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
