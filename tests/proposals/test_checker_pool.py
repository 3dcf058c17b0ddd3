"""Document checks in a pool of long-lived checking processes: a process that hit a limit or died is never
used again, so the next company's document is checked normally."""

from __future__ import annotations

import gc
import os
import signal
from pathlib import Path

import anyio
import pytest

from app.proposals.documents import isolation
from app.proposals.documents.checks import DocumentRefused
from app.proposals.documents.isolation import CheckLimits, inspect_isolated
from tests import pdfs
from tests.asyncrun import run_async

NORMAL = CheckLimits()


def _check(path: Path, limits: CheckLimits = NORMAL) -> int | None:
    async def run() -> int | None:
        return (await inspect_isolated(path, allowed=["pdf"], max_pages=None, limits=limits)).pages

    return run_async(run)


@pytest.fixture
def honest(tmp_path: Path) -> Path:
    path = tmp_path / "brief.pdf"
    path.write_bytes(pdfs.pdf_bytes(pages=2))
    return path


def test_one_checking_process_serves_checks_in_turn(honest: Path) -> None:
    assert _check(honest) == 2
    pids = {checker.process.pid for checker in isolation._idle}
    assert _check(honest) == 2
    assert {checker.process.pid for checker in isolation._idle} == pids


def test_after_a_check_past_its_cpu_time_the_next_document_is_checked_normally(honest: Path, tmp_path: Path) -> None:
    costly = tmp_path / "costly.pdf"
    costly.write_bytes(pdfs.costly_pdf(entries=20_000, padding=20_000_000))
    with pytest.raises(DocumentRefused) as refused:
        _check(costly, CheckLimits(cpu_seconds=0.01))
    assert refused.value.reason == "limits"
    assert _check(honest) == 2


def test_after_a_check_past_its_memory_the_next_document_is_checked_normally(honest: Path) -> None:
    with pytest.raises(DocumentRefused) as refused:
        _check(honest, CheckLimits(memory_mb=8))
    assert refused.value.reason == "limits"
    assert _check(honest) == 2


def test_an_idle_checking_process_that_died_is_replaced_without_refusing_anyone(honest: Path) -> None:
    assert _check(honest) == 2
    assert isolation._idle
    for checker in isolation._idle:
        os.kill(checker.process.pid, signal.SIGKILL)
        checker.process.join()
    assert _check(honest) == 2


def test_a_production_worker_starts_with_its_checking_processes_and_keeps_no_more_idle(
    honest: Path, tmp_path: Path
) -> None:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    for checker in list(isolation._idle):
        isolation._idle.remove(checker)
        checker.close()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{tmp_path / 'portal.db'}",
        production=True,
        secret_key="a test secret key that is long enough for production use",
        document_checkers=3,
    )
    try:
        with TestClient(create_app(settings)):
            assert len(isolation._idle) == 3
            assert all(checker.process.is_alive() for checker in isolation._idle)

            async def many() -> list[int | None]:
                pages: list[int | None] = []

                async def one() -> None:
                    inspection = await inspect_isolated(honest, allowed=["pdf"], max_pages=None, limits=NORMAL)
                    pages.append(inspection.pages)

                async with anyio.create_task_group() as group:
                    for _ in range(6):
                        group.start_soon(one)
                return pages

            assert run_async(many) == [2] * 6  # more checks at once than processes ready: new ones started
            assert len(isolation._idle) == 3  # the extra processes ended after their check
    finally:
        gc.unfreeze()  # a production worker freezes what it started with; this is the test process
        isolation.start_checker()  # the default pool size again for the other tests
