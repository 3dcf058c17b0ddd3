"""evaluations: four eyes. A stage's decision set and a challenge's procurement route are approved by a second
coordinator; the set's status and approval, and the route's status and approval.

A route confirmed before this migration is "confirmed" (awaiting approval): no approval is assumed.

Revision ID: 0021
Revises: 0020
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision_set",
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("approved_by_id", sa.Integer(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["user_account.id"],
            name=op.f("fk_decision_set_approved_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["challenge_stage.id"], name=op.f("fk_decision_set_stage_id_challenge_stage"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("stage_id", name=op.f("pk_decision_set")),
    )
    with op.batch_alter_table("procurement_route_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=False, server_default="confirmed"))
        batch_op.add_column(sa.Column("approved_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_procurement_route_decision_approved_by_id_user_account"),
            "user_account",
            ["approved_by_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("procurement_route_decision", schema=None) as batch_op:
        batch_op.alter_column("status", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("procurement_route_decision", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_procurement_route_decision_approved_by_id_user_account"), type_="foreignkey"
        )
        batch_op.drop_column("approved_at")
        batch_op.drop_column("approved_by_id")
        batch_op.drop_column("status")
    op.drop_table("decision_set")
