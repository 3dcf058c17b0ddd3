"""The ownership migration: organisations that named an ultimate parent with its country count as a group; the
others have not declared their ownership (unknown)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app import migrate
from app.database import make_engine
from tests.databases import empty_database


def test_named_parents_become_groups_and_the_rest_stays_undeclared(db_kind: str, tmp_path: Path) -> None:
    with empty_database(db_kind, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0007")
        with engine.begin() as connection:
            for kvk, parent, country in (
                ("11111111", "Holding Inc.", "US"),
                ("22222222", None, None),
                ("33333333", "Half Holding", None),
            ):
                connection.execute(
                    text(
                        "INSERT INTO organisation (legal_name, kvk_number, country, street, postcode, city, is_sme,"
                        " parent_name, parent_country, security_status, created_at)"
                        " VALUES (:name, :kvk, 'NL', '', '', '', :sme, :parent, :country, 'none', :at)"
                    ),
                    {
                        "name": f"Org {kvk}",
                        "kvk": kvk,
                        "sme": True,
                        "parent": parent,
                        "country": country,
                        "at": "2026-01-01 00:00:00+00:00",
                    },
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT kvk_number, ownership FROM organisation ORDER BY kvk_number")).all()
        engine.dispose()
    assert [tuple(row) for row in rows] == [("11111111", "group"), ("22222222", None), ("33333333", None)]
