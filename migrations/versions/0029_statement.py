"""statement: the privacy, accessibility, contact and cookie pages' text per language, seeded with the text shipped
in ``app/public/statements/defaults``; the public pages show it, so every change bumps ``public_version`` (as the
tables of migration 0025 do, on PostgreSQL with a deferred constraint trigger, on SQLite with row triggers).

Revision ID: 0029
Revises: 0028
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

KINDS = ("privacy", "accessibility", "contact", "cookies")
LANGUAGES = ("nl", "en")
VERBS = ("INSERT", "UPDATE", "DELETE")
# The text as shipped when this migration was written, read from the repository's files.
DEFAULTS = Path(__file__).resolve().parents[2] / "app" / "public" / "statements" / "defaults"


def upgrade() -> None:
    table = op.create_table(
        "statement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["user_account.id"],
            name=op.f("fk_statement_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
        sa.UniqueConstraint("kind", "language", name=op.f("uq_statement_kind_language")),
    )
    rows = [
        {
            "kind": kind,
            "language": language,
            "body": (DEFAULTS / f"{kind}.{language}.txt").read_text(encoding="utf-8"),
            "revision": 1,
        }
        for kind in KINDS
        for language in LANGUAGES
    ]
    op.bulk_insert(table, rows)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE CONSTRAINT TRIGGER statement_public_version AFTER INSERT OR UPDATE OR DELETE ON statement "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public_version_bump()"
        )
        return
    for verb in VERBS:
        op.execute(
            f"CREATE TRIGGER statement_public_version_{verb.lower()} AFTER {verb} ON statement "
            "BEGIN UPDATE public_version SET version = version + 1 WHERE id = 1; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER statement_public_version ON statement")
    else:
        for verb in VERBS:
            op.execute(f"DROP TRIGGER statement_public_version_{verb.lower()}")
    op.drop_table("statement")
