"""the audit chain's append as one PostgreSQL function: lock, head and insert in one round trip.

``portal_audit_append`` takes the chain's advisory lock, reads the head (a statement of its own, so it sees every
append committed before the lock was granted), and inserts the event with ``prev_hash`` and ``hash``. The hash is
SHA-256 of the event's canonical JSON, which the portal gives split where the previous hash goes. Appending took
three round trips under the lock, each followed by a wait for the interpreter in a busy worker; the lock, held to
the commit, serialised every state change of the portal for that long. SQLite needs no function (its writers
hold the database's write lock).

Revision ID: 0036
Revises: 0035
"""

from __future__ import annotations

from alembic import op

revision = "0036"
down_revision = "0035"
branch_labels = None
depends_on = None

CREATE = """
CREATE FUNCTION portal_audit_append(
    p_lock_key bigint, p_genesis varchar, p_hashed_before text, p_hashed_after text,
    p_occurred_at timestamptz, p_actor_id integer, p_actor_label varchar, p_action varchar,
    p_object_type varchar, p_object_id varchar, p_ip varchar, p_data jsonb
) RETURNS TABLE (event_id bigint, event_prev_hash varchar, event_hash varchar)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    head varchar;
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock_key);
    SELECT e.hash INTO head FROM audit_event AS e ORDER BY e.id DESC LIMIT 1;
    head := coalesce(head, p_genesis);
    RETURN QUERY
    INSERT INTO audit_event AS e
        (occurred_at, actor_id, actor_label, action, object_type, object_id, ip, data, prev_hash, hash)
    VALUES (
        p_occurred_at, p_actor_id, p_actor_label, p_action, p_object_type, p_object_id, p_ip, p_data, head,
        encode(sha256(convert_to(p_hashed_before || head || p_hashed_after, 'UTF8')), 'hex')
    )
    RETURNING e.id::bigint, e.prev_hash::varchar, e.hash::varchar;
END
$$
"""

DROP = (
    "DROP FUNCTION portal_audit_append(bigint, varchar, text, text, timestamptz, integer, varchar, varchar, "
    "varchar, varchar, varchar, jsonb)"
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP)
