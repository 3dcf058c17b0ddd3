"""market dialogue (a challenge's events, registrations, reminders) and the follow-up record after an award.

The events and their registrations are on the public pages (the challenge page, its events, the places left): their
changes bump ``public_version`` like the tables of migration 0025 (a deferred constraint trigger on PostgreSQL,
plain row triggers on SQLite).

Revision ID: 0032
Revises: 0031
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None

WATCHED = ("market_event", "market_event_registration")
VERBS = ("INSERT", "UPDATE", "DELETE")


def _stamp(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def _events() -> None:
    op.create_table(
        "market_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title_nl", sa.String(length=200), nullable=False),
        sa.Column("title_en", sa.String(length=200), nullable=False),
        sa.Column("description_nl", sa.Text(), nullable=False),
        sa.Column("description_en", sa.Text(), nullable=False),
        _stamp("starts_at"),
        _stamp("ends_at"),
        sa.Column("place", sa.String(length=300), nullable=False),
        sa.Column("online_url", sa.String(length=500), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        _stamp("registration_deadline_at"),
        sa.Column("summary_nl", sa.Text(), nullable=False),
        sa.Column("summary_en", sa.Text(), nullable=False),
        sa.Column("summary_published_at", sa.DateTime(timezone=True), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"], ["challenge.id"], name=op.f("fk_market_event_challenge_id_challenge"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_event")),
    )
    op.create_index(op.f("ix_market_event_challenge_id"), "market_event", ["challenge_id"])
    op.create_table(
        "market_event_registration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("attendee_name", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _stamp("registered_at"),
        _stamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["event_id"], ["market_event.id"], name=op.f("fk_market_event_registration_event_id_market_event"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["organisation_id"], ["organisation.id"],
            name=op.f("fk_market_event_registration_organisation_id_organisation"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_market_event_registration_user_id_user_account"),
            ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("id", name=op.f("pk_market_event_registration")),
        sa.UniqueConstraint("event_id", "user_id", name=op.f("uq_market_event_registration_event_id_user_id")),
    )
    op.create_index(op.f("ix_market_event_registration_event_id"), "market_event_registration", ["event_id"])
    op.create_index(op.f("ix_market_event_registration_user_id"), "market_event_registration", ["user_id"])
    op.create_table(
        "market_event_reminder",
        sa.Column("registration_id", sa.Integer(), nullable=False),
        _stamp("queued_at"),
        sa.ForeignKeyConstraint(
            ["registration_id"], ["market_event_registration.id"],
            name=op.f("fk_market_event_reminder_registration_id_market_event_registration"), ondelete="CASCADE",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("registration_id", name=op.f("pk_market_event_reminder")),
    )


def _follow_up() -> None:
    op.create_table(
        "award_follow_up",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("contract_route", sa.String(length=32), nullable=False),
        sa.Column("contract_reference", sa.String(length=100), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        _stamp("updated_at"),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_award_follow_up_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["user_account.id"], name=op.f("fk_award_follow_up_updated_by_id_user_account"),
            ondelete="SET NULL",
        ),  # fmt: skip
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_award_follow_up")),
    )
    op.create_table(
        "award_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("done_on", sa.Date(), nullable=True),
        _stamp("created_at"),
        _stamp("updated_at"),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_award_milestone_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_award_milestone")),
    )
    op.create_index(op.f("ix_award_milestone_proposal_id"), "award_milestone", ["proposal_id"])


def _triggers() -> None:
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


def upgrade() -> None:
    _events()
    _follow_up()
    _triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in WATCHED:
            op.execute(f"DROP TRIGGER {name}_public_version ON {name}")
    else:
        for name in WATCHED:
            for verb in VERBS:
                op.execute(f"DROP TRIGGER {name}_public_version_{verb.lower()}")
    op.drop_table("award_milestone")
    op.drop_table("award_follow_up")
    op.drop_table("market_event_reminder")
    op.drop_table("market_event_registration")
    op.drop_table("market_event")
