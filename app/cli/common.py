"""What every ``portal`` command shares: the settings from the environment, the database, the acting operator."""

from __future__ import annotations

import getpass
import os
from typing import Any

import click

from app.audit.service import Actor
from app.settings import Settings, load_settings


def get_settings() -> Settings:
    return load_settings()


def open_database(settings: Settings, *, url: str | None = None):  # type: ignore[no-untyped-def]
    """The portal's database (``url`` instead: the migration role's connection)."""
    from app.database import Database

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Database(url or settings.effective_database_url)


def operator_name() -> str:
    """Who runs the command: ``portal --operator NAME``, else PORTAL_OPERATOR, else the system user."""
    context = click.get_current_context(silent=True)
    given = context.find_root().params.get("operator") if context is not None else None
    name = (given or os.environ.get("PORTAL_OPERATOR") or "").strip()
    if not name:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):  # no login name and no passwd entry (some containers)
            name = "unknown"
    return name[:100]


def cli_actor() -> Actor:
    """The audit actor of every change a command makes: an operator, never a user account (``cli:NAME``)."""
    return Actor(user_id=None, label=f"cli:{operator_name()}")


def english(message: str, params: dict[str, Any] | None = None) -> str:
    """A domain message (an English msgid with its values) as the command line prints it."""
    from app import i18n

    return i18n.translate("en", message, **(params or {}))
