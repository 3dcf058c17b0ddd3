"""Settings from the environment (prefix ``PORTAL_``), built by the app factory, never at import time."""

from __future__ import annotations

import secrets
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SUPPORTED_LANGUAGES = ("nl", "en")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PORTAL_", extra="ignore")

    data_dir: Path = Field(default=Path("data"), description="Folder for the SQLite database, blobs and mail.")
    database_url: str = Field(default="", description="SQLAlchemy URL; empty means SQLite in data_dir.")
    base_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    secret_key: str = Field(default="", description="Signs tokens; generated into data_dir when empty.")
    production: bool = False
    demo: bool = False
    default_language: str = "nl"
    challenges_dir: Path = Path("challenges")
    workers: int = 1
    blob_dir: Path | None = Field(default=None, description="Folder for uploaded documents; default data_dir/blobs.")

    # Sessions: ended after this long without a request, and this long after login whatever happens.
    session_idle_minutes: int = 30
    session_absolute_hours: int = 12
    # Login throttling: this many failures within the window for one account, or from one address, locks out.
    login_max_failures_per_account: int = 5
    login_max_failures_per_ip: int = 20
    login_failure_window_minutes: int = 15

    # Outgoing mail. Without smtp_host, messages stay in the outbox (``portal mail list``) and as .eml files.
    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: str = ""
    smtp_starttls: bool = True
    smtp_ssl: bool = False
    mail_from: str = "Defensie Challengeportaal <noreply@challenges.example.nl>"

    @field_validator("default_language")
    @classmethod
    def _known_language(cls, value: str) -> str:
        if value not in SUPPORTED_LANGUAGES:
            raise ValueError(f"default_language must be one of {', '.join(SUPPORTED_LANGUAGES)}")
        return value

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'portal.db').resolve()}"

    @property
    def effective_blob_dir(self) -> Path:
        return self.blob_dir or self.data_dir / "blobs"

    @property
    def https(self) -> bool:
        return self.base_url.startswith("https://")

    def resolved_secret_key(self) -> str:
        """The configured secret, or one generated once into the data folder (refused in production)."""
        if self.secret_key:
            return self.secret_key
        if self.production:
            raise RuntimeError("PORTAL_SECRET_KEY must be set when PORTAL_PRODUCTION is on.")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides winning."""
    return Settings(**overrides)  # type: ignore[arg-type]
