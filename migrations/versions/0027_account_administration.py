"""accounts and administration: an account's status (active or blocked by an administrator), and the four-eyes
requests to reset a staff member's second factor.

``user_account`` is not a table the page cache watches, so adding a column needs no trigger work.

Revision ID: 0027
Revises: 0026
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "user_account", sa.Column("status", sa.String(length=10), nullable=False, server_default="active")
    )
    op.create_table(
        "two_factor_reset",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_two_factor_reset_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_two_factor_reset_requested_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_two_factor_reset_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_two_factor_reset")),
    )
    op.create_index(op.f("ix_two_factor_reset_user_id"), "two_factor_reset", ["user_id"], unique=False)
    # The audit viewer filters by object; the action and actor already have an index.
    op.create_index("ix_audit_event_object", "audit_event", ["object_type", "object_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_event_object", table_name="audit_event")
    op.drop_index(op.f("ix_two_factor_reset_user_id"), table_name="two_factor_reset")
    op.drop_table("two_factor_reset")
    # A plain DROP COLUMN (SQLite 3.35+): rebuilding user_account would cascade into every table that refers to it.
    op.drop_column("user_account", "status")
