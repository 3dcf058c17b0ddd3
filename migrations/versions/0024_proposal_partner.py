"""proposals: the answer of a registered organisation named as a partner on a proposal (asked, accepted,
declined, removed), how often it was named, and its reason for declining.

Revision ID: 0024
Revises: 0023
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "proposal_partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("named_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("named_by_id", sa.Integer(), nullable=True),
        sa.Column("naming_count", sa.Integer(), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reason", sa.String(length=1000), nullable=False),
        sa.Column("lead_told_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["named_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_partner_named_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_proposal_partner_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_partner_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_partner")),
        sa.UniqueConstraint("proposal_id", "organisation_id", name=op.f("uq_proposal_partner_proposal_id_organisation_id")),
    )
    with op.batch_alter_table("proposal_partner", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_partner_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_partner_proposal_id"), ["proposal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("proposal_partner", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_partner_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_partner_organisation_id"))
    op.drop_table("proposal_partner")
