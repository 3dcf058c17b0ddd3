"""proposition region tags and coordinators' NLD-gebieden: ``proposition_region`` (the regional teams that triage a
proposition and that the dashboards' region filter counts it under), filled from each proposition's ``region_id``
(the organisation's team when it was sent, which stays as "sent from"); ``coordinator_area`` (the NLD-gebieden an
administrator gives a coordinator). Neither is shown on a public page: no page-cache triggers.

Revision ID: 0034
Revises: 0033
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), ondelete=ondelete
    )


def upgrade() -> None:
    op.create_table(
        "proposition_region",
        sa.Column("proposition_id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        _fk("proposition_region", "proposition_id", "proposition", "CASCADE"),
        _fk("proposition_region", "region_id", "region", "RESTRICT"),
        sa.PrimaryKeyConstraint("proposition_id", "region_id", name=op.f("pk_proposition_region")),
    )
    op.create_index(op.f("ix_proposition_region_region_id"), "proposition_region", ["region_id"])
    op.execute(
        "INSERT INTO proposition_region (proposition_id, region_id) "
        "SELECT id, region_id FROM proposition WHERE region_id IS NOT NULL"
    )
    op.create_table(
        "coordinator_area",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        _fk("coordinator_area", "user_id", "user_account", "CASCADE"),
        _fk("coordinator_area", "term_id", "taxonomy_term", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "term_id", name=op.f("pk_coordinator_area")),
    )
    op.create_index(op.f("ix_coordinator_area_term_id"), "coordinator_area", ["term_id"])


def downgrade() -> None:
    op.drop_table("coordinator_area")
    op.drop_table("proposition_region")
