"""Resident memory of the portal's worker while it receives a 100 MB document upload.

Sets up its own data folder and SQLite database (schema by the migrations), a challenge whose first stage
has a PDF document question of at most 150 MB, a company user with an organisation and a draft proposal,
and a live session. Then starts the portal as in production (uvicorn with the app factory, in its own
process), streams a 100 MB PDF to ``POST /proposals/{id}/documents/{key}`` from a generator (this process
never holds the file either), and samples the worker's VmRSS from /proc every 20 ms.

Run: ``.venv/bin/python bench/upload_memory.py [--mb 100] [--keep]``. Ends with one line:
``upload_memory upload_mb=100 rss_before_mb=... rss_peak_mb=... rss_growth_mb=...``
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SECRET = "bench-upload-memory-secret-key-not-for-production"
MIB = 1024 * 1024
SLUG = "bench-upload-memory"
QUESTION = "brief"
PASSWORD = "a long and unusual passphrase 42"
BOUNDARY = "----portal-bench-boundary-upload-memory"


def _text(value: str) -> dict[str, str]:
    return {"nl": value, "en": value}


def definition(now: datetime) -> dict[str, Any]:
    """A challenge open now, its first stage asking for one PDF of at most 150 MB."""
    local = now.astimezone(ZoneInfo("Europe/Amsterdam")).replace(tzinfo=None, microsecond=0)
    return {
        "slug": SLUG,
        "title": _text("Bench upload memory"),
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
                "key": "brief",
                "title": _text("Brief"),
                "description": _text("A brief."),
                "opens_at": (local - timedelta(days=1)).isoformat(),
                "deadline": (local + timedelta(days=30)).isoformat(),
                "questions": [
                    {
                        "key": QUESTION,
                        "type": "document",
                        "label": _text("Brief"),
                        "allowed_types": ["pdf"],
                        "max_size_mb": 150,
                        "max_pages": 5,
                    }
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


def prepare(data_dir: Path, now: datetime) -> tuple[int, str]:
    """Schema, challenge, user, organisation, draft and session; returns the proposal id and session cookie."""
    from app import migrate
    from app.accounts import sessions
    from app.accounts.models import User
    from app.accounts.passwords import hash_password
    from app.audit.service import Actor
    from app.challenges import service as challenge_service
    from app.challenges.schemas import ChallengeDefinition
    from app.database import Database
    from app.organisations import service as organisation_service
    from app.organisations.schemas import parse_organisation
    from app.proposals.drafts import service as draft_service

    db = Database(f"sqlite:///{data_dir / 'portal.db'}")
    migrate.upgrade(db.engine)
    with db.unit_of_work() as session:
        challenge_service.save_definition(
            session,
            definition=ChallengeDefinition.model_validate(definition(now)),
            actor=Actor(user_id=None, label="bench"),
            now=now,
            publish=True,
        )
        session.commit()
        challenge = challenge_service.get_challenge_by_slug(session, slug=SLUG)
        stage = challenge.stages[0]
        user = User(
            email="bench@example.nl",
            name="Bench User",
            password_hash=hash_password(PASSWORD),
            language="en",
            is_active=True,
            created_at=now,
            email_confirmed_at=now,
        )
        session.add(user)
        session.flush()
        form, errors = parse_organisation(
            {
                "legal_name": "Bench Sensoren B.V.",
                "country": "NL",
                "kvk_number": "87654321",
                "registry_id": "",
                "street": "Kanaalweg 1",
                "postcode": "2628 EB",
                "city": "Delft",
                "is_sme": "yes",
                "ownership": "independent",
                "parent_name": "",
                "parent_country": "",
                "security_status": "none",
                "facility_clearance_level": "",
            }
        )
        assert form is not None, errors
        actor = Actor(user_id=user.id, label=user.email)
        organisation = organisation_service.create_organisation(
            session, form=form, user=user, auth_session_id=None, actor=actor, now=now
        )
        proposal = draft_service.start_proposal(
            session, challenge=challenge, stage=stage, organisation=organisation, user=user, actor=actor, now=now
        )
        policy = sessions.SessionPolicy(idle=timedelta(hours=2), absolute=timedelta(hours=12))
        token, _ = sessions.start_session(session, user=user, now=now, policy=policy, ip="127.0.0.1", user_agent="b")
        session.commit()
        proposal_id = proposal.id
    db.dispose()
    return proposal_id, token


# --- a PDF of any size, generated as it is sent -----------------------------------------------------


def pdf_segments(mb: int) -> list[bytes | int]:
    """A valid one-page PDF padded with incompressible streams: bytes, or an int for that many random bytes."""
    segments: list[bytes | int] = []
    offsets: list[int] = []
    written = 0

    def add(piece: bytes | int) -> None:
        nonlocal written
        segments.append(piece)
        written += piece if isinstance(piece, int) else len(piece)

    count = mb
    pad_ids = list(range(4, 4 + count))
    add(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    kids = " ".join(f"{n} 0 R" for n in pad_ids)
    head = [
        f"<< /Type /Catalog /Pages 2 0 R /PieceInfo << /Bench << /Private [{kids}] >> >> >>".encode(),
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    for number, body in enumerate(head, start=1):
        offsets.append(written)
        add(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    for number in pad_ids:
        size = MIB - 64
        offsets.append(written)
        add(b"%d 0 obj\n<< /Length %d >>\nstream\n" % (number, size))
        add(size)
        add(b"\nendstream\nendobj\n")
    xref_at = written
    table = [b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)]
    table += [b"%010d 00000 n \n" % offset for offset in offsets]
    add(b"".join(table))
    add(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref_at))
    return segments


def multipart_segments(mb: int, filename: str, token: str) -> list[bytes | int]:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return [head, *pdf_segments(mb), f"\r\n--{BOUNDARY}--\r\n".encode()]


def length_of(segments: list[bytes | int]) -> int:
    return sum(piece if isinstance(piece, int) else len(piece) for piece in segments)


def chunks_of(segments: list[bytes | int], digest: Any, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """The body piece by piece; random padding made as it goes. ``digest`` sees the file's bytes only."""
    last = len(segments) - 1
    for index, piece in enumerate(segments):
        if isinstance(piece, int):
            left = piece
            while left:
                data = os.urandom(min(chunk, left))
                left -= len(data)
                digest.update(data)
                yield data
        else:
            if 0 < index < last:
                digest.update(piece)
            yield piece


