"""Databases of the tests' own for backups: committed data, never the shared savepoint database."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from app.cli import main
from tests.databases import PG_URL


@contextmanager
def scratch_database(kind: str, folder: Path) -> Iterator[str]:
    """A URL to a new empty database: a SQLite file in ``folder``, or a new database on the PostgreSQL server."""
    if kind == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'portal.db'}"
        return
    name = f"backup_{secrets.token_hex(5)}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name, query={}).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def run(*args: str) -> Result:
    """The ``portal`` command as an operator runs it (PORTAL_* from the environment)."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)
