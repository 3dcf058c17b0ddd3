"""accounts: the second factor's own failure count per login and per account (``login_attempt.kind``,
``auth_session.mfa_failures``) and the authenticator secret encrypted (``user_account.totp_secret_sealed``;
plain secrets from before are sealed by ``portal migrate`` and at their next use).

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=20), server_default="password", nullable=False))
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mfa_failures", sa.Integer(), server_default="0", nullable=False))
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("totp_secret_sealed", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_column("totp_secret_sealed")
    with op.batch_alter_table("auth_session", schema=None) as batch_op:
        batch_op.drop_column("mfa_failures")
    with op.batch_alter_table("login_attempt", schema=None) as batch_op:
        batch_op.drop_column("kind")
