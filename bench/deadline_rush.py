"""Deadline rush: hundreds of organisations upload a 2 MB PDF and submit in the last minute before a deadline.

Sets up a fresh data folder and database (a SQLite file there, or a new PostgreSQL database dropped
afterwards), whose schema comes from the migrations. Beforehand, in a few big transactions through the
service layer: a published challenge whose one stage asks a long-text question and one PDF (at most
10 MB, 5 pages) with its deadline a few minutes ahead of the real clock; ``--proposals`` users, each with
an organisation (its own KvK number), a live session acting for it, and a started draft with its answers
saved. Then the portal is started as in production (``portal serve`` with ``--workers`` processes, a fixed
secret key) and, ``--concurrency`` at a time, every organisation uploads its own PDF (distinct bytes) to
``POST /proposals/{id}/documents/brief`` and submits with ``POST /proposals/{id}/submit``, over real HTTP
(one keep-alive connection per organisation). The time of a submission runs from the first byte of the
upload to the 303 of the submit. Before the last minute every company has opened its proposal's documents
page, as its browser would have; the portal is then warm (pooled database connections, compiled queries,
templates), as a server that has been running for days is.

Afterwards the database is checked: exactly one version per proposal (none lost, none duplicated), and
each version's document in the blob store with bytes that hash to the recorded SHA-256, which is the hash
of what the client sent, and a receipt hash that recomputes.

With ``--hostile-share 0.1`` a tenth of the companies are a competitor's accounts: instead of submitting,
each uploads ``--hostile-uploads`` crafted PDFs of a few KB (an object stream whose every index entry points
at its start, followed by megabytes of packed whitespace), which used to cost minutes of CPU each to check.
The figures then are those of the honest companies; the hostile uploads are counted and timed apart.

Run: ``.venv/bin/python bench/deadline_rush.py --db sqlite`` (or ``--db postgresql``). Ends with one line:
``deadline_rush db=... proposals=... lost=... duplicated=... corrupt=... rate_per_s=... p50_ms=... p99_ms=...``
(followed by ``failed=``, the submissions whose HTTP answers were not the expected redirects, and with
``--hostile-share`` by ``hostile=... hostile_answered=... hostile_p99_ms=...``).
Target: nothing lost or duplicated, p99 under 1 s on PostgreSQL on the 2-core project machine.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import math
import os
import platform
import secrets
import shutil
import subprocess
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
from common import ROOT, cpu_seconds, free_port, log, percentile, process_tree
from common import stop as stop_server

sys.path.insert(0, str(ROOT))

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/"
SECRET = "bench-deadline-rush-secret-key-not-for-production"
SLUG = "bench-deadline-rush"
STAGE = "brief"
DOCUMENT = "brief"
PASSWORD = "a long and unusual passphrase 42"
BOUNDARY = "----portal-bench-boundary-deadline-rush"
DECLARATIONS = ("unclassified", "truthful", "consent")
MIB = 1024 * 1024
BATCH = 100


def _text(value: str) -> dict[str, str]:
    return {"nl": value, "en": value}


def definition(now: datetime, deadline_minutes: int) -> dict[str, Any]:
    """A challenge open now whose one stage closes ``deadline_minutes`` from now (whole minutes, local time)."""
    local = now.astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, second=0, microsecond=0)
    return {
        "slug": SLUG,
        "title": _text("Bench deadline rush"),
        "summary": _text("Benchmark challenge."),
        "problem_statement": _text("Benchmark problem."),
        "effects": [
            {
                "key": "effect",
                "title": _text("Effect"),
                "description": _text("Effect."),
                "success_measure": _text("Measured."),
            }
        ],
        "tags": {"nld": ["sensoren"], "basis": []},
        "trl": {"min": 4, "max": 7},
        "eligibility": {"text": _text("Everyone.")},
        "procurement": {"military_equipment": True, "sensitive": True, "estimated_value_eur": 2_000_000},
        "stages": [
            {
                "key": STAGE,
                "title": _text("Brief"),
                "description": _text("A brief."),
                "opens_at": (local - timedelta(days=1)).isoformat(),
                "deadline": (local + timedelta(minutes=deadline_minutes + 1)).isoformat(),
                "questions": [
                    {"key": "summary", "type": "long_text", "label": _text("Summary"), "max_words": 300},
                    {
                        "key": DOCUMENT,
                        "type": "document",
                        "label": _text("Brief"),
                        "allowed_types": ["pdf"],
                        "max_size_mb": 10,
                        "max_pages": 5,
                    },
                ],
            }
        ],
        "scale": {
            "min": 0,
            "max": 2,
            "levels": [{"value": v, "label": _text(f"L{v}"), "descriptor": _text(f"D{v}")} for v in range(3)],
        },
        "criteria": [
            {"key": "effect", "title": _text("Effect"), "description": _text("Effect."), "weight": 100},
        ],
    }


# --- databases ------------------------------------------------------------------------------------


def fresh_database(kind: str, data_dir: Path, pg_server: str) -> AbstractContextManager[str]:
    """A URL to an empty database (a SQLite file in the data folder, or a new PostgreSQL database dropped after)."""
    return common.fresh_database(kind, data_dir, pg_server, prefix="bench_rush")


# --- beforehand: accounts, organisations, sessions and drafts --------------------------------------


@dataclass
class Company:
    index: int
    proposal_id: int
    session_token: str
    legal_name: str
    kvk_number: str
    body: bytes = b""
    sha256: str = ""
    csrf_cookie: str = ""
    hostile: bool = False


def prepare(url: str, *, count: int, deadline_minutes: int) -> tuple[list[Company], datetime]:
    """Schema, challenge and ``count`` companies with a live session and a draft with answers saved."""
    from app import migrate
    from app.accounts import sessions
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.audit.service import Actor
    from app.challenges import service as challenge_service
    from app.challenges.schemas import ChallengeDefinition
    from app.database import Database
    from app.organisations.models import Membership, Organisation
    from app.proposals.drafts import service as draft_service
    from app.settings import Settings

    db = Database(url)
    started = time.perf_counter()
    migrate.upgrade(db.engine)
    log(f"migrations: {time.perf_counter() - started:.1f} s")
    now = datetime.now(UTC)
    settings = Settings()
    policy = sessions.SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes), absolute=timedelta(hours=settings.session_absolute_hours)
    )
    password_hash = hash_password(PASSWORD)  # argon2 is slow on purpose: one hash for every account
    companies: list[Company] = []
    with db.unit_of_work() as session:
        challenge_service.save_definition(
            session,
            definition=ChallengeDefinition.model_validate(definition(now, deadline_minutes)),
            actor=Actor(user_id=None, label="bench"),
            now=now,
            publish=True,
        )
        session.commit()
        challenge = challenge_service.get_challenge_by_slug(session, slug=SLUG)
        stage = challenge.stages[0]
        deadline = stage.deadline_at
        started = time.perf_counter()
        for first in range(0, count, BATCH):
            for index in range(first, min(first + BATCH, count)):
                now = datetime.now(UTC)
                user = User(
                    email=f"rush{index:04d}@bench.example.nl",
                    name=f"Rush User {index}",
                    password_hash=password_hash,
                    language="en",
                    is_active=True,
                    created_at=now,
                    email_confirmed_at=now,
                )
                session.add(user)
                session.flush()
                organisation = Organisation(
                    legal_name=f"Rush Sensoren {index:04d} B.V.",
                    kvk_number=f"{60_000_000 + index}",
                    country="NL",
                    created_at=now,
                    created_by_id=user.id,
                )
                session.add(organisation)
                session.flush()
                session.add(Membership(organisation_id=organisation.id, user_id=user.id, role="admin", joined_at=now))
                session.flush()
                token, auth = sessions.start_session(
                    session, user=user, now=now, policy=policy, ip="127.0.0.1", user_agent="bench"
                )
                auth.acting_organisation_id = organisation.id
                actor = Actor(user_id=user.id, label=user.email)
                proposal = draft_service.start_proposal(
                    session,
                    challenge=challenge,
                    stage=stage,
                    organisation=organisation,
                    user=user,
                    actor=actor,
                    now=now,
                )
                summary = f"Early detection of small drones by {organisation.legal_name}, proposal {index}."
                outcome = draft_service.save_answers(
                    session, proposal=proposal, values={"q_summary": summary, "trl": "5"}, actor=actor, now=now
                )
                if outcome.problems:
                    raise RuntimeError(f"the saved answers are not complete: {outcome.problems}")
                companies.append(Company(index, proposal.id, token, organisation.legal_name, organisation.kvk_number))
            session.commit()
            log(f"accounts and drafts: {len(companies)}/{count} ({time.perf_counter() - started:.1f} s)")
    db.dispose()
    return companies, deadline


# --- the documents ---------------------------------------------------------------------------------


def _pdf_string(value: str) -> bytes:
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)").encode("latin-1", "replace")


def pdf_document(text: str, mb: float) -> bytes:
    """A valid one-page PDF showing ``text``, padded with incompressible streams to about ``mb`` MiB."""
    pieces: list[bytes] = []
    offsets: list[int] = []
    written = 0

    def add(data: bytes) -> None:
        nonlocal written
        pieces.append(data)
        written += len(data)

    padding = max(0, int(mb * MIB) - 2048)
    count = (padding + MIB - 1) // MIB
    pad_ids = list(range(5, 5 + count))
    add(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    content = b"BT /F1 12 Tf 72 760 Td (" + _pdf_string(text) + b") Tj ET"
    kids = " ".join(f"{n} 0 R" for n in pad_ids)
    head = [
        f"<< /Type /Catalog /Pages 2 0 R /PieceInfo << /Bench << /Private [{kids}] >> >> >>".encode(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    for number, body in enumerate(head, start=1):
        offsets.append(written)
        add(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    remaining = padding
    for number in pad_ids:
        size = min(MIB, remaining)
        remaining -= size
        offsets.append(written)
        add(b"%d 0 obj\n<< /Length %d >>\nstream\n" % (number, size) + os.urandom(size) + b"\nendstream\nendobj\n")
    xref_at = written
    table = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)]
    table += [b"%010d 00000 n \n" % offset for offset in offsets]
    add(b"".join(table))
    add(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref_at))
    return b"".join(pieces)


def hostile_document(index: int, entries: int = 2000, padding: int = 2_000_000) -> bytes:
    """A few KB that cost minutes of CPU to check before the checks were made linear: an object stream, left
    out of the cross-reference table, whose ``entries`` index entries all point at its start, followed by
    ``padding`` bytes of whitespace that compress to almost nothing."""
    import zlib

    index_part = b"4 0 " * entries
    data = zlib.compress(index_part + b"<< /Producer (rival %d) >>" % index + b" " * padding, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
        b"<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\nstream\n"
        % (entries, len(index_part), len(data))
        + data
        + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 4\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % offset for offset in offsets[:3])
    out += b"trailer\n<< /Size 4 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


def multipart(document: bytes, filename: str, token: str) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + document + f"\r\n--{BOUNDARY}--\r\n".encode()


# --- the portal -------------------------------------------------------------------------------------


# One worker in this process under cProfile. uvicorn re-raises SIGTERM once it has shut down, so a handler
# that does nothing is installed first; the stats are written after the server returns.
PROFILED_SERVER = """
import cProfile, signal, sys
import uvicorn
signal.signal(signal.SIGTERM, lambda *_: None)
config = uvicorn.Config("app.main:create_app", factory=True, host="127.0.0.1", port=int(sys.argv[2]),
                        proxy_headers=True, log_level="warning")
