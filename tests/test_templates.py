"""Templates get only what they use: no settings object, no secret, in any page's context."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from app.settings import Settings
from tests.factories import create_challenge


def test_page_context_carries_no_settings_and_no_secret(
    client: TestClient, session: Session, settings: Settings
) -> None:
    challenge = create_challenge(session)
    for path in ("/", f"/challenges/{challenge.slug}", "/login", "/register"):
        response = client.get(path)
        assert response.status_code == 200, path
        context = response.context  # type: ignore[attr-defined]
        assert "settings" not in context, path
        assert not any(isinstance(value, Settings) for value in context.values()), path
        assert settings.secret_key not in repr(context), path
