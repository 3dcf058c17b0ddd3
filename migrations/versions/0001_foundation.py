"""Foundation: challenges, their versions, stages and tags, the taxonomy, and the audit trail.

Revision ID: 0001
Revises:
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

NLD_GEBIEDEN = [
    ("slimme-materialen", "Slimme materialen", "Smart materials"),
    ("ruimtevaart", "Ruimtevaart", "Space"),
    ("quantum", "Quantum", "Quantum"),
    ("intelligente-systemen", "Intelligente (onbemande) systemen", "Intelligent (unmanned) systems"),
    ("sensoren", "Sensoren", "Sensors"),
]


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("occurred_at", UTC_DATETIME, nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("actor_label", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("object_type", sa.String(length=50), nullable=False),
        sa.Column("object_id", sa.String(length=100), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=True),
        sa.Column("data", JSON, nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_event_hash")),
    )
    op.create_index(op.f("ix_audit_event_action"), "audit_event", ["action"])
    op.create_index(op.f("ix_audit_event_actor_id"), "audit_event", ["actor_id"])
    op.create_index(op.f("ix_audit_event_occurred_at"), "audit_event", ["occurred_at"])
    _protect_audit_table()

    op.create_table(
        "challenge",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title_nl", sa.String(length=300), nullable=False),
        sa.Column("title_en", sa.String(length=300), nullable=False),
        sa.Column("summary_nl", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.Column("updated_at", UTC_DATETIME, nullable=False),
        sa.Column("published_at", UTC_DATETIME, nullable=True),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge")),
        sa.UniqueConstraint("slug", name=op.f("uq_challenge_slug")),
    )
    taxonomy = op.create_table(
        "taxonomy_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name_nl", sa.String(length=200), nullable=False),
        sa.Column("name_en", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_taxonomy_term")),
        sa.UniqueConstraint("kind", "key", name=op.f("uq_taxonomy_term_kind_key")),
    )
    op.create_table(
        "challenge_stage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("opens_at", UTC_DATETIME, nullable=False),
        sa.Column("deadline_at", UTC_DATETIME, nullable=False),
        sa.Column("question_deadline_at", UTC_DATETIME, nullable=False),
        sa.Column("invitation_only", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"],
                                name=op.f("fk_challenge_stage_challenge_id_challenge"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_stage")),
        sa.UniqueConstraint("challenge_id", "key", name=op.f("uq_challenge_stage_challenge_id_key")),
    )
    op.create_index(op.f("ix_challenge_stage_challenge_id"), "challenge_stage", ["challenge_id"])
    op.create_table(
        "challenge_tag",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("term_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"],
                                name=op.f("fk_challenge_tag_challenge_id_challenge"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["term_id"], ["taxonomy_term.id"],
                                name=op.f("fk_challenge_tag_term_id_taxonomy_term"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("challenge_id", "term_id", name=op.f("pk_challenge_tag")),
    )
    op.create_table(
        "challenge_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("definition", JSON, nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("created_at", UTC_DATETIME, nullable=False),
        sa.ForeignKeyConstraint(["challenge_id"], ["challenge.id"],
                                name=op.f("fk_challenge_version_challenge_id_challenge"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_challenge_version")),
        sa.UniqueConstraint("challenge_id", "number", name=op.f("uq_challenge_version_challenge_id_number")),
    )
    op.create_index(op.f("ix_challenge_version_challenge_id"), "challenge_version", ["challenge_id"])

    op.bulk_insert(
        taxonomy,
        [
            {"kind": "nld", "key": key, "name_nl": nl, "name_en": en, "position": position, "active": True}
            for position, (key, nl, en) in enumerate(NLD_GEBIEDEN)
        ],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_challenge_version_challenge_id"), table_name="challenge_version")
    op.drop_table("challenge_version")
    op.drop_table("challenge_tag")
    op.drop_index(op.f("ix_challenge_stage_challenge_id"), table_name="challenge_stage")
    op.drop_table("challenge_stage")
    op.drop_table("taxonomy_term")
    op.drop_table("challenge")
    _unprotect_audit_table()
    op.drop_index(op.f("ix_audit_event_occurred_at"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_actor_id"), table_name="audit_event")
    op.drop_index(op.f("ix_audit_event_action"), table_name="audit_event")
    op.drop_table("audit_event")


def _protect_audit_table() -> None:
    """The application cannot change or remove audit events: the database refuses it."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$"
        )
        op.execute(
            "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_event_no_{verb.lower()} BEFORE {verb} ON audit_event "
                "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END"
            )


def _unprotect_audit_table() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION audit_event_append_only()")
    else:
        op.execute("DROP TRIGGER audit_event_no_update")
        op.execute("DROP TRIGGER audit_event_no_delete")
