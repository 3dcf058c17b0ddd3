"""Results page and XLSX export for a challenge with 2,000 proposals, 3 evaluators each, 8 criteria.

Builds the challenge in a fresh database (SQLite file, or a new schema on PostgreSQL) whose schema comes
from the migrations: 2,000 organisations with a submitted proposal version each, a pool of evaluators,
3 accepted assignments per proposal with submitted scores on all 8 criteria, and consensus scores.
Rows are written in bulk, not through the services: the figures are about reading them back.

Then, as a coordinator of the challenge, through the app (Starlette's TestClient, so the whole stack of
middleware, dependencies, service and template runs): one warm-up request, then the median of
``--repeat`` requests of the results page and of the XLSX export. Queries are counted on the engine
(``before_cursor_execute``) for one request of each.

    .venv/bin/python bench/results.py --db sqlite --db postgresql

Ends with one line per database:
``results db=... proposals=2000 page_ms=... xlsx_ms=... queries=... xlsx_queries=...`` (``queries``: SQL
statements of one results page request, session and authentication included; ``xlsx_queries``: of one
export request). Target: page and export each under 2 s.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from app import migrate  # noqa: E402
from app.challenges.enums import ChallengeStatus  # noqa: E402
from app.challenges.models import Challenge, ChallengeCoordinator  # noqa: E402
from app.clock import FrozenClock  # noqa: E402
from app.database import Database  # noqa: E402
from app.evaluations import models as ev  # noqa: E402
from app.organisations.models import Organisation  # noqa: E402
from app.proposals.models import Proposal, ProposalVersion  # noqa: E402
from app.settings import Settings  # noqa: E402
from tests.factories import create_challenge, create_user, log_in  # noqa: E402

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
WEIGHTS = (20, 15, 15, 10, 10, 10, 10, 10)
CRITERIA = [f"criterion_{number}" for number in range(1, len(WEIGHTS) + 1)]
SUBMITTED_AT = datetime(2027, 2, 20, 12, 0, tzinfo=UTC)  # before the stage deadline (26 Feb 2027)
NOW = datetime(2027, 3, 15, 10, 0, tzinfo=UTC)  # after it: the proposals are unsealed


def _text(value: str) -> dict[str, str]:
    return {"nl": value, "en": value}


def _definition() -> dict[str, Any]:
    return {
        "slug": "bench-results",
        "scale": {
            "min": 0,
            "max": 5,
            "levels": [{"value": v, "label": _text(f"L{v}"), "descriptor": _text(f"D{v}")} for v in range(6)],
        },
        "criteria": [
            {"key": key, "title": _text(f"Criterion {n}"), "description": _text("."), "weight": weight, "minimum": 1}
            for n, (key, weight) in enumerate(zip(CRITERIA, WEIGHTS, strict=True), start=1)
        ],
        "knockout_total_minimum": 1.0,
    }


# --- databases ------------------------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, pg_url: str) -> Iterator[str]:
    """A URL to an empty database: a new SQLite file, or a new schema dropped afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    schema = f"bench_{secrets.token_hex(4)}"
    admin = create_engine(pg_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- data -----------------------------------------------------------------------------------------


def build(session: Session, *, proposals: int, pool: int, per_proposal: int) -> tuple[Challenge, Any]:
    """The challenge, its coordinator, and every row of the evaluation, written in bulk."""
    challenge = create_challenge(session, **_definition())
    challenge.status = ChallengeStatus.EVALUATION.value
    stage = challenge.stages[0]
    coordinator = create_user(session, email="coordinator@bench.example", name="Coordinator", roles=("coordinator",))
    session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=coordinator.id, assigned_at=SUBMITTED_AT))
    evaluators = [
        create_user(session, email=f"evaluator{n}@bench.example", name=f"Evaluator {n}", roles=("evaluator",))
        for n in range(1, pool + 1)
    ]
    session.execute(
        insert(ev.PoolMember),
        [{"challenge_id": challenge.id, "user_id": user.id, "added_at": SUBMITTED_AT} for user in evaluators],
    )
    session.execute(
        insert(Organisation),
        [
            {
                "legal_name": f"Bench {n} B.V.",
                "kvk_number": f"{70_000_000 + n}",
                "country": "NL",
                "created_at": SUBMITTED_AT,
            }
            for n in range(proposals)
        ],
    )
    organisations = session.execute(
        select(Organisation.id, Organisation.legal_name, Organisation.kvk_number).where(
            Organisation.legal_name.like("Bench %")
        )
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
                "created_at": SUBMITTED_AT,
                "updated_at": SUBMITTED_AT,
                "submitted_at": SUBMITTED_AT,
            }
            for org in organisations
        ],
    )
    proposal_ids = session.scalars(select(Proposal.id).where(Proposal.stage_id == stage.id).order_by(Proposal.id)).all()
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
                    "answers": {"summary": "A proposal written for the benchmark."},
                    "trl": 5,
                },
                "receipt_hash": f"{by_org[org.id]:064x}",
                "received_at": SUBMITTED_AT + timedelta(seconds=index),
                "idempotency_key": f"bench-{index}",
            }
            for index, org in enumerate(organisations)
        ],
    )
    rows = [
        {
            "proposal_id": proposal_id,
            "evaluator_id": evaluators[(index * per_proposal + k) % pool].id,
            "stage_id": stage.id,
            "status": "accepted",
            "assigned_at": SUBMITTED_AT,
        }
        for index, proposal_id in enumerate(proposal_ids)
        for k in range(per_proposal)
    ]
    session.execute(insert(ev.Assignment), rows)
    assignments = session.execute(
        select(ev.Assignment.id, ev.Assignment.proposal_id).join(Proposal).where(Proposal.stage_id == stage.id)
    ).all()
    session.execute(
        insert(ev.ConflictDeclaration),
        [{"assignment_id": a.id, "has_conflict": False, "reason": "", "declared_at": NOW} for a in assignments],
    )
    session.execute(
        insert(ev.Evaluation),
        [
            {
                "assignment_id": a.id,
                "status": "submitted",
                "assessed_trl": 5,
                "created_at": NOW,
                "updated_at": NOW,
                "submitted_at": NOW,
            }
            for a in assignments
        ],
    )
    evaluations = session.execute(
        select(ev.Evaluation.id, ev.Evaluation.assignment_id).where(
            ev.Evaluation.assignment_id.in_(
                select(ev.Assignment.id).join(Proposal).where(Proposal.stage_id == stage.id)
            )
        )
    ).all()
    session.execute(
        insert(ev.EvaluationScore),
        [
            {
                "evaluation_id": e.id,
                "criterion_key": key,
                "score": (e.id * 7 + n * 3) % 6,
                "justification": "Justified for the benchmark.",
            }
            for e in evaluations
            for n, key in enumerate(CRITERIA)
        ],
    )
    session.execute(
        insert(ev.ConsensusScore),
        [
            {
                "proposal_id": proposal_id,
                "criterion_key": key,
                "score": 1 + (proposal_id * 5 + n) % 5,
                "rationale": "Agreed in the consensus meeting.",
                "moderator_id": coordinator.id,
                "recorded_at": NOW,
            }
            for proposal_id in proposal_ids
            for n, key in enumerate(CRITERIA)
        ],
    )
    session.commit()
    return challenge, coordinator


