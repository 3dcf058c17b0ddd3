from __future__ import annotations

from collections.abc import Iterator

import pytest

from app.settings import Settings
from tests.notifications.smtp import SmtpServer, running_smtp_server


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with running_smtp_server() as server:
        yield server


@pytest.fixture
def smtp_settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(update=smtp_server.settings_overrides())
