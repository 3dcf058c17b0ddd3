"""A document check that runs out of its CPU time or memory is refused with the limits, in the user's language."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.clock import FrozenClock
from app.settings import Settings
from tests import pdfs
from tests.proposals.helpers import upload
from tests.proposals.test_hostile_uploads import _documents, _draft


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """Limits far below what a check needs: CPU time (``cpu``) or memory (``memory``)."""
    tight = {"cpu": {"document_check_cpu_seconds": 0.01}, "memory": {"document_check_memory_mb": 8}}
    return settings.model_copy(update=tight[request.param])


@pytest.mark.parametrize("settings", ["cpu"], indirect=True)
def test_a_check_past_its_cpu_time_is_refused_with_the_limits(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal = _draft(client, session, clock)
    # Unpacking 20 MB takes about ten times the limit.
    response = upload(client, proposal.id, "brief", pdfs.costly_pdf(entries=20_000, padding=20_000_000))
    assert response.status_code == 422
    assert (
        "The document could not be checked within the limits (0.01 seconds of processing, 512 MB of memory)."
        in response.text
    )
    assert _documents(session, proposal) == []


@pytest.mark.parametrize("settings", ["memory"], indirect=True)
def test_a_check_past_its_memory_is_refused_with_the_limits_in_dutch(
    client: TestClient, session: Session, clock: FrozenClock
) -> None:
    proposal = _draft(client, session, clock, language="nl")
    response = upload(client, proposal.id, "brief", pdfs.pdf_bytes(), name="brief.pdf")
    assert response.status_code == 422
    assert (
        "Het document kon niet binnen de grenzen worden gecontroleerd (2 seconden rekentijd, 8 MB geheugen)."
        in response.text
    )
    assert _documents(session, proposal) == []
