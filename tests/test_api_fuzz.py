"""The public JSON API under property-based testing from its own OpenAPI description (schemathesis): for
requests generated from the description, valid and invalid, never a server error, and every response matches the
status codes, content types and schemas the description declares. Bounded, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, settings
from sqlalchemy.orm import Session

from app.challenges.enums import ChallengeStatus
from app.workspace.lifecycle import service as lifecycle
from tests.factories import CLI_ACTOR, EARLIER, LINKS, create_challenge

EXAMPLES = 40  # per operation: enough to reach the validation errors, short enough for every test run


@pytest.fixture
def api_schema(app: FastAPI, session: Session) -> Any:
    """The app's OpenAPI, its /api routes only, over a database with a published and a cancelled challenge."""
    create_challenge(session)
    cancelled = create_challenge(session, slug="cancelled-challenge")
    lifecycle.change_status(
        session,
        challenge=cancelled,
        to=ChallengeStatus.CANCELLED,
        reason="Niet nodig",
        actor=CLI_ACTOR,
        now=EARLIER,
        links=LINKS,
    )
    session.commit()
    return schemathesis.openapi.from_asgi("/api/openapi.json", app).include(path_regex="^/api/")


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None)
def test_public_api_answers_as_its_description_says(case: schemathesis.Case) -> None:
    case.call_and_validate()
