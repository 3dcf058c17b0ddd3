"""login_attempt: an index on ``attempted_at`` alone, so the worker's job that forgets attempts older than 30 days
(``app.accounts.throttling.forget_old_attempts``) finds them without reading the whole table.

Revision ID: 0037
Revises: 0036
"""

from __future__ import annotations

from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.create_index("ix_login_attempt_attempted_at", ["attempted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_login_attempt_attempted_at")
