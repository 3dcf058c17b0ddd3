"""announce changes to sessions, accounts and roles: ``NOTIFY portal_auth``, "schema:user id".

Each worker keeps the session lookups it made (``app.accounts.session_cache``) and drops a user's when told.
The triggers fire for every writer (the portal, a ``portal`` command, a change by hand), after each row, and
PostgreSQL delivers the notices when the transaction commits (none for one rolled back; one per user and
transaction). Notices go to every listener of the database: the schema in them lets a portal in another schema of
the same database tell they are not its own. A session's once-a-minute activity stamp (only ``last_seen_at`` changed) and a new session are not
announced: neither changes a lookup kept. SQLite has no cache and needs no triggers.

Revision ID: 0039
Revises: 0038
"""

from __future__ import annotations

from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

FUNCTION = """
CREATE FUNCTION portal_auth_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- "schema:user id"; TG_ARGV[0] names the column holding the user's id.
    IF TG_OP <> 'INSERT' THEN
        PERFORM pg_notify('portal_auth', TG_TABLE_SCHEMA || ':' || (to_jsonb(OLD) ->> TG_ARGV[0]));
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM pg_notify('portal_auth', TG_TABLE_SCHEMA || ':' || (to_jsonb(NEW) ->> TG_ARGV[0]));
    END IF;
    RETURN NULL;
END
$$
"""

TRIGGERS = (
    """CREATE TRIGGER auth_session_ended AFTER DELETE ON auth_session
    FOR EACH ROW EXECUTE FUNCTION portal_auth_changed('user_id')""",
    """CREATE TRIGGER auth_session_changed AFTER UPDATE ON auth_session FOR EACH ROW
    WHEN ((to_jsonb(OLD) - 'last_seen_at') IS DISTINCT FROM (to_jsonb(NEW) - 'last_seen_at'))
    EXECUTE FUNCTION portal_auth_changed('user_id')""",
    """CREATE TRIGGER user_account_changed AFTER UPDATE OR DELETE ON user_account
    FOR EACH ROW EXECUTE FUNCTION portal_auth_changed('id')""",
    """CREATE TRIGGER user_role_changed AFTER INSERT OR UPDATE OR DELETE ON user_role
    FOR EACH ROW EXECUTE FUNCTION portal_auth_changed('user_id')""",
)

DROPS = (
    "DROP TRIGGER user_role_changed ON user_role",
    "DROP TRIGGER user_account_changed ON user_account",
    "DROP TRIGGER auth_session_changed ON auth_session",
    "DROP TRIGGER auth_session_ended ON auth_session",
    "DROP FUNCTION portal_auth_changed()",
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(FUNCTION)
        for trigger in TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in DROPS:
            op.execute(statement)
