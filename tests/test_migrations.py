"""The migrations are the schema: they agree with the models and go up and down on both databases."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from app import migrate
from app.database import make_engine
from app.models import metadata
from tests.databases import empty_database


def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    return set(inspect(engine).get_table_names()) - {"alembic_version"}


def test_migrations_match_models_and_round_trip(db_kind: str, tmp_path: Path) -> None:
    with empty_database(db_kind, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
            assert migrate.current_revision(connection) == migrate.head_revision()
        assert _tables(engine) == set(metadata.tables)
        migrate.downgrade(engine, "base")
        assert _tables(engine) == set()
        migrate.upgrade(engine)
        assert _tables(engine) == set(metadata.tables)
        engine.dispose()


def test_migration_seeds_the_five_nld_gebieden(db_kind: str, tmp_path: Path) -> None:
    from sqlalchemy import text

    with empty_database(db_kind, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine)
        with engine.connect() as connection:
            keys = connection.scalars(text("SELECT key FROM taxonomy_term WHERE kind = 'nld' ORDER BY position")).all()
        engine.dispose()
    assert keys == ["slimme-materialen", "ruimtevaart", "quantum", "intelligente-systemen", "sensoren"]
