"""Alembic from code: the only way the schema is made, for the CLI, the app's readiness check and tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic (with Mako and Pygments, 5 MB) is imported by the functions that use it: a web worker serving pages
# never does, only the readiness check and the operator's commands.

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@contextmanager
def migrating(engine: Engine) -> Iterator[Connection]:
    """A connection in a transaction for the migrations. On SQLite its foreign keys are off while they run and
    checked before the commit: a batch migration recreates a table (copy, drop, rename), and dropping a table
    while foreign keys are on deletes every row that refers to it ``ON DELETE CASCADE`` (an assignment's
    evaluation, scores and declaration). SQLite ignores the pragma inside a transaction: it is set before."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection if sqlite else None
        if raw is not None:
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"the migration left rows whose reference is missing: {broken[:5]}")
        finally:
            if raw is not None:
                raw.execute("PRAGMA foreign_keys=ON")


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    with migrating(engine) as connection:
        command.upgrade(alembic_config(connection=connection), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    with migrating(engine) as connection:
        command.downgrade(alembic_config(connection=connection), revision)


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


# Tables the portal's runtime role may read and append to, never change: the audit chain and its published heads.
APPEND_ONLY_TABLES = ("audit_event", "audit_head")


def grant_statements(connection: Connection, role: str) -> list[str]:
    """The PostgreSQL grants that let ``role`` run the portal on the schema of ``connection`` and no more.

    Everything it needs on every table except: the append-only tables (SELECT and INSERT only), the migration
    table (SELECT only), and never TRUNCATE, REFERENCES, TRIGGER or any ownership, so it can neither drop nor
    disable the triggers that refuse changes to audit events. Sequences: USAGE and SELECT (new ids only).
    """
    quote = connection.dialect.identifier_preparer.quote
    schema = quote(connection.exec_driver_sql("SELECT current_schema()").scalar_one())
    grantee = quote(role)
    append_only = ", ".join(f"{schema}.{quote(table)}" for table in APPEND_ONLY_TABLES)
    return [
        f"GRANT USAGE ON SCHEMA {schema} TO {grantee}",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {grantee}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {grantee}",
        f"REVOKE UPDATE, DELETE ON {append_only} FROM {grantee}",
        f"REVOKE INSERT, UPDATE, DELETE ON {schema}.alembic_version FROM {grantee}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {grantee}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {grantee}",
    ]


def grant_runtime_role(engine: Engine, role: str) -> None:
    """Apply ``grant_statements`` as the schema's owner (``portal migrate`` does after every upgrade)."""
    with engine.begin() as connection:
        for statement in grant_statements(connection, role):
            connection.exec_driver_sql(statement)