profiler = cProfile.Profile()
profiler.enable()
uvicorn.Server(config).run()
profiler.disable()
profiler.dump_stats(sys.argv[1])
"""


# Diagnosis only: a larger connection pool in every worker, without touching the app (site imports this first).
POOL_PATCH = """
import sqlalchemy

import app.database

def _create_engine(url, **kwargs):
    if not str(url).startswith("sqlite"):
        kwargs.setdefault("pool_size", {pool_size})
    return sqlalchemy.create_engine(url, **kwargs)

app.database.create_engine = _create_engine
"""


def start_server(
    *,
    url: str,
    data_dir: Path,
    port: int,
    workers: int,
    log_file: Path,
    profile: Path | None = None,
    pool_size: int | None = None,
) -> subprocess.Popen[bytes]:
    """``portal serve`` as in production, in its own process group; returns once /healthz answers 200.

    With ``profile``: one worker process under cProfile instead (its event-loop thread; stats on exit)."""
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_DATABASE_URL": url,
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_PRODUCTION": "1",
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "PORTAL_WORKERS": str(workers),
    }
    if pool_size is not None:
        patch = log_file.parent / "pool_patch"
        patch.mkdir(exist_ok=True)
        (patch / "sitecustomize.py").write_text(POOL_PATCH.format(pool_size=pool_size))
        env["PYTHONPATH"] = os.pathsep.join([str(patch), str(ROOT)])
    command = common.portal_command(port=port, workers=workers)
    if profile is not None:
        command = [sys.executable, "-c", PROFILED_SERVER, str(profile), str(port)]
    server = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=log_file.open("wb"), stderr=subprocess.STDOUT, start_new_session=True
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the portal stopped:\n{log_file.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                return server
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the portal did not answer /healthz within 90 s")


def postgres_pids() -> list[int]:
    """Every PostgreSQL server process on the machine (other users of the server count too)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


