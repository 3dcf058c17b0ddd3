"""evaluation_assignment: ``stage_id`` (the proposal's stage, filled from it) and ``completed`` (both the scores
and the security assessment submitted, filled from them), with one index on (evaluator, stage, status,
completed) in place of the evaluator's: the evaluator's queue counts, orders and pages their assignments from
this table alone instead of joining every one of them to its proposal, evaluation and assessment.

Revision ID: 0038
Revises: 0037
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

COMPLETED = (
    "UPDATE evaluation_assignment SET completed = ("
    "status = 'accepted'"
    " AND EXISTS (SELECT 1 FROM evaluation AS e"
    " WHERE e.assignment_id = evaluation_assignment.id AND e.status = 'submitted')"
    " AND EXISTS (SELECT 1 FROM security_assessment AS a"
    " WHERE a.assignment_id = evaluation_assignment.id AND a.status = 'submitted'))"
)


def upgrade() -> None:
    with op.batch_alter_table("evaluation_assignment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("completed", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(
        "UPDATE evaluation_assignment SET stage_id = "
        "(SELECT proposal.stage_id FROM proposal WHERE proposal.id = evaluation_assignment.proposal_id)"
    )
    op.execute(COMPLETED)
    with op.batch_alter_table("evaluation_assignment", schema=None) as batch_op:
        batch_op.alter_column("stage_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_evaluation_assignment_stage_id_challenge_stage"),
            "challenge_stage",
            ["stage_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch_op.drop_index("ix_evaluation_assignment_evaluator_id")
        batch_op.create_index(
            "ix_evaluation_assignment_queue", ["evaluator_id", "stage_id", "status", "completed"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evaluation_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_assignment_queue")
        batch_op.create_index("ix_evaluation_assignment_evaluator_id", ["evaluator_id"], unique=False)
        batch_op.drop_constraint(batch_op.f("fk_evaluation_assignment_stage_id_challenge_stage"), type_="foreignkey")
        batch_op.drop_column("completed")
        batch_op.drop_column("stage_id")
