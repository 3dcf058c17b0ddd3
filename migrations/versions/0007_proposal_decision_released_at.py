"""proposals: when the decision on a proposal was released, written by the evaluation at release, so the
company's proposal page links to its decision without the proposals domain reading the evaluations'
tables (imports only go down).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("decision_released_at", sa.DateTime(timezone=True), nullable=True))
    op.execute(
        "UPDATE proposal SET decision_released_at = ("
        " SELECT d.released_at FROM proposal_decision d"
        " WHERE d.proposal_id = proposal.id AND d.status = 'released')"
    )


def downgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_column("decision_released_at")
