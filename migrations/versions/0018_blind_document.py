"""evaluations: the copies of documents without their metadata that evaluators of a blind challenge
download, by the original's hash.

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blind_document",
        sa.Column("original_sha256", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("original_sha256", name=op.f("pk_blind_document")),
    )


def downgrade() -> None:
    op.drop_table("blind_document")
