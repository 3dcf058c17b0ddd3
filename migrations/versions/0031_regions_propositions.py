"""regions and propositions: ODIN's regional teams (seeded) and the provinces they cover, coordinators' teams,
challenges' region tags, an organisation's province and whether it is new to Defence, the programmes a
proposition can be routed to (seeded taxonomy terms), and propositions without a challenge with their messages.

Revision ID: 0031
Revises: 0029
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0031"
down_revision = "0029"
branch_labels = None
depends_on = None

# ODIN's regional teams as the portal starts with them; administrators rename, retire and reassign them.
REGIONS = [
    ("noord", "ODIN Noord (MindBase Groningen)", "ODIN North (MindBase Groningen)", ["NL-GR", "NL-FR", "NL-DR"]),
    ("oost", "ODIN Oost", "ODIN East", ["NL-OV", "NL-GE"]),
    ("midden", "ODIN Midden", "ODIN Central", ["NL-UT", "NL-FL"]),
    ("noordwest", "ODIN Noordwest (MindBase Amsterdam)", "ODIN North-West (MindBase Amsterdam)", ["NL-NH"]),
    ("zuidwest", "ODIN Zuidwest (MindBase Delft)", "ODIN South-West (MindBase Delft)", ["NL-ZH", "NL-ZE"]),
    ("zuid", "ODIN Zuid (MindBase Geleen)", "ODIN South (MindBase Geleen)", ["NL-NB", "NL-LI"]),
]
PROGRAMMES = [
    ("nato-diana", "NATO DIANA", "NATO DIANA"),
    ("edf", "Europees Defensiefonds (EDF)", "European Defence Fund (EDF)"),
    ("sbir", "SBIR Defensie", "SBIR Defence"),
    ("dtf", "Defensie Technologie Fonds", "Defence Technology Fund"),
]


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def _region_tables() -> None:
    region = op.create_table(
        "region",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_nl", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_region")),
        sa.UniqueConstraint("key", name=op.f("uq_region_key")),
    )
    province = op.create_table(
        "region_province",
        sa.Column("province", sa.String(length=5), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        _fk("region_province", "region_id", "region", "CASCADE"),
        sa.PrimaryKeyConstraint("province", name=op.f("pk_region_province")),
    )
    op.create_index(op.f("ix_region_province_region_id"), "region_province", ["region_id"])
    op.create_table(
        "region_member",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        _fk("region_member", "region_id", "region", "CASCADE"),
        _fk("region_member", "user_id", "user_account", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_region_member")),
    )
    op.create_index(op.f("ix_region_member_region_id"), "region_member", ["region_id"])
    op.create_table(
        "challenge_region",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        _fk("challenge_region", "challenge_id", "challenge", "CASCADE"),
        _fk("challenge_region", "region_id", "region", "RESTRICT"),
        sa.PrimaryKeyConstraint("challenge_id", "region_id", name=op.f("pk_challenge_region")),
    )
    op.bulk_insert(
        region,
        [
            {"id": i + 1, "key": key, "name_nl": nl, "name_en": en, "position": i + 1, "active": True}
            for i, (key, nl, en, _provinces) in enumerate(REGIONS)
        ],
    )
    op.bulk_insert(
        province,
        [{"province": code, "region_id": i + 1} for i, item in enumerate(REGIONS) for code in item[3]],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('region', 'id'), (SELECT max(id) FROM region))")


def _proposition_tables() -> None:
    op.create_table(
        "proposition",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("effect", sa.String(length=1000), nullable=False),
        sa.Column("nld_term_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=True),
        sa.Column("trl", sa.Integer(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("triaged_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("referred_challenge_id", sa.Integer(), nullable=True),
        sa.Column("programme_term_id", sa.Integer(), nullable=True),
        sa.Column("document_sha256", sa.String(length=64), nullable=True),
        sa.Column("document_name", sa.String(length=255), nullable=True),
        sa.Column("document_kind", sa.String(length=8), nullable=True),
        sa.Column("document_size", sa.Integer(), nullable=True),
        _fk("proposition", "organisation_id", "organisation", "CASCADE"),
        _fk("proposition", "submitted_by_id", "user_account", "SET NULL"),
        _fk("proposition", "nld_term_id", "taxonomy_term", "RESTRICT"),
        _fk("proposition", "region_id", "region", "SET NULL"),
        _fk("proposition", "referred_challenge_id", "challenge", "SET NULL"),
        _fk("proposition", "programme_term_id", "taxonomy_term", "RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposition")),
    )
    for column in ("organisation_id", "nld_term_id", "status", "submitted_at"):
        op.create_index(op.f(f"ix_proposition_{column}"), "proposition", [column])
    op.create_table(
        "proposition_message",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposition_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("from_company", sa.Boolean(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        _fk("proposition_message", "proposition_id", "proposition", "CASCADE"),
        _fk("proposition_message", "author_id", "user_account", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposition_message")),
    )
    op.create_index(op.f("ix_proposition_message_proposition_id"), "proposition_message", ["proposition_id"])


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): the organisation table keeps its triggers and constraints.
    op.add_column("organisation", sa.Column("province", sa.String(length=5), nullable=True))
    op.add_column(
        "organisation", sa.Column("province_chosen", sa.Boolean(), nullable=False, server_default=sa.false())
    )
    op.add_column("organisation", sa.Column("new_to_defence", sa.Boolean(), nullable=True))
    op.create_index(op.f("ix_organisation_province"), "organisation", ["province"])
    _region_tables()
    _proposition_tables()
    taxonomy = sa.table(
        "taxonomy_term",
        sa.column("kind", sa.String),
        sa.column("key", sa.String),
        sa.column("name_nl", sa.String),
        sa.column("name_en", sa.String),
        sa.column("position", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        taxonomy,
        [
            {"kind": "programme", "key": key, "name_nl": nl, "name_en": en, "position": i + 1, "active": True}
            for i, (key, nl, en) in enumerate(PROGRAMMES)
        ],
    )


def downgrade() -> None:
    op.drop_table("proposition_message")
    op.drop_table("proposition")
    op.execute("DELETE FROM taxonomy_term WHERE kind = 'programme'")
    if op.get_bind().dialect.name == "postgresql":
        # Fire the page cache's deferred trigger now: an older downgrade in this transaction drops the table.
        op.execute("SET CONSTRAINTS taxonomy_term_public_version IMMEDIATE")
    op.drop_table("challenge_region")
    op.drop_table("region_member")
    op.drop_table("region_province")
    op.drop_table("region")
    op.drop_index(op.f("ix_organisation_province"), table_name="organisation")
    with op.batch_alter_table("organisation", recreate="never") as batch_op:
        batch_op.drop_column("new_to_defence")
        batch_op.drop_column("province_chosen")
        batch_op.drop_column("province")