def machine_cpu() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (all cores, from /proc/stat)."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    ticks = os.sysconf("SC_CLK_TCK")
    idle = values[3] + values[4]
    return (sum(values) - idle) / ticks, sum(values) / ticks


def csrf_cookie(port: int) -> str:
    """What a browser holds after its first page: the CSRF cookie the portal sets."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/healthz")
    response = connection.getresponse()
    response.read()
    connection.close()
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("portal_csrf="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError("no CSRF cookie")


def open_form(port: int, company: Company) -> int:
    """What the company's browser did before the last minute: open the proposal's documents page."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request(
            "GET",
            f"/proposals/{company.proposal_id}/documents",
            headers={"Cookie": f"portal_session={company.session_token}; portal_csrf={company.csrf_cookie}"},
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


# --- the last minute --------------------------------------------------------------------------------


@dataclass
class Outcome:
    index: int
    ok: bool
    seconds: float
    upload_seconds: float = 0.0
    submit_seconds: float = 0.0
    error: str = ""
    finished_at: float = field(default=0.0)
    hostile: bool = False
    answers: list[float] = field(default_factory=list)


def submit_one(port: int, company: Company) -> Outcome:
    """Upload the document and submit, on one keep-alive connection; timed from the first byte sent."""
    from app.security import csrf_token_for

    token = csrf_token_for(SECRET, company.csrf_cookie, company.session_token)
    cookies = f"portal_session={company.session_token}; portal_csrf={company.csrf_cookie}"
    body = multipart(company.body, f"solution-brief-{company.index:04d}.pdf", token)
    form = urlencode(
        [("submission_key", f"rush-{company.index}-{secrets.token_hex(8)}")]
        + [("declarations", value) for value in DECLARATIONS]
        + [("csrf_token", token)]
    ).encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    try:
        connection.request(
            "POST",
            f"/proposals/{company.proposal_id}/documents/{DOCUMENT}",
            body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Cookie": cookies},
        )
        response = connection.getresponse()
        text = response.read()
        uploaded = time.perf_counter()
        if response.status != 303:
            return Outcome(company.index, False, uploaded - started, error=f"upload {response.status}: {text[:200]!r}")
        connection.request(
            "POST",
            f"/proposals/{company.proposal_id}/submit",
            body=form,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies},
        )
        response = connection.getresponse()
        text = response.read()
        done = time.perf_counter()
        location = response.getheader("Location") or ""
        if response.status != 303 or not location.endswith(f"/proposals/{company.proposal_id}/versions/1"):
            return Outcome(
                company.index, False, done - started, error=f"submit {response.status} {location}: {text[:200]!r}"
            )
        return Outcome(company.index, True, done - started, uploaded - started, done - uploaded, finished_at=done)
    except (OSError, http.client.HTTPException) as error:
        return Outcome(company.index, False, time.perf_counter() - started, error=f"{type(error).__name__}: {error}")
    finally:
        connection.close()


