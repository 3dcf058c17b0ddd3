"""challenges: when a challenge was cancelled, shown with its reason on the public pages and in the API.
Challenges cancelled before take their last change as that time.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE challenge SET cancelled_at = updated_at WHERE status = 'cancelled' AND cancelled_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("challenge", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")
