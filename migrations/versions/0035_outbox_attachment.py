"""outbox attachments: files sent with an outbox message (the calendar file of a market-dialogue event), stored in
the message's transaction and removed with it (``ON DELETE CASCADE``); one file holds at most 1 MiB.

Revision ID: 0035
Revises: 0034
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None

MAX_ATTACHMENT_BYTES = 1024 * 1024  # app.notifications.models.MAX_ATTACHMENT_BYTES when this was written


def upgrade() -> None:
    op.create_table(
        "outbox_attachment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_message_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=100), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            f"size >= 0 AND size <= {MAX_ATTACHMENT_BYTES}", name=op.f("ck_outbox_attachment_size")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_message_id"],
            ["outbox_message.id"],
            name=op.f("fk_outbox_attachment_outbox_message_id_outbox_message"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_attachment")),
    )
    op.create_index(
        op.f("ix_outbox_attachment_outbox_message_id"), "outbox_attachment", ["outbox_message_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_outbox_attachment_outbox_message_id"), table_name="outbox_attachment")
    op.drop_table("outbox_attachment")
