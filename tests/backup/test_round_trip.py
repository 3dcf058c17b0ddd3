"""A backup taken while companies submit, restored into a new database and document folder: the restored portal
serves every acknowledged submission with its receipt and its documents intact."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.clock import FrozenClock
from app.database import Database
from app.main import create_app
from app.proposals.models import ProposalVersion
from app.settings import Settings
from tests.backup.helpers import run, scratch_database
from tests.conftest import DEFAULT_NOW
from tests.factories import create_challenge, log_in
from tests.pdfs import pdf_bytes
from tests.proposals.helpers import act_for, create_company, save, start, submit, upload

RECEIPT_PATTERN = re.compile(r"<code class=\"hash\">([0-9a-f]{64})</code>")
INTACT = "The content and every document are exactly as received."
BEFORE_BACKUP = 3  # companies that submit before the backup starts
DURING_BACKUP = 4  # companies that keep amending while it runs
ROUNDS = 4  # amendments each of those makes at most


@dataclass
class Company:
    user_id: int
    organisation_id: int
    proposal_id: int
    client: TestClient
    documents: list[bytes]
    acknowledged: list[tuple[int, str, str, str]] = field(default_factory=list)  # number, receipt, sha, phase


def portal(url: str, data_dir: Path) -> tuple[FastAPI, Database]:
    db = Database(url)
    settings = Settings(
        data_dir=data_dir, secret_key="test-secret-key-not-for-production", base_url="http://testserver"
    )
    return create_app(settings, db=db, clock=FrozenClock(DEFAULT_NOW)), db


@pytest.fixture
def source(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Path]]:
    data_dir = tmp_path / "live"
    with scratch_database(db_kind, data_dir) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(data_dir))
        assert run("migrate").exit_code == 0
        yield url, data_dir


def _submit_one(company: Company, *, round_number: int, phase: str) -> None:
    """Save, upload a new document, submit; an acknowledged version is what the company's browser was shown."""
    client, proposal_id = company.client, company.proposal_id
    document = company.documents[round_number]
    assert save(client, proposal_id, q_summary=f"Vroege detectie, ronde {round_number}", trl="5").status_code == 303
    assert upload(client, proposal_id, "brief", document).status_code == 303
    response = submit(client, proposal_id, key=f"round-{round_number}")
    assert response.status_code == 303, response.text[:500]
    number = int(response.headers["location"].rsplit("/", 1)[1])
    page = client.get(response.headers["location"])
    receipt = RECEIPT_PATTERN.search(page.text)
    assert receipt is not None
    company.acknowledged.append((number, receipt.group(1), hashlib.sha256(document).hexdigest(), phase))


def _companies(app: FastAPI, db: Database, slug: str) -> list[Company]:
    companies = []
    with db.unit_of_work() as session:
        for index in range(BEFORE_BACKUP + DURING_BACKUP):
            user, organisation = create_company(
                session,
                email=f"c{index}@example.nl",
                name=f"Bedrijf {index} B.V.",
                kvk=f"{70000000 + index}",
                at=DEFAULT_NOW,
                language="en",
            )
            client = TestClient(app, follow_redirects=False)
            act_for(client, session, user, organisation, now=DEFAULT_NOW)
            proposal = start(client, session, slug)
            documents = [pdf_bytes(pages=1, text=f"Bedrijf {index} ronde {n}") for n in range(ROUNDS + 1)]
            companies.append(Company(user.id, organisation.id, proposal.id, client, documents))
    return companies


def _serves_intact(client: TestClient, company: Company, number: int, receipt: str, sha: str) -> None:
    page = client.get(f"/proposals/{company.proposal_id}", params={"receipt": receipt})
    assert page.status_code == 200
    assert INTACT in page.text, f"proposal {company.proposal_id} version {number}"
    download = client.get(f"/proposals/{company.proposal_id}/versions/{number}/documents/brief")
    assert download.status_code == 200
    assert hashlib.sha256(download.content).hexdigest() == sha


def test_a_backup_during_a_burst_of_submissions_restores_every_acknowledged_one(
    db_kind: str, source: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, data_dir = source
    app, db = portal(url, data_dir)
    with TestClient(app):  # the app's lifespan: the document checker runs
        with db.unit_of_work() as session:
            slug = create_challenge(session).slug
        companies = _companies(app, db, slug)
        for company in companies[:BEFORE_BACKUP]:
            _submit_one(company, round_number=0, phase="before")
        backup_done = threading.Event()
        started = threading.Barrier(DURING_BACKUP + 1)
        errors: list[BaseException] = []

        def burst(company: Company) -> None:
            try:
                _submit_one(company, round_number=0, phase="before")
                started.wait()
                for round_number in range(1, ROUNDS + 1):
                    if backup_done.is_set():
                        break
                    _submit_one(company, round_number=round_number, phase="during")
            except BaseException as error:  # reported below, in the test's thread
                errors.append(error)
                started.abort()

        threads = [threading.Thread(target=burst, args=(c,)) for c in companies[BEFORE_BACKUP:]]
        for thread in threads:
            thread.start()
        try:
            started.wait()  # every company of the burst has one acknowledged version; amendments go on meanwhile
            result = run("backup", str(tmp_path / "backup"))
        finally:
            backup_done.set()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert result.exit_code == 0, result.output
    db.dispose()

    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    restored_dir = tmp_path / "restored"
    with scratch_database(db_kind, restored_dir) as restored_url:
        monkeypatch.setenv("PORTAL_DATA_DIR", str(restored_dir))
        monkeypatch.setenv("PORTAL_DATABASE_URL", restored_url)
        restored = run("restore", str(tmp_path / "backup"))
        assert restored.exit_code == 0, restored.output
        assert "every check matches the manifest" in restored.output
        assert f"ok: audit head: {manifest['audit_head']}" in restored.output
        assert run("blobs", "check").exit_code == 0

        app, db = portal(restored_url, restored_dir)
        with TestClient(app, follow_redirects=False) as client, db.unit_of_work() as session:
            for company in companies:
                versions = _restored_versions(session, company.proposal_id)
                assert versions == list(range(1, len(versions) + 1))  # no gap, nothing half there
                client.cookies.clear()
                log_in(client, session, session.get_one(User, company.user_id), now=DEFAULT_NOW)
                assert client.get("/language/en").status_code == 303
                for number, receipt, sha, phase in company.acknowledged:
                    if phase == "before":
                        assert number in versions  # acknowledged before the backup began: never lost
                    if number in versions:
                        _serves_intact(client, company, number, receipt, sha)
        db.dispose()


def _restored_versions(session: Session, proposal_id: int) -> list[int]:
    numbers = session.scalars(
        select(ProposalVersion.number)
        .where(ProposalVersion.proposal_id == proposal_id)
        .order_by(ProposalVersion.number)
    )
    return list(numbers)