def attack_one(port: int, company: Company, uploads: int) -> Outcome:
    """A competitor's account: uploads its crafted PDF ``uploads`` times; each must be answered (303 when
    its content is allowed, 422 when refused), never left hanging."""
    from app.security import csrf_token_for

    token = csrf_token_for(SECRET, company.csrf_cookie, company.session_token)
    cookies = f"portal_session={company.session_token}; portal_csrf={company.csrf_cookie}"
    body = multipart(company.body, f"brief-{company.index:04d}.pdf", token)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    outcome = Outcome(company.index, True, 0.0, hostile=True)
    try:
        for _ in range(uploads):
            started = time.perf_counter()
            connection.request(
                "POST",
                f"/proposals/{company.proposal_id}/documents/{DOCUMENT}",
                body=body,
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}", "Cookie": cookies},
            )
            response = connection.getresponse()
            response.read()
            outcome.answers.append(time.perf_counter() - started)
            if response.status not in (303, 422):
                outcome.ok, outcome.error = False, f"hostile upload {response.status}"
                break
    except (OSError, http.client.HTTPException) as error:
        outcome.ok, outcome.error = False, f"hostile {type(error).__name__}: {error}"
    finally:
        connection.close()
    outcome.seconds = sum(outcome.answers)
    return outcome


