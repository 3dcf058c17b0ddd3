"""A production worker renders the public pages once before its first request (``app.public.warmup``): the
first visitors get them from the page cache, and a warm-up that fails does not keep the worker from starting."""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.main import create_app
from app.public.warmup import public_paths
from app.settings import Settings
from tests.databases import TransactionalDatabase
from tests.factories import create_challenge
from tests.test_page_cache import statements


@pytest.fixture
def production(settings: Settings) -> Iterator[Settings]:
    yield settings.model_copy(
        update={"production": True, "secret_key": "a test secret key that is long enough for production use"}
        | {"document_checkers": 1}
    )
    gc.unfreeze()  # a production app froze what the test process held at its start


def _started(app: FastAPI) -> TestClient:
    return TestClient(app, follow_redirects=False)


def test_the_paths_warmed_are_the_list_and_the_first_challenges_pages_and_api_documents(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock
) -> None:
    assert public_paths(tdb, now=clock.now()) == ["/"]  # type: ignore[arg-type]
    for slug in ("first-one", "second-one", "third-one"):
        create_challenge(session, slug=slug)
    paths = public_paths(tdb, now=clock.now())  # type: ignore[arg-type]
    assert paths[0] == "/"
    assert len(paths) == 5
    challenge_pages = [path for path in paths if path.startswith("/challenges/")]
    api_documents = [path for path in paths if path.startswith("/api/v1/challenges/")]
    assert len(challenge_pages) == len(api_documents) == 2
    assert {path.rsplit("/", 1)[1] for path in challenge_pages} == {path.rsplit("/", 1)[1] for path in api_documents}


def test_after_a_production_start_the_first_visitor_gets_the_kept_pages_in_either_language(
    production: Settings, session: Session, tdb: TransactionalDatabase, clock: FrozenClock
) -> None:
    create_challenge(session)
    app = create_app(production, db=tdb, clock=clock)  # type: ignore[arg-type]
    with _started(app) as visitor:
        for language in ("nl", "en"):
            for path in ("/", "/challenges/test-challenge", "/api/v1/challenges/test-challenge"):
                with statements(tdb) as seen:
                    answer = visitor.get(path, headers={"Cookie": f"portal_lang={language}"})
                assert answer.status_code == 200
                assert len(seen) == 1, (path, language, seen)  # the content version only: no view ran
        assert (
            "Probleemstelling" in visitor.get("/challenges/test-challenge", headers={"Cookie": "portal_lang=nl"}).text
        )


def test_without_production_nothing_is_rendered_before_the_first_visitor(
    settings: Settings, session: Session, tdb: TransactionalDatabase, clock: FrozenClock
) -> None:
    """The counterpart of the test above: there the page was kept by the warm-up, not by some earlier request."""
    create_challenge(session)
    app = create_app(settings, db=tdb, clock=clock)  # type: ignore[arg-type]
    with _started(app) as visitor, statements(tdb) as seen:
        assert visitor.get("/", headers={"Cookie": "portal_lang=nl"}).status_code == 200
    assert len(seen) > 1


def test_a_warm_up_that_fails_is_logged_and_the_worker_starts_all_the_same(
    production: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A database without the portal's tables (not migrated yet): the warm-up's query fails."""
    empty = production.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'empty.db'}"})
    with caplog.at_level(logging.ERROR, logger="portal"), _started(create_app(empty)) as visitor:
        assert visitor.get("/healthz").status_code == 200
    assert any("warming up the public pages failed" in record.getMessage() for record in caplog.records)
