"""proposals: a stored reference, random for new proposals (not sequential, not guessable); proposals that
exist keep the sequential one (P-000123) their receipts and e-mails already carry.

Revision ID: 0016
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reference", sa.String(length=16), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE proposal SET reference = 'P-' ||"
            " CASE WHEN id < 1000000 THEN lpad(id::text, 6, '0') ELSE id::text END"  # lpad alone would cut
        )
    else:
        op.execute("UPDATE proposal SET reference = 'P-' || printf('%06d', id)")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.alter_column("reference", existing_type=sa.String(length=16), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_proposal_reference"), ["reference"])


def downgrade() -> None:
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_proposal_reference"), type_="unique")
        batch_op.drop_column("reference")
