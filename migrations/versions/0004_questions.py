"""Questions and the Nota van Inlichtingen: entries, published versions (immutable), followers.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "challenge_follower",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("followed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_challenge_follower_challenge_id_challenge"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_challenge_follower_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "user_id", name=op.f("pk_challenge_follower")),
    )
    with op.batch_alter_table("challenge_follower", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_challenge_follower_user_id"), ["user_id"], unique=False)

    op.create_table(
        "nota_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("content", JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_nota_version_challenge_id_challenge"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"],
            ["user_account.id"],
            name=op.f("fk_nota_version_published_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nota_version")),
        sa.UniqueConstraint("challenge_id", "number", name=op.f("uq_nota_version_challenge_id_number")),
    )
    with op.batch_alter_table("nota_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nota_version_challenge_id"), ["challenge_id"], unique=False)

    op.create_table(
        "nota_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=True),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("section", sa.String(length=80), nullable=True),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("original_text", sa.Text(), nullable=False),
        sa.Column("question_nl", sa.Text(), nullable=False),
        sa.Column("question_en", sa.Text(), nullable=False),
        sa.Column("answer_nl", sa.Text(), nullable=False),
        sa.Column("answer_en", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["asker_id"], ["user_account.id"], name=op.f("fk_nota_entry_asker_id_user_account"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_nota_entry_challenge_id_challenge"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_nota_entry_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_nota_entry_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nota_entry")),
        sa.UniqueConstraint("challenge_id", "number", name=op.f("uq_nota_entry_challenge_id_number")),
    )
    with op.batch_alter_table("nota_entry", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nota_entry_asker_id"), ["asker_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nota_entry_challenge_id"), ["challenge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nota_entry_status"), ["status"], unique=False)
    _protect_versions()


def downgrade() -> None:
    _unprotect_versions()
    with op.batch_alter_table("nota_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nota_entry_status"))
        batch_op.drop_index(batch_op.f("ix_nota_entry_challenge_id"))
        batch_op.drop_index(batch_op.f("ix_nota_entry_asker_id"))
    op.drop_table("nota_entry")
    with op.batch_alter_table("nota_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nota_version_challenge_id"))
    op.drop_table("nota_version")
    with op.batch_alter_table("challenge_follower", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_follower_user_id"))
    op.drop_table("challenge_follower")


def _protect_versions() -> None:
    """A published Nota version cannot be changed through the application: the database refuses UPDATE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION nota_version_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'nota_version is immutable'; END $$"
        )
        op.execute(
            "CREATE TRIGGER nota_version_immutable BEFORE UPDATE ON nota_version "
            "FOR EACH ROW EXECUTE FUNCTION nota_version_immutable()"
        )
    else:
        op.execute(
            "CREATE TRIGGER nota_version_immutable BEFORE UPDATE ON nota_version "
            "BEGIN SELECT RAISE(ABORT, 'nota_version is immutable'); END"
        )


def _unprotect_versions() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER nota_version_immutable ON nota_version")
        op.execute("DROP FUNCTION nota_version_immutable()")
    else:
        op.execute("DROP TRIGGER nota_version_immutable")