def rush(
    port: int, companies: list[Company], concurrency: int, deadline: datetime, hostile_uploads: int = 3
) -> tuple[list[Outcome], float]:
    """Every company at once, ``concurrency`` at a time; returns the outcomes and the wall-clock seconds.

    A company whose turn comes after the deadline does not send anything: its submission is lost."""
    done = 0
    lock = threading.Lock()

    def one(company: Company) -> Outcome:
        nonlocal done
        if datetime.now(UTC) >= deadline:
            outcome = Outcome(company.index, False, 0.0, error="not sent: the deadline had passed")
        elif company.hostile:
            outcome = attack_one(port, company, hostile_uploads)
        else:
            outcome = submit_one(port, company)
        with lock:
            done += 1
            if done % 50 == 0 or done == len(companies):
                log(f"submitted {done}/{len(companies)} ({time.perf_counter() - started:.1f} s)")
        return outcome

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = list(pool.map(one, companies))
    return outcomes, time.perf_counter() - started


# --- afterwards -------------------------------------------------------------------------------------


@dataclass
class Check:
    versions: int = 0
    lost: int = 0
    duplicated: int = 0
    corrupt: int = 0
    problems: list[str] = field(default_factory=list)


def verify(url: str, blob_dir: Path, companies: list[Company]) -> Check:
    """Exactly one version per proposal, each with its document intact in the blob store and its receipt."""
    from sqlalchemy import select

    from app.database import Database
    from app.proposals.models import Blob, Proposal, ProposalVersion
    from app.proposals.submissions import receipts

    expected = {company.proposal_id: company for company in companies}
    check = Check()
    db = Database(url)
    with db.session() as session:
        versions = session.scalars(
            select(ProposalVersion)
            .join(Proposal, Proposal.id == ProposalVersion.proposal_id)
            .where(Proposal.id.in_(list(expected)))
            .order_by(ProposalVersion.proposal_id, ProposalVersion.number)
        ).all()
        check.versions = len(versions)
        by_proposal: dict[int, int] = {}
        for version in versions:
            by_proposal[version.proposal_id] = by_proposal.get(version.proposal_id, 0) + 1
        check.lost = sum(1 for proposal_id in expected if proposal_id not in by_proposal)
        check.duplicated = sum(count - 1 for count in by_proposal.values())
        statuses = session.execute(select(Proposal.id, Proposal.status).where(Proposal.id.in_(list(expected)))).all()
        for proposal_id, status in statuses:
            if proposal_id in by_proposal and status != "submitted":
                check.problems.append(f"proposal {proposal_id} has a version but status {status}")
        for version in versions:
            company = expected[version.proposal_id]
            reasons = []
            recomputed = receipts.receipt_hash(version.content, number=version.number, received_at=version.received_at)
            if recomputed != version.receipt_hash:
                reasons.append("receipt hash does not recompute")
            documents = {document.question_key: document for document in version.documents}
            document = documents.get(DOCUMENT)
            if document is None:
                reasons.append("no document")
            else:
                if document.sha256 != company.sha256:
                    reasons.append("recorded hash is not the hash of what was sent")
                if version.content.get("documents", {}).get(DOCUMENT, {}).get("sha256") != document.sha256:
                    reasons.append("content names another document hash")
                if session.get(Blob, document.sha256) is None:
                    reasons.append("no blob row")
                path = blob_dir / document.sha256[:2] / document.sha256[2:4] / document.sha256
                if not path.is_file():
                    reasons.append("blob file missing")
                elif _file_sha256(path) != document.sha256 or path.stat().st_size != document.size_bytes:
                    reasons.append("blob bytes do not hash to the recorded SHA-256")
            if reasons:
                check.corrupt += 1
                check.problems.append(f"proposal {version.proposal_id} version {version.number}: {', '.join(reasons)}")
    db.dispose()
    return check


