"""Liveness, readiness and settings."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.database import Database
from app.main import create_app
from app.settings import Settings


def test_healthz_answers_ok(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_ready_at_head(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}  # no revision: it would tell a visitor which release runs


def test_readyz_not_ready_without_migrations(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="x")
    app = create_app(settings, db=Database(f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {"status": "not ready"}


def test_secret_key_generated_once_into_data_dir(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    first = settings.resolved_secret_key()
    assert len(first) >= 40
    assert Settings(data_dir=tmp_path).resolved_secret_key() == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_production_refuses_to_start_without_secret(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="PORTAL_SECRET_KEY"):
        create_app(Settings(data_dir=tmp_path, production=True))


def test_settings_come_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PORTAL_PORT", "9123")
    monkeypatch.setenv("PORTAL_DEFAULT_LANGUAGE", "en")
    monkeypatch.setenv("PORTAL_DATA_DIR", str(tmp_path))
    settings = Settings()
    assert (settings.port, settings.default_language) == (9123, "en")
    assert settings.effective_database_url == f"sqlite:///{tmp_path.resolve() / 'portal.db'}"


def test_unsupported_default_language_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_DEFAULT_LANGUAGE", "fr")
    with pytest.raises(ValueError, match="default_language"):
        Settings()


def test_https_base_url_adds_hsts(tmp_path: Path, tdb) -> None:  # type: ignore[no-untyped-def]
    app = create_app(Settings(data_dir=tmp_path, secret_key="x", base_url="https://portal.example"), db=tdb)
    with TestClient(app) as client:
        assert client.get("/healthz").headers["strict-transport-security"].startswith("max-age=")


@pytest.mark.parametrize("production", [True, False])
def test_a_production_worker_moves_its_startup_objects_out_of_the_collectors_sight(
    tmp_path: Path, production: bool
) -> None:
    settings = Settings(data_dir=tmp_path, secret_key="x" * 40, production=production)
    app = create_app(settings, db=Database(f"sqlite:///{tmp_path / 'empty.db'}"))
    gc.unfreeze()
    try:
        with TestClient(app) as client:
            assert client.get("/healthz").status_code == 200
            frozen = gc.get_freeze_count()
    finally:
        gc.unfreeze()
    assert (frozen > 0) is production
