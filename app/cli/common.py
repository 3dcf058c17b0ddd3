"""What every ``portal`` command shares: the settings from the environment, the database, the acting operator."""

from __future__ import annotations

import getpass

from app.audit.service import Actor
from app.settings import Settings, load_settings


def get_settings() -> Settings:
    return load_settings()


def open_database(settings: Settings, *, url: str | None = None):  # type: ignore[no-untyped-def]
    """The portal's database (``url`` instead: the migration role's connection)."""
    from app.database import Database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(url or settings.effective_database_url)


def cli_actor() -> Actor:
    return Actor(user_id=None, label=f"cli:{getpass.getuser()}")
