"""evaluations: affiliations, eligibility, pool, assignments, declarations, scores, security assessments,
consensus, procurement route and decisions.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluator_pool_member",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["added_by_id"],
            ["user_account.id"],
            name=op.f("fk_evaluator_pool_member_added_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_evaluator_pool_member_challenge_id_challenge"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_evaluator_pool_member_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("challenge_id", "user_id", name=op.f("pk_evaluator_pool_member")),
    )
    with op.batch_alter_table("evaluator_pool_member", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluator_pool_member_user_id"), ["user_id"], unique=False)

    op.create_table(
        "procurement_route_decision",
        sa.Column("challenge_id", sa.Integer(), nullable=False),
        sa.Column("recommended", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("chosen", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["challenge_id"],
            ["challenge.id"],
            name=op.f("fk_procurement_route_decision_challenge_id_challenge"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_procurement_route_decision_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("challenge_id", name=op.f("pk_procurement_route_decision")),
    )
    op.create_table(
        "evaluator_affiliation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("organisation_name", sa.String(length=300), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=True),
        sa.Column("kvk_number", sa.String(length=8), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("registry_id", sa.String(length=64), nullable=True),
        sa.Column("nature", sa.String(length=20), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["organisation.id"],
            name=op.f("fk_evaluator_affiliation_organisation_id_organisation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_evaluator_affiliation_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluator_affiliation")),
    )
    with op.batch_alter_table("evaluator_affiliation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluator_affiliation_user_id"), ["user_id"], unique=False)

    op.create_table(
        "consensus_score",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("criterion_key", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["moderator_id"],
            ["user_account.id"],
            name=op.f("fk_consensus_score_moderator_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_consensus_score_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("proposal_id", "criterion_key", name=op.f("pk_consensus_score")),
    )
    op.create_table(
        "eligibility_decision",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("admissible", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["user_account.id"],
            name=op.f("fk_eligibility_decision_decided_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_eligibility_decision_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_eligibility_decision")),
    )
    op.create_table(
        "evaluation_assignment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("assigned_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assigned_by_id"],
            ["user_account.id"],
            name=op.f("fk_evaluation_assignment_assigned_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["evaluator_id"],
            ["user_account.id"],
            name=op.f("fk_evaluation_assignment_evaluator_id_user_account"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposal.id"],
            name=op.f("fk_evaluation_assignment_proposal_id_proposal"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_assignment")),
        sa.UniqueConstraint(
            "proposal_id", "evaluator_id", name=op.f("uq_evaluation_assignment_proposal_id_evaluator_id")
        ),
    )
    with op.batch_alter_table("evaluation_assignment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_assignment_evaluator_id"), ["evaluator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluation_assignment_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "proposal_decision",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("feedback", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("prepared_by_id", sa.Integer(), nullable=True),
        sa.Column("prepared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reviewed_by_id", sa.Integer(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("released_scores", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True),
        sa.Column("invited_proposal_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["invited_proposal_id"],
            ["proposal.id"],
            name=op.f("fk_proposal_decision_invited_proposal_id_proposal"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["prepared_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_decision_prepared_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["proposal.id"], name=op.f("fk_proposal_decision_proposal_id_proposal"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by_id"],
            ["user_account.id"],
            name=op.f("fk_proposal_decision_reviewed_by_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("proposal_id", name=op.f("pk_proposal_decision")),
    )
    op.create_table(
        "conflict_declaration",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("has_conflict", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["evaluation_assignment.id"],
            name=op.f("fk_conflict_declaration_assignment_id_evaluation_assignment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_conflict_declaration")),
    )
    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("assessed_trl", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["evaluation_assignment.id"],
            name=op.f("fk_evaluation_assignment_id_evaluation_assignment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
        sa.UniqueConstraint("assignment_id", name=op.f("uq_evaluation_assignment_id")),
    )
    op.create_table(
        "security_assessment",
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("factors", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignment_id"],
            ["evaluation_assignment.id"],
            name=op.f("fk_security_assessment_assignment_id_evaluation_assignment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("assignment_id", name=op.f("pk_security_assessment")),
    )
    op.create_table(
        "evaluation_score",
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("criterion_key", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Integer(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_evaluation_score_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("evaluation_id", "criterion_key", name=op.f("pk_evaluation_score")),
    )


def downgrade() -> None:
    op.drop_table("evaluation_score")
    op.drop_table("security_assessment")
    op.drop_table("evaluation")
    op.drop_table("conflict_declaration")
    op.drop_table("proposal_decision")
    with op.batch_alter_table("evaluation_assignment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_assignment_proposal_id"))
        batch_op.drop_index(batch_op.f("ix_evaluation_assignment_evaluator_id"))

    op.drop_table("evaluation_assignment")
    op.drop_table("eligibility_decision")
    op.drop_table("consensus_score")
    with op.batch_alter_table("evaluator_affiliation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluator_affiliation_user_id"))

    op.drop_table("evaluator_affiliation")
    op.drop_table("procurement_route_decision")
    with op.batch_alter_table("evaluator_pool_member", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluator_pool_member_user_id"))

    op.drop_table("evaluator_pool_member")
