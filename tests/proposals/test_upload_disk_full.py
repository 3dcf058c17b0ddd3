"""An upload when the blob store's disk is full: refused with a clear message in the user's language, nothing
half stored (no row, no blob, no temporary file), and accepted again once there is room."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.proposals.models import Blob, Proposal, ProposalDocument
from app.storage import LocalBlobStore
from app.web import LANGUAGE_COOKIE
from tests import pdfs
from tests.factories import create_challenge
from tests.proposals.helpers import act_for, create_company, start, upload


class _FillingHandle:
    """A temporary file on a disk with ``room`` bytes left: the write that passes it fails with ENOSPC."""

    def __init__(self, handle: BinaryIO, room: int) -> None:
        self._handle = handle
        self._room = room

    def write(self, data: bytes) -> int:
        if len(data) > self._room:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self._room -= len(data)
        return self._handle.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._handle, name)


class FullDisk(LocalBlobStore):
    def __init__(self, root: Path, room: int) -> None:
        super().__init__(root)
        self.room = room

    @contextmanager
    def temporary_file(self) -> Iterator[tuple[Path, BinaryIO]]:
        with super().temporary_file() as (path, handle):
            yield path, _FillingHandle(handle, self.room)  # type: ignore[misc]


def _draft(client: TestClient, session: Session, clock: FrozenClock, language: str) -> Proposal:
    challenge = create_challenge(session)
    user, organisation = create_company(
        session, email="owner@drones.example", name="Drones B.V.", kvk="00000002", at=clock.now(), language=language
    )
    act_for(client, session, user, organisation, now=clock.now())
    client.cookies.set(LANGUAGE_COOKIE, language)
    return start(client, session, challenge.slug)


def _nothing_stored(session: Session, app: FastAPI) -> None:
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(ProposalDocument)) == 0
    assert session.scalar(select(func.count()).select_from(Blob)) == 0
    root: Path = app.state.blobs.root
    assert [path for path in root.rglob("*") if path.is_file()] == []


@pytest.mark.parametrize(
    ("mb", "room", "language", "message"),
    [
        # A small file fills the disk at its one write, once the body is in.
        (
            0,
            1024,
            "nl",
            "Het document kon niet worden opgeslagen: de opslag van het portaal is vol. Er is niets opgeslagen.",
        ),
        # A larger one half-way: the rest of the body is read and dropped, so the browser sees the answer.
        (
            3,
            3 * 1024 * 1024 // 2,
            "en",
            "The document could not be stored: the portal&#39;s storage is full. Nothing was stored.",
        ),
    ],
)
def test_an_upload_to_a_full_disk_is_refused_with_a_message_and_nothing_half_stored(
    client: TestClient,
    session: Session,
    clock: FrozenClock,
    app: FastAPI,
    mb: int,
    room: int,
    language: str,
    message: str,
) -> None:
    proposal = _draft(client, session, clock, language)
    content = pdfs.pdf_of_size(mb) if mb else pdfs.pdf_bytes(pages=1)
    root = app.state.blobs.root
    app.state.blobs = FullDisk(root, room=room)
    response = upload(client, proposal.id, "brief", content)
    assert response.status_code == 507
    assert "connection" not in response.headers  # the body was read to its end: the connection stays usable
    assert '<p class="error-message" id="document_brief-error">' in response.text
    assert message in response.text
    _nothing_stored(session, app)
    assert client.get("/healthz").status_code == 200


def test_uploads_are_accepted_again_once_there_is_room(
    client: TestClient, session: Session, clock: FrozenClock, app: FastAPI
) -> None:
    proposal = _draft(client, session, clock, "nl")
    root = app.state.blobs.root
    app.state.blobs = FullDisk(root, room=0)
    assert upload(client, proposal.id, "brief", pdfs.pdf_bytes(pages=2)).status_code == 507
    app.state.blobs = LocalBlobStore(root)
    response = upload(client, proposal.id, "brief", pdfs.pdf_bytes(pages=2))
    assert response.status_code == 303
    session.expire_all()
    stored = session.get(Proposal, proposal.id)
    assert stored is not None and [d.question_key for d in stored.documents] == ["brief"]
    assert LocalBlobStore(root).verify(stored.documents[0].sha256)
