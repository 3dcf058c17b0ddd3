"""Files the portal writes (the SQLite database, the secret key, mail files, documents) are readable by its
own user only, created that way: checked with a permissive umask, so the portal's own modes are what counts."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.notifications.service import deliver_due, queue_email
from app.settings import Settings
from app.storage import LocalBlobStore
from tests.databases import TransactionalDatabase

PORTAL = Path(sys.executable).parent / "portal"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def test_the_portal_command_creates_its_database_and_folders_for_its_user_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    environment = {
        **os.environ,
        "PORTAL_DATA_DIR": str(data),
        "PORTAL_DATABASE_URL": f"sqlite:///{tmp_path / 'portal.db'}",
    }
    environment.pop("PORTAL_SECRET_KEY", None)
    for command in (["migrate"], ["challenges", "load", "--publish"]):
        done = subprocess.run(
            ["sh", "-c", 'umask 022 && exec "$@"', "sh", str(PORTAL), *command],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    assert _mode(tmp_path / "portal.db") == 0o600
    assert _mode(data) == 0o700
    wider = [p for p in [*data.rglob("*"), *tmp_path.glob("portal.db*")] if _mode(p) & 0o077]
    assert wider == []


@pytest.mark.usefixtures("open_umask")
def test_documents_are_stored_for_the_portal_user_only(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "blobs")
    sha256 = store.put_bytes(b"%PDF-1.7 a document")
    blob = next(p for p in (tmp_path / "blobs").rglob(sha256))
    assert _mode(blob) == 0o600
    assert [p for p in (tmp_path / "blobs").rglob("*") if p.is_dir() and _mode(p) != 0o700] == []


@pytest.mark.usefixtures("open_umask")
def test_mail_files_are_written_for_the_portal_user_only(
    session: Session, tdb: TransactionalDatabase, clock: FrozenClock, settings: Settings
) -> None:
    queue_email(
        session, to="zoe@example.nl", template="test_message", context={"name": "Zoë"}, language="nl", now=clock.now()
    )
    session.commit()
    assert deliver_due(tdb, now=clock.now(), settings=settings).sent == 1
    files = list((settings.data_dir / "mail").iterdir())
    assert len(files) == 1
    assert _mode(files[0]) == 0o600
    assert _mode(settings.data_dir / "mail") == 0o700


@pytest.mark.usefixtures("open_umask")
def test_the_secret_key_is_generated_once_for_the_portal_user_only(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    key = settings.resolved_secret_key()
    assert Settings(data_dir=tmp_path / "data").resolved_secret_key() == key
    assert _mode(tmp_path / "data" / "secret_key") == 0o600
    assert sorted(p.name for p in (tmp_path / "data").iterdir()) == ["secret_key"]  # no temporary file left
