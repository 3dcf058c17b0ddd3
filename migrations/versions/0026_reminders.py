"""notices and reminders: the record of each scheduled notice sent (unique per kind, object and key, so a
reminder goes out once whatever the number of workers), users who switched reminders off, the due date of a
stage's evaluation, and subscriptions by e-mail to new challenges.

Revision ID: 0026
Revises: 0025
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "sent_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_sent_notice_user_id_user_account"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sent_notice")),
        sa.UniqueConstraint("kind", "object_id", "key", name=op.f("uq_sent_notice_kind_object_id_key")),
    )
    op.create_index(op.f("ix_sent_notice_user_id"), "sent_notice", ["user_id"], unique=False)
    op.create_table(
        "reminder_opt_out",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("opted_out_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_reminder_opt_out_user_id_user_account"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_reminder_opt_out")),
    )
    op.create_table(
        "evaluation_due_date",
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("set_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["stage_id"],
            ["challenge_stage.id"],
            name=op.f("fk_evaluation_due_date_stage_id_challenge_stage"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"],
            ["user_account.id"],
            name=op.f("fk_evaluation_due_date_set_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("stage_id", name=op.f("pk_evaluation_due_date")),
    )
    op.create_table(
        "challenge_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("areas", JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=True),
        sa.Column("token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_subscription")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_challenge_subscription_token_hash")),
    )
    op.create_index(op.f("ix_challenge_subscription_email"), "challenge_subscription", ["email"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_challenge_subscription_email"), table_name="challenge_subscription")
    op.drop_table("challenge_subscription")
    op.drop_table("evaluation_due_date")
    op.drop_table("reminder_opt_out")
    op.drop_index(op.f("ix_sent_notice_user_id"), table_name="sent_notice")
    op.drop_table("sent_notice")
