"""a counter raised by every change to sessions, accounts and roles (``auth_version``; SQLite's triggers).

A SQLite portal's workers keep their session lookups while this counter stands still (``app.accounts.
session_cache``): each request reads it (one row, a few microseconds) and a worker drops every lookup it keeps
when it moved. The triggers raise it in the transaction of the change, whichever process or command made it:
a session ended or changed in any way (a new one is not counted), an account changed or removed, a role
granted, changed or revoked. On PostgreSQL the table exists (one schema for both) but stays still: it announces
the same changes with ``NOTIFY`` instead (migration 0039), which costs a request no statement.

Revision ID: 0040
Revises: 0039
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

RAISE = "BEGIN UPDATE auth_version SET version = version + 1 WHERE id = 1; END"
TRIGGERS = {
    "auth_version_session_update": "AFTER UPDATE ON auth_session",
    "auth_version_session_delete": "AFTER DELETE ON auth_session",
    "auth_version_user_update": "AFTER UPDATE ON user_account",
    "auth_version_user_delete": "AFTER DELETE ON user_account",
    "auth_version_role_insert": "AFTER INSERT ON user_role",
    "auth_version_role_update": "AFTER UPDATE ON user_role",
    "auth_version_role_delete": "AFTER DELETE ON user_role",
}


def upgrade() -> None:
    table = op.create_table(
        "auth_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_auth_version")),
    )
    op.bulk_insert(table, [{"id": 1, "version": 1}])
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH ROW {RAISE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in TRIGGERS:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("auth_version")