def show_profile(path: Path) -> None:
    """The functions of the portal that took the most time in the profiled worker (to stderr)."""
    import io
    import pstats

    out = io.StringIO()
    stats = pstats.Stats(str(path), stream=out)
    stats.sort_stats("cumulative").print_stats(f"{ROOT / 'app'}/|sqlalchemy/engine/base|pypdf|fsync", 40)
    stats.sort_stats("tottime").print_stats(25)
    print(out.getvalue(), file=sys.stderr)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MIB):
            digest.update(chunk)
    return digest.hexdigest()


# --- main -------------------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> str:
    work = Path(tempfile.mkdtemp(prefix="bench-deadline-rush-"))
    data_dir = work / "data"
    data_dir.mkdir()
    server = None
    try:
        with fresh_database(args.db, data_dir, args.pg_server) as url:
            companies, deadline = prepare(url, count=args.proposals, deadline_minutes=args.deadline_minutes)
            started = time.perf_counter()
            for company in companies:
                # Spread evenly: company i is hostile when the running count of the share steps up at i.
                company.hostile = int((company.index + 1) * args.hostile_share) > int(
                    company.index * args.hostile_share
                )
                text = f"Solution brief of {company.legal_name} (KvK {company.kvk_number})"
                company.body = hostile_document(company.index) if company.hostile else pdf_document(text, args.pdf_mb)
                company.sha256 = hashlib.sha256(company.body).hexdigest()
            hostile = [company for company in companies if company.hostile]
            honest = [company for company in companies if not company.hostile]
            if hostile:
                log(
                    f"{len(hostile)} hostile companies, each uploading {args.hostile_uploads} crafted PDFs of {len(hostile[0].body)} bytes"
                )
            distinct = len({company.sha256 for company in companies})
            log(
                f"{len(companies)} PDFs of {args.pdf_mb} MiB ({distinct} distinct) in {time.perf_counter() - started:.1f} s"
            )
            port = free_port()
            started = time.perf_counter()
            server = start_server(
                url=url,
                data_dir=data_dir,
                port=port,
                workers=args.workers,
                log_file=work / "server.log",
                profile=args.profile,
                pool_size=args.pool_size,
            )
            log(f"portal serve --workers {args.workers} on port {port}: up in {time.perf_counter() - started:.1f} s")
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                for company, cookie in zip(companies, pool.map(lambda _: csrf_cookie(port), companies), strict=True):
                    company.csrf_cookie = cookie
            started = time.perf_counter()
            with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
                pages = list(pool.map(lambda company: open_form(port, company), companies))
            if any(status != 200 for status in pages):
                raise RuntimeError(f"the documents page answered {Counter(pages)}")
            log(f"every company opened its documents page in {time.perf_counter() - started:.1f} s")
            left = (deadline - datetime.now(UTC)).total_seconds()
            log(f"the last minute: deadline {deadline:%H:%M:%S} UTC, {left:.0f} s from now")
            if left < 60:
                raise RuntimeError("less than a minute to the deadline: raise --deadline-minutes")
            server_pids = process_tree(server.pid)
            server_before, client_before = cpu_seconds(server_pids), sum(os.times()[:2])
            database_pids = postgres_pids() if args.db == "postgresql" else []
            database_before = cpu_seconds(database_pids)
            busy_before, total_before = machine_cpu()
            outcomes, wall = rush(port, companies, args.concurrency, deadline, args.hostile_uploads)
            attacks = [outcome for outcome in outcomes if outcome.hostile]
            outcomes = [outcome for outcome in outcomes if not outcome.hostile]
            for attack in [attack for attack in attacks if not attack.ok][:10]:
                log(f"hostile company {attack.index} not answered: {attack.error}")
            server_cpu = cpu_seconds(server_pids) - server_before
            client_cpu = sum(os.times()[:2]) - client_before
            later_pids = postgres_pids() if args.db == "postgresql" else []
            database_cpu = cpu_seconds(sorted(set(database_pids) | set(later_pids))) - database_before
            busy, total = machine_cpu()
            log(
                f"CPU during the rush: portal {server_cpu:.1f} s ({len(server_pids)} processes), "
                f"PostgreSQL (all its processes) {database_cpu:.1f} s, this load generator {client_cpu:.1f} s, whole machine busy {busy - busy_before:.1f} s "
                f"of {total - total_before:.1f} s ({100 * (busy - busy_before) / (total - total_before):.0f}%)"
            )
            left = (deadline - datetime.now(UTC)).total_seconds()
            log(f"rush over in {wall:.1f} s, {left:.0f} s before the deadline")
            stop_server(server)
            server = None
            if args.profile is not None:
                show_profile(args.profile)
            failures = [outcome for outcome in outcomes if not outcome.ok]
            kinds = Counter(outcome.error.split(":", 1)[0] for outcome in failures)
            if kinds:
                log("failures by kind: " + ", ".join(f"{kind}: {n}" for kind, n in kinds.most_common()))
            for outcome in failures[:10]:
                log(f"failed: company {outcome.index} after {outcome.seconds * 1000:.0f} ms: {outcome.error}")
            succeeded = [outcome for outcome in outcomes if outcome.ok]
            times = [outcome.seconds * 1000 for outcome in succeeded] or [math.nan]
            for name, values in [
                ("upload", [o.upload_seconds * 1000 for o in succeeded]),
                ("submit", [o.submit_seconds * 1000 for o in succeeded]),
                ("both", times),
            ]:
                if values:
                    log(
                        f"{name:6} ms: p50 {percentile(values, 0.5):.0f}  p90 {percentile(values, 0.9):.0f}  "
                        f"p99 {percentile(values, 0.99):.0f}  max {max(values):.0f}"
                    )
            started = time.perf_counter()
            check = verify(url, data_dir / "blobs", honest)
            log(
                f"checked {check.versions} versions in {time.perf_counter() - started:.1f} s: lost {check.lost}, "
                f"duplicated {check.duplicated}, corrupt {check.corrupt}"
            )
            for problem in check.problems[:10]:
                log(problem)
            if args.keep:
                log(f"data kept in {work}")
        line = (
            f"deadline_rush db={args.db} proposals={len(honest)} lost={check.lost} "
            f"duplicated={check.duplicated} corrupt={check.corrupt} rate_per_s={len(succeeded) / wall:.1f} "
            f"p50_ms={percentile(times, 0.5):.0f} p99_ms={percentile(times, 0.99):.0f} failed={len(failures)}"
        )
        if attacks:
            answers = [seconds * 1000 for attack in attacks for seconds in attack.answers] or [math.nan]
            line += (
                f" hostile={len(attacks)} hostile_answered={sum(attack.ok for attack in attacks)}"
                f" hostile_p50_ms={percentile(answers, 0.5):.0f} hostile_p99_ms={percentile(answers, 0.99):.0f}"
            )
        return line
    finally:
        if server is not None:
            stop_server(server)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-server", default=PG_SERVER, help="PostgreSQL server URL (a database is made there).")
    parser.add_argument("--proposals", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="Worker processes of the portal.")
    parser.add_argument("--pdf-mb", type=float, default=2, help="Size of each PDF in MiB.")
    parser.add_argument("--deadline-minutes", type=int, default=5, help="Deadline this far after setup starts.")
    parser.add_argument(
        "--profile", type=Path, help="Diagnosis: run ONE worker under cProfile, write its stats here and show them."
    )
    parser.add_argument(
        "--pool-size",
        type=int,
        help="Diagnosis: give each worker's PostgreSQL pool this many connections (the app's default is 5 + 10).",
    )
    parser.add_argument(
        "--hostile-share", type=float, default=0.0, help="Share of the companies that upload crafted costly PDFs."
    )
    parser.add_argument("--hostile-uploads", type=int, default=3, help="Crafted PDFs each hostile company uploads.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data folder (and server log).")
    args = parser.parse_args()
    log(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; db={args.db} proposals={args.proposals} "
        f"concurrency={args.concurrency} workers={args.workers} pdf_mb={args.pdf_mb} hostile_share={args.hostile_share}"
    )
    print(run(args))


if __name__ == "__main__":
    main()
