"""decisions: what the company was told at release beyond the consensus scores (weights, weighted total,
rank, the knock-out rules that decided it), kept so the decision page stays as released.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposal_decision", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("released_result", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("proposal_decision", schema=None) as batch_op:
        batch_op.drop_column("released_result")
