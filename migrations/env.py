"""Alembic environment: runs on a connection handed in by app.migrate, or on the settings' URL."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from app.database import make_engine
from app.migrate import migrating
from app.models import metadata

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        from app.settings import load_settings

        url = load_settings().effective_database_url
    engine = make_engine(url)
    with migrating(engine) as conn:
        _run(conn)
    engine.dispose()


run_migrations_online()