# --- measuring ------------------------------------------------------------------------------------


class QueryCounter:
    def __init__(self, engine: Any) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *args: Any) -> None:
        self.count += 1


def timed(action: Callable[[], Any], counter: QueryCounter, repeat: int) -> tuple[float, int]:
    """Median milliseconds of ``repeat`` runs after one warm-up, and the queries of one run."""
    action()
    counter.count = 0
    action()
    queries = counter.count
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), queries


def run(kind: str, url: str, *, proposals: int, pool: int, repeat: int) -> str:
    from fastapi.testclient import TestClient

    from app.main import create_app

    database = Database(url)
    migrate.upgrade(database.engine)
    with database.unit_of_work() as session:
        started = time.perf_counter()
        challenge, coordinator = build(session, proposals=proposals, pool=pool, per_proposal=3)
        built = time.perf_counter() - started
        slug, stage_key = challenge.slug, challenge.stages[0].key
        first_id = session.scalar(select(Proposal.id).order_by(Proposal.id).limit(1)) or 0
    print(f"# {kind}: built {proposals} proposals in {built:.1f} s", file=sys.stderr)
    counter = QueryCounter(database.engine)
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder), secret_key="bench-secret-key", base_url="http://testserver")
        app = create_app(settings, db=database, clock=FrozenClock(NOW))
        with TestClient(app, follow_redirects=False) as client:
            with database.unit_of_work() as session:
                from app.accounts.models import User

                user = session.scalars(select(User).where(User.id == coordinator.id)).one()
                log_in(client, session, user, now=NOW)
            page_url, xlsx_url = results_urls(app, slug, stage_key)

            first_reference = f"P-{first_id:06d}".encode()

            def page() -> None:
                response = client.get(page_url)
                assert response.status_code == 200, (response.status_code, page_url)
                assert first_reference in response.content

            def xlsx() -> None:
                response = client.get(xlsx_url)
                assert response.status_code == 200, (response.status_code, xlsx_url)
                assert response.content[:2] == b"PK"

            page_ms, page_queries = timed(page, counter, repeat)
            xlsx_ms, xlsx_queries = timed(xlsx, counter, repeat)
    database.dispose()
    return (
        f"results db={kind} proposals={proposals} page_ms={page_ms:.0f} xlsx_ms={xlsx_ms:.0f} "
        f"queries={page_queries} xlsx_queries={xlsx_queries}"
    )


def results_urls(app: Any, slug: str, stage_key: str) -> tuple[str, str]:
    """The results page and its XLSX export, by route name (the evaluations views name them)."""
    page = app.url_path_for("eval_results", slug=slug, stage_key=stage_key)
    xlsx = app.url_path_for("eval_export", slug=slug, stage_key=stage_key, fmt="xlsx")
    return str(page), str(xlsx)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", action="append", choices=["sqlite", "postgresql"], help="repeatable; default sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("PORTAL_TEST_DATABASE_URL") or PG_DEFAULT)
    parser.add_argument("--proposals", type=int, default=2000)
    parser.add_argument("--pool", type=int, default=30, help="evaluators in the pool")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(
        f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}",
        file=sys.stderr,
    )
    lines = []
    for kind in args.db or ["sqlite"]:
        with fresh_database(kind, args.pg_url) as url:
            lines.append(run(kind, url, proposals=args.proposals, pool=args.pool, repeat=args.repeat))
    for line in lines:
        print(line)


if __name__ == "__main__":
    main()
