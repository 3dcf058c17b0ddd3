"""Proposals: working copies, documents, immutable versions, blobs; challenge coordinators.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 04:30:31.883475
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
IMMUTABLE = ("proposal_version", "proposal_version_document")


def upgrade() -> None:
    op.create_table(
        "blob",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sha256", name=op.f("pk_blob")),
    )
    op.create_table(
        "challenge_coordinator",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_challenge_coordinator_assigned_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_challenge_coordinator_challenge_id_challenge"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_challenge_coordinator_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "user_id", name=op.f("pk_challenge_coordinator")),
    )
    with op.batch_alter_table("challenge_coordinator", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_challenge_coordinator_user_id"), ["user_id"], unique=False)

    op.create_table(
        "proposal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("stage_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("draft", JSON, nullable=False),
        sa.Column("challenge_version", sa.Integer(), nullable=False),
        sa.Column("version_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reconfirmation_required_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_proposal_challenge_id_challenge"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_created_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_proposal_organisation_id_organisation"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["stage_id"], ["challenge_stage.id"], name=op.f("fk_proposal_stage_id_challenge_stage"), ondelete="RESTRICT"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        sa.UniqueConstraint("stage_id", "organisation_id", name=op.f("uq_proposal_stage_id_organisation_id")),
    )
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_challenge_id"), ["challenge_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_organisation_id"), ["organisation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_stage_id"), ["stage_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_status"), ["status"], unique=False)

    op.create_table(
        "proposal_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_document_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sha256"], ["blob.sha256"], name=op.f("fk_proposal_document_sha256_blob"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_document_uploaded_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_document")),
        sa.UniqueConstraint("proposal_id", "question_key", name=op.f("uq_proposal_document_proposal_id_question_key")),
    )
    with op.batch_alter_table("proposal_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_document_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_document_sha256"), ["sha256"], unique=False)

    op.create_table(
        "proposal_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("challenge_version", sa.Integer(), nullable=False),
        sa.Column("content", JSON, nullable=False),
        sa.Column("receipt_hash", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_version_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_version_submitted_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_version")),
        sa.UniqueConstraint(
            "proposal_id", "idempotency_key", name=op.f("uq_proposal_version_proposal_id_idempotency_key")
        ),
        sa.UniqueConstraint("proposal_id", "number", name=op.f("uq_proposal_version_proposal_id_number")),
    )
    with op.batch_alter_table("proposal_version", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_version_proposal_id"), ["proposal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposal_version_receipt_hash"), ["receipt_hash"], unique=False)

    op.create_table(
        "proposal_version_document",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("original_name", sa.String(length=255), nullable=False),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sha256"], ["blob.sha256"], name=op.f("fk_proposal_version_document_sha256_blob"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["proposal_version.id"],
            name=op.f("fk_proposal_version_document_version_id_proposal_version"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("version_id", "question_key", name=op.f("pk_proposal_version_document")),
    )
    with op.batch_alter_table("proposal_version_document", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposal_version_document_sha256"), ["sha256"], unique=False)

    _protect_versions()


def downgrade() -> None:
    _unprotect_versions()
    with op.batch_alter_table("proposal_version_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_version_document_sha256"))

    op.drop_table("proposal_version_document")
    with op.batch_alter_table("proposal_version", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_version_receipt_hash"))
        batch_op.drop_index(batch_op.f("ix_proposal_version_proposal_id"))

    op.drop_table("proposal_version")
    with op.batch_alter_table("proposal_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_document_sha256"))
        batch_op.drop_index(batch_op.f("ix_proposal_document_proposal_id"))

    op.drop_table("proposal_document")
    with op.batch_alter_table("proposal", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposal_status"))
        batch_op.drop_index(batch_op.f("ix_proposal_stage_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_organisation_id"))
        batch_op.drop_index(batch_op.f("ix_proposal_challenge_id"))

    op.drop_table("proposal")
    with op.batch_alter_table("challenge_coordinator", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_challenge_coordinator_user_id"))

    op.drop_table("challenge_coordinator")
    op.drop_table("blob")


def _protect_versions() -> None:
    """A submitted version cannot be changed through the application: the database refuses UPDATE."""
    for table in IMMUTABLE:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(
                f"CREATE FUNCTION {table}_immutable() RETURNS trigger LANGUAGE plpgsql AS $$ "
                f"BEGIN RAISE EXCEPTION '{table} is immutable'; END $$"
            )
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                f"FOR EACH ROW EXECUTE FUNCTION {table}_immutable()"
            )
        else:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is immutable'); END"
            )


def _unprotect_versions() -> None:
    for table in IMMUTABLE:
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {table}_immutable ON {table}")
            op.execute(f"DROP FUNCTION {table}_immutable()")
        else:
            op.execute(f"DROP TRIGGER {table}_immutable")
