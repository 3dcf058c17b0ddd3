"""organisations: the ownership declaration (independent, or part of a group with an ultimate parent).

Organisations that named an ultimate parent with its country count as part of a group; the others have not
declared their ownership yet (unknown) and are asked to at their next edit.

Revision ID: 0022
Revises: 0021
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ownership", sa.String(length=12), nullable=True))
    op.execute(
        "UPDATE organisation SET ownership = 'group' WHERE parent_name IS NOT NULL AND parent_country IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("ownership")