# --- the server and its memory ----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


class Sampler(threading.Thread):
    def __init__(self, pid: int, interval: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = 0.0
        self.samples = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.peak = max(self.peak, rss_mb(self.pid))
            self.samples += 1
            time.sleep(self.interval)


def start_server(data_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORTAL_SECRET_KEY": SECRET,
        "PORTAL_BASE_URL": f"http://127.0.0.1:{port}",
        "PORTAL_WORKERS": "1",
    }
    command = [
        sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the portal stopped: see {log}\n{log.read_text()[-3000:]}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("the portal did not start within 60 s")


def csrf_cookie(port: int, session_cookie: str) -> str:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", "/healthz", headers={"Cookie": f"portal_session={session_cookie}"})
    response = connection.getresponse()
    response.read()
    for name, value in response.getheaders():
        if name.lower() == "set-cookie" and value.startswith("portal_csrf="):
            return value.split(";", 1)[0].split("=", 1)[1]
    raise RuntimeError("no CSRF cookie")


def upload(port: int, path: str, cookies: str, segments: list[bytes | int]) -> tuple[int, str, str, str]:
    """Stream the body; returns status, Location, the file's SHA-256 as sent, and the start of the body."""
    digest = hashlib.sha256()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
    connection.putrequest("POST", path)
    connection.putheader("Content-Type", f"multipart/form-data; boundary={BOUNDARY}")
    connection.putheader("Content-Length", str(length_of(segments)))
    connection.putheader("Cookie", cookies)
    connection.endheaders()
    for chunk in chunks_of(segments, digest):
        connection.send(chunk)
    response = connection.getresponse()
    body = response.read()
    return (
        response.status,
        response.getheader("Location") or "",
        digest.hexdigest(),
        body[:400].decode(errors="replace"),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="Size of the uploaded PDF in MiB.")
    parser.add_argument("--keep", action="store_true", help="Keep the temporary data folder.")
    args = parser.parse_args()

    from app.security import csrf_token_for

    work = Path(tempfile.mkdtemp(prefix="bench-upload-memory-"))
    data_dir = work / "data"
    data_dir.mkdir()
    server = None
    try:
        proposal_id, session_cookie = prepare(data_dir, datetime.now(UTC))
        port = free_port()
        server = start_server(data_dir, port, work / "server.log")
        csrf = csrf_cookie(port, session_cookie)
        cookies = f"portal_session={session_cookie}; portal_csrf={csrf}"
        path = f"/proposals/{proposal_id}/documents/{QUESTION}"
        token = csrf_token_for(SECRET, csrf, session_cookie)

        # Warm up: the first upload imports and caches what every later one uses.
        status, _, _, body = upload(port, path, cookies, multipart_segments(1, "warm-up.pdf", token))
        if status != 303:
            raise RuntimeError(f"warm-up upload answered {status}: {body}")
        time.sleep(0.5)

        before = rss_mb(server.pid)
        sampler = Sampler(server.pid)
        sampler.start()
        started = time.monotonic()
        status, location, sha256, body = upload(port, path, cookies, multipart_segments(args.mb, "large.pdf", token))
        seconds = time.monotonic() - started
        time.sleep(0.2)
        sampler.stopped.set()
        sampler.join()
        if status != 303:
            raise RuntimeError(f"upload answered {status}: {body}")
        stored = data_dir / "blobs" / sha256[:2] / sha256[2:4] / sha256
        if not stored.is_file():
            raise RuntimeError(f"the uploaded document is not in the blob store under {sha256}")
        after = rss_mb(server.pid)
        peak = max(sampler.peak, after)
        print(
            f"# {args.mb} MiB in {seconds:.1f} s, {sampler.samples} samples, redirect to {location}, "
            f"stored {stored.stat().st_size} bytes, rss_after_mb={after:.1f}",
            file=sys.stderr,
        )
        print(
            f"upload_memory upload_mb={args.mb} rss_before_mb={before:.1f} rss_peak_mb={peak:.1f} "
            f"rss_growth_mb={peak - before:.1f}"
        )
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
        if args.keep:
            print(f"# data kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
