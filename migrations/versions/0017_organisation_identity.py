"""organisations: verified or not by an administrator, and disputes over a registration number that someone
else registered first. Organisations that exist start unverified, as new ones do.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("verification_status", sa.String(length=16), nullable=False, server_default="unverified")
        )
        batch_op.add_column(sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("verified_by_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_organisation_verification_status"), ["verification_status"])
        batch_op.create_foreign_key(
            batch_op.f("fk_organisation_verified_by_id_user_account"),
            "user_account",
            ["verified_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.alter_column("verification_status", server_default=None)
    op.create_table(
        "organisation_dispute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("claimant_id", sa.Integer(), nullable=False),
        sa.Column("claimed_name", sa.String(length=300), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_organisation_dispute_organisation_id_organisation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["claimant_id"],
            ["user_account.id"],
            name=op.f("fk_organisation_dispute_claimant_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["user_account.id"],
            name=op.f("fk_organisation_dispute_resolved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organisation_dispute")),
    )
    with op.batch_alter_table("organisation_dispute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_organisation_dispute_organisation_id"), ["organisation_id"])
        batch_op.create_index(batch_op.f("ix_organisation_dispute_claimant_id"), ["claimant_id"])
        batch_op.create_index(batch_op.f("ix_organisation_dispute_status"), ["status"])


def downgrade() -> None:
    op.drop_table("organisation_dispute")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_organisation_verified_by_id_user_account"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_organisation_verification_status"))
        batch_op.drop_column("verified_by_id")
        batch_op.drop_column("verified_at")
        batch_op.drop_column("verification_status")
