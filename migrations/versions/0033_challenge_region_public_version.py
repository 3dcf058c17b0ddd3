"""pagecache: a challenge's region tags (``challenge_region``) and the names of the regional teams (``region``) are
shown on the public challenge pages and filter the public challenge list, so every change to them bumps
``public_version``, with the same triggers as migration 0025 puts on ``challenge_tag``.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

WATCHED = ("challenge_region", "region")
VERBS = ("INSERT", "UPDATE", "DELETE")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in WATCHED:  # public_version_bump() comes from migration 0025
            op.execute(
                f"CREATE CONSTRAINT TRIGGER {name}_public_version AFTER INSERT OR UPDATE OR DELETE ON {name} "
                "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public_version_bump()"
            )
        return
    for name in WATCHED:
        for verb in VERBS:
            op.execute(
                f"CREATE TRIGGER {name}_public_version_{verb.lower()} AFTER {verb} ON {name} "  # noqa: S608
                "BEGIN UPDATE public_version SET version = version + 1 WHERE id = 1; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in WATCHED:
            # Fire pending deferred bumps now: an older downgrade in this transaction may drop the table.
            op.execute(f"SET CONSTRAINTS {name}_public_version IMMEDIATE")
            op.execute(f"DROP TRIGGER {name}_public_version ON {name}")
        return
    for name in WATCHED:
        for verb in VERBS:
            op.execute(f"DROP TRIGGER {name}_public_version_{verb.lower()}")
