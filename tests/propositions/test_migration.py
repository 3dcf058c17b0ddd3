"""Migration 0034 tags every existing proposition with the team it was sent from; one without a team gets no tag,
and the team stays as "sent from"."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from app import migrate
from app.database import make_engine
from tests.databases import empty_database

AT = "2027-01-01 00:00:00+00:00"


def test_existing_propositions_are_tagged_with_their_team(db_kind: str, tmp_path: Path) -> None:
    with empty_database(db_kind, tmp_path) as url:
        engine = make_engine(url)
        migrate.upgrade(engine, "0033")
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO organisation (legal_name, kvk_number, country, street, postcode, city, is_sme,"
                    " security_status, province_chosen, verification_status, created_at)"
                    " VALUES ('Org', '11111111', 'NL', '', '', '', :yes, 'none', :no, 'unverified', :at)"
                ),
                {"yes": True, "no": False, "at": AT},
            )
            organisation = connection.scalar(text("SELECT id FROM organisation"))
            area = connection.scalar(text("SELECT id FROM taxonomy_term WHERE kind = 'nld' AND key = 'quantum'"))
            zuid = connection.scalar(text("SELECT id FROM region WHERE key = 'zuid'"))
            for region_id in (zuid, None):
                connection.execute(
                    text(
                        "INSERT INTO proposition (organisation_id, title, effect, nld_term_id, region_id, trl,"
                        " description, status, submitted_at) VALUES (:o, 't', 'e', :a, :r, 3, 'd', 'submitted', :at)"
                    ),
                    {"o": organisation, "a": area, "r": region_id, "at": AT},
                )
        migrate.upgrade(engine)
        with engine.connect() as connection:
            tags = connection.execute(
                text(
                    "SELECT p.region_id, t.region_id FROM proposition p LEFT OUTER JOIN proposition_region t"
                    " ON t.proposition_id = p.id ORDER BY p.id"
                )
            ).all()
        migrate.downgrade(engine, "0033")
        engine.dispose()
    assert [tuple(row) for row in tags] == [(zuid, zuid), (None, None)]
