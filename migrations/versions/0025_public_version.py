"""pagecache: the version of what the public pages show, bumped by the database in the same transaction as every
change to a table they read (challenges, their versions, stages and tags, the taxonomy, Nota versions), and
with every audit event that changes a challenge's published outcome (the release of a stage's decisions, the
coordinator's choice of what may be published).

On PostgreSQL the bump is a deferred constraint trigger: it runs at commit, so the one row is locked only while a
transaction commits, never while it still waits for other locks (no deadlock with a transaction that locked a
challenge first). On SQLite, writers are serialised by the database lock anyway: plain row triggers.

A later migration that rebuilds one of these tables on SQLite (``batch_alter_table`` with a copy) drops its
triggers: create them again there (``tests/test_page_cache.py`` checks every watched table bumps the version).

Revision ID: 0025
Revises: 0024
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

WATCHED = ("challenge", "challenge_version", "challenge_stage", "challenge_tag", "taxonomy_term", "nota_version")
VERBS = ("INSERT", "UPDATE", "DELETE")
# Audit events after which the outcome shown on a challenge page differs.
OUTCOME_ACTIONS = "('decision.release', 'challenge.publication')"


def upgrade() -> None:
    table = op.create_table(
        "public_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_public_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 1}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION public_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$ "
            "BEGIN UPDATE public_version SET version = version + 1 WHERE id = 1; RETURN NULL; END $$"
        )
        for name in WATCHED:
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name}_public_version AFTER INSERT OR UPDATE OR DELETE ON {name} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public_version_bump()"
            )
        op.execute(
            "CREATE CONSTRAINT TRIGGER audit_event_public_version AFTER INSERT ON audit_event "
            "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW "
            f"WHEN (NEW.action IN {OUTCOME_ACTIONS}) EXECUTE FUNCTION public_version_bump()"
        )
        return
    for name in WATCHED:
        for verb in VERBS:
            op.execute(
                f"CREATE TRIGGER {name}_public_version_{verb.lower()} AFTER {verb} ON {name} "  # noqa: S608
                "BEGIN UPDATE public_version SET version = version + 1 WHERE id = 1; END"
            )
    op.execute(
        f"CREATE TRIGGER audit_event_public_version AFTER INSERT ON audit_event WHEN NEW.action IN {OUTCOME_ACTIONS} "  # noqa: S608
        "BEGIN UPDATE public_version SET version = version + 1 WHERE id = 1; END"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in WATCHED:
            op.execute(f"DROP TRIGGER {name}_public_version ON {name}")
        op.execute("DROP TRIGGER audit_event_public_version ON audit_event")
        op.execute("DROP FUNCTION public_version_bump()")
    else:
        for name in WATCHED:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {name}_public_version_{verb.lower()}")
        op.execute("DROP TRIGGER audit_event_public_version")
    op.drop_table("public_version")
