"""Many requests at once against a small pool: a request gives its pooled connection back even when every
worker thread is taken by views waiting for one (the close does not queue behind them)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx2 as httpx
import pytest

from app.clock import FrozenClock
from app.database import Database
from app.main import create_app
from app.settings import Settings
from tests.conftest import DEFAULT_NOW


@pytest.fixture
def small_pool(migrated: Database) -> Iterator[Database]:
    """One pooled connection, no overflow, and a short wait: a deadlock shows as a failed request."""
    db = Database(migrated.url, pool_size=1, max_overflow=0, pool_timeout=5)
    yield db
    db.dispose()


def test_concurrent_reads_share_one_connection_and_one_thread(small_pool: Database, tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", secret_key="test-secret-key-not-for-production", base_url="http://t", threads=1
    )
    app = create_app(settings, db=small_pool, clock=FrozenClock(DEFAULT_NOW))
    statuses: list[int] = []

    async def main() -> None:
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

                async def one() -> None:
                    # The challenge list reads the database and commits nothing: its session still holds
                    # the connection when the view returns.
                    statuses.append((await client.get("/")).status_code)

                async with anyio.create_task_group() as group:
                    for _ in range(8):
                        group.start_soon(one)

    # In a thread of its own: the browser tests keep an event loop in this one.
    runner = threading.Thread(target=anyio.run, args=(main,))
    runner.start()
    runner.join()
    assert statuses == [200] * 8
