"""``portal demo``: the demo staff and a challenge past its deadline in evaluation, made through the web's use
cases, once; and the staff's evaluation and decision pages over HTTP for what it made."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from app.accounts.models import User
from app.cli import main
from app.database import Database
from app.main import create_app
from app.settings import Settings
from tests.databases import empty_database
from tests.factories import log_in

BASE = "/manage/challenges/demo-perimeter-sensors/evaluation/proposal"


@pytest.fixture
def cli_env(db_kind: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh, migrated database that the CLI finds through PORTAL_* variables."""
    monkeypatch.delenv("PORTAL_DEMO", raising=False)
    monkeypatch.delenv("PORTAL_BASE_URL", raising=False)
    with empty_database(db_kind, tmp_path) as url:
        monkeypatch.setenv("PORTAL_DATABASE_URL", url)
        monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("PORTAL_SECRET_KEY", "demo-test-secret")
        assert run("migrate").exit_code == 0
        yield url


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def _rows(url: str, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    engine = create_engine(url)
    with engine.connect() as connection:
        rows = [tuple(row) for row in connection.execute(text(sql))]
    engine.dispose()
    return rows


COUNTS = {
    "SELECT count(*) FROM challenge": 1,
    "SELECT count(*) FROM proposal WHERE status = 'submitted'": 4,
    "SELECT count(*) FROM proposal_version": 4,
    "SELECT count(*) FROM organisation": 4,
    "SELECT count(*) FROM evaluation_assignment": 11,
    "SELECT count(*) FROM evaluation WHERE status = 'submitted'": 8,
    "SELECT count(*) FROM security_assessment WHERE status = 'submitted'": 4,
    "SELECT count(*) FROM consensus_score": 6,
    "SELECT count(*) FROM eligibility_decision WHERE admissible": 4,
}


def test_demo_is_refused_outside_demo_mode(cli_env: str) -> None:
    result = run("demo")
    assert result.exit_code == 1
    assert "demo accounts exist only in demo mode: set PORTAL_DEMO=1" in result.output
    assert _rows(cli_env, "SELECT count(*) FROM challenge") == [(0,)]


def test_demo_makes_a_challenge_in_evaluation_once_and_prints_the_staff(
    cli_env: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORTAL_DEMO", "1")
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert "A challenge in evaluation, its deadline passed (demo-perimeter-sensors, made now):" in first.output
    assert f"results:     http://127.0.0.1:8000{BASE}/results" in first.output
    for email in (
        "coordinator@demo.invalid",
        "coordinator2@demo.invalid",
        "evaluator@demo.invalid",
        "admin@demo.invalid",
    ):
        assert f"  e-mail:      {email}\n" in first.output
    assert "manage: demo-perimeter-sensors" in first.output
    counts = {sql: _rows(cli_env, sql)[0][0] for sql in COUNTS}
    assert counts == COUNTS
    assert _rows(cli_env, "SELECT status FROM challenge") == [("evaluation",)]

    second = run("demo")
    assert second.exit_code == 0, second.output
    assert "(demo-perimeter-sensors, already there)" in second.output
    assert {sql: _rows(cli_env, sql)[0][0] for sql in COUNTS} == COUNTS
    assert _rows(cli_env, "SELECT count(*) FROM challenge_coordinator") == [(2,)]
    verified = run("audit", "verify")
    assert verified.exit_code == 0, verified.output


def test_demo_went_through_the_use_cases_with_their_audit_events(cli_env: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DEMO", "1")
    assert run("demo").exit_code == 0
    actions = {action for (action,) in _rows(cli_env, "SELECT DISTINCT action FROM audit_event")}
    for action in (
        "challenge.published",
        "organisation.create",
        "proposal.submit",
        "challenge.evaluation",
        "proposal.eligibility",
        "evaluation.pool_add",
        "assignment.declare",
        "evaluation.submit",
        "consensus.record",
    ):
        assert action in actions, sorted(actions)
    # Each proposal was submitted before the deadline, by the server's rule, with a checked PDF.
    late = _rows(
        cli_env,
        "SELECT count(*) FROM proposal_version v JOIN proposal p ON p.id = v.proposal_id "
        "JOIN challenge_stage s ON s.id = p.stage_id WHERE v.received_at >= s.deadline_at",
    )
    assert late == [(0,)]
    assert _rows(cli_env, "SELECT DISTINCT kind, pages FROM proposal_document") == [("pdf", 1)]


@pytest.fixture
def demo_app(cli_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[TestClient, Database]]:
    monkeypatch.setenv("PORTAL_DEMO", "1")
    assert run("demo").exit_code == 0
    settings = Settings(
        database_url=cli_env, data_dir=tmp_path / "data", secret_key="demo-test-secret", base_url="http://testserver"
    )
    app = create_app(settings)
    with TestClient(app, follow_redirects=False) as client:
        yield client, app.state.db
    app.state.db.dispose()


def _log_in(client: TestClient, db: Database, email: str) -> None:
    with db.unit_of_work() as session:
        user = session.scalars(select(User).where(User.email == email)).one()
        log_in(client, session, user, now=client.app.state.clock.now())  # type: ignore[attr-defined]


def test_demo_evaluation_pages_render_for_the_coordinator(demo_app: tuple[TestClient, Database]) -> None:
    client, db = demo_app
    _log_in(client, db, "coordinator@demo.invalid")
    for page in ("results", "assignments", "eligibility", "decisions", "calibration"):
        response = client.get(f"{BASE}/{page}")
        assert response.status_code == 200, (page, response.text[:300])
    results = client.get(f"{BASE}/results").text
    assert "Radarwacht B.V." in results and "Hekwerk Alarm B.V." in results
    assert "Criterium Operationeel effect scoorde 1, onder het minimum van 2." in results  # the knock-out
    assert (
        '<strong class="badge">Verschil van oordeel</strong>' in results
    )  # the panel disagrees on the second proposal
    proposal_id = _rows(str(db.engine.url.render_as_string(hide_password=False)), _PROPOSAL_SQL)[0][0]
    detail = client.get(f"{BASE}/proposals/{proposal_id}")
    assert detail.status_code == 200
    assert "Consensus van het panel (demo)." in detail.text


_PROPOSAL_SQL = (
    "SELECT p.id FROM proposal p JOIN organisation o ON o.id = p.organisation_id WHERE o.legal_name = 'Radarwacht B.V.'"
)


def test_demo_evaluator_finds_assignments_in_every_state(demo_app: tuple[TestClient, Database]) -> None:
    client, db = demo_app
    _log_in(client, db, "evaluator@demo.invalid")
    queue = client.get("/evaluate")
    assert queue.status_code == 200
    ids = [
        row[0]
        for row in _rows(
            str(db.engine.url.render_as_string(hide_password=False)),
            "SELECT a.id FROM evaluation_assignment a JOIN user_account u ON u.id = a.evaluator_id "
            "WHERE u.email = 'evaluator@demo.invalid' ORDER BY a.id",
        )
    ]
    assert len(ids) == 3
    for assignment_id in ids:
        assert f'href="/evaluate/assignments/{assignment_id}"' in queue.text
        assert client.get(f"/evaluate/assignments/{assignment_id}").status_code == 200
    scored = client.get(f"/evaluate/assignments/{ids[0]}").text
    assert "Overtuigend onderbouwd met testresultaten." in scored  # the own justification and, after it, others'
    assert client.get(f"/evaluate/assignments/{ids[1]}/security").status_code == 200
