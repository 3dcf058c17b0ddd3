"""The public JSON API under property-based testing from its own OpenAPI description (schemathesis): for
requests generated from the description, valid and invalid, never a server error, and every response matches the
status codes, content types and schemas the description declares. Bounded, on SQLite and on PostgreSQL.

Schemathesis' pytest plugin (``from_fixture``) does not run under pytest 9 (it sets a node attribute pytest no
longer has), so the test draws cases from the schema's Hypothesis strategy itself.
"""

from __future__ import annotations

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from sqlalchemy.orm import Session

from app.challenges.enums import ChallengeStatus
from app.workspace.lifecycle import service as lifecycle
from tests.factories import CLI_ACTOR, EARLIER, LINKS, create_challenge

EXAMPLES = 60  # per generation mode over all /api operations: bounded, a few seconds each


def _seed(session: Session) -> None:
    """A published challenge and a cancelled one, so that lists and details have something to show."""
    create_challenge(session)
    cancelled = create_challenge(session, slug="cancelled-challenge")
    lifecycle.change_status(
        session,
        challenge=cancelled,
        to=ChallengeStatus.CANCELLED,
        reason="Niet meer nodig",
        actor=CLI_ACTOR,
        now=EARLIER,
        links=LINKS,
    )
    session.commit()


@pytest.mark.parametrize("mode", [schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE])
def test_public_api_answers_as_its_description_says(
    app: FastAPI, session: Session, mode: schemathesis.GenerationMode
) -> None:
    _seed(session)
    schema = schemathesis.openapi.from_asgi("/api/openapi.json", app).include(path_regex="^/api/")
    assert {operation.ok().path for operation in schema.get_all_operations()} >= {
        "/api/v1/challenges",
        "/api/v1/challenges/{slug}",
    }

    @given(case=schema.as_strategy(mode))
    @settings(max_examples=EXAMPLES, suppress_health_check=list(HealthCheck), deadline=None, database=None)
    def answers_as_described(case: schemathesis.Case) -> None:
        case.call_and_validate()

    answers_as_described()


def test_an_invalid_query_gets_the_validation_error_the_description_declares(client: TestClient) -> None:
    response = client.get("/api/v1/challenges", params={"phase": "someday"})
    assert response.status_code == 422
    assert response.json() == {
        "detail": [{"loc": ["query", "phase"], "msg": "Input should be 'upcoming', 'open' or 'closed'", "type": "enum"}]
    }
