"""audit: the published heads of the audit chain (at each Nota van Inlichtingen version and decision release),
append-only like the chain itself.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occasion", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("event_id", ID, nullable=False),
        sa.Column("event_count", ID, nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=False),
        sa.Column("data", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_head")),
    )
    op.create_index(op.f("ix_audit_head_published_at"), "audit_head", ["published_at"])
    op.create_index("ix_audit_head_object", "audit_head", ["object_type", "object_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_head_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_head is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_head_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_head "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_head_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_head_no_{verb.lower()} BEFORE {verb} ON audit_head "
                "BEGIN SELECT RAISE(ABORT, 'audit_head is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_head_append_only ON audit_head")
        op.execute("DROP FUNCTION audit_head_append_only()")
    else:
        op.execute("DROP TRIGGER audit_head_no_update")
        op.execute("DROP TRIGGER audit_head_no_delete")
    op.drop_index("ix_audit_head_object", table_name="audit_head")
    op.drop_index(op.f("ix_audit_head_published_at"), table_name="audit_head")
    op.drop_table("audit_head")
