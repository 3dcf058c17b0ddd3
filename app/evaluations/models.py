"""Evaluations tables: affiliations, eligibility, pool, assignments, declarations, scores, assessments,
consensus, the procurement route and decisions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.database import Base, JSONType, UTCDateTime
from app.evaluations.enums import (
    DECISION_MACHINE,
    EVALUATION_MACHINE,
    AssignmentStatus,
    DecisionSetStatus,
    DecisionStatus,
    EvaluationStatus,
    RouteStatus,
)


class EvaluatorAffiliation(Base):
    """A tie an evaluator declares with an organisation: by portal organisation, KvK number, or country + registry id."""

    __tablename__ = "evaluator_affiliation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    organisation_name: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL"), nullable=True
    )
    kvk_number: Mapped[str | None] = mapped_column(String(8), nullable=True)
    country: Mapped[str | None] = mapped_column(String(2), nullable=True)
    registry_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    nature: Mapped[str] = mapped_column(String(20))
    valid_from: Mapped[date | None] = mapped_column(Date, nullable=True)
    valid_until: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class EligibilityDecision(Base):
    """Whether a submitted proposal is admissible, with the reason the company is told."""

    __tablename__ = "eligibility_decision"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    admissible: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PoolMember(Base):
    """An evaluator in a challenge's pool: the people assignments are made from."""

    __tablename__ = "evaluator_pool_member"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)


class Assignment(Base):
    """A proposal given to an evaluator. ``stage_id`` is the proposal's (which never changes) and ``completed``
    says whether the evaluator has submitted both the scores and the security assessment
    (``app.evaluations.service.record_completion``): the evaluator's queue counts and orders hundreds of
    assignments from this table and its index alone."""

    __tablename__ = "evaluation_assignment"
    __table_args__ = (
        UniqueConstraint("proposal_id", "evaluator_id"),
        Index("ix_evaluation_assignment_queue", "evaluator_id", "stage_id", "status", "completed"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), index=True)
    evaluator_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("challenge_stage.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(16), default=AssignmentStatus.ASSIGNED.value)
    completed: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    @property
    def undeclared(self) -> bool:
        return self.status == AssignmentStatus.ASSIGNED

    @property
    def accepted(self) -> bool:
        return self.status == AssignmentStatus.ACCEPTED

    @property
    def conflicted(self) -> bool:
        return self.status == AssignmentStatus.CONFLICTED

    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    assigned_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )

    declaration: Mapped[ConflictDeclaration | None] = relationship(
        back_populates="assignment", uselist=False, cascade="all, delete-orphan"
    )
    evaluation: Mapped[Evaluation | None] = relationship(
        back_populates="assignment", uselist=False, cascade="all, delete-orphan"
    )
    assessment: Mapped[SecurityAssessment | None] = relationship(uselist=False, cascade="all, delete-orphan")


class ConflictDeclaration(Base):
    """The evaluator's declaration, made before any content is shown."""

    __tablename__ = "conflict_declaration"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_assignment.id", ondelete="CASCADE"), primary_key=True
    )
    has_conflict: Mapped[bool] = mapped_column(Boolean)
    reason: Mapped[str] = mapped_column(Text, default="")
    declared_at: Mapped[datetime] = mapped_column(UTCDateTime())

    assignment: Mapped[Assignment] = relationship(back_populates="declaration")


class Evaluation(Base):
    __tablename__ = "evaluation"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("evaluation_assignment.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=EvaluationStatus.DRAFT.value)

    @property
    def is_draft(self) -> bool:
        return self.status == EvaluationStatus.DRAFT

    @property
    def is_submitted(self) -> bool:
        return self.status == EvaluationStatus.SUBMITTED

    @property
    def is_reopened(self) -> bool:
        return self.status == EvaluationStatus.REOPENED

    @property
    def status_label(self) -> str:
        return EVALUATION_MACHINE.label(self.status)

    assessed_trl: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reopen_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    assignment: Mapped[Assignment] = relationship(back_populates="evaluation")
    scores: Mapped[list[EvaluationScore]] = relationship(
        back_populates="evaluation", order_by="EvaluationScore.criterion_key", cascade="all, delete-orphan"
    )


class EvaluationScore(Base):
    __tablename__ = "evaluation_score"

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"), primary_key=True)
    criterion_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[int | None] = mapped_column(Integer, nullable=True)
    justification: Mapped[str] = mapped_column(Text, default="")

    evaluation: Mapped[Evaluation] = relationship(back_populates="scores")


class SecurityAssessment(Base):
    """The essential-security-interest assessment: per factor a rating and a justification. Not part of the score."""

    __tablename__ = "security_assessment"

    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation_assignment.id", ondelete="CASCADE"), primary_key=True
    )
    # {factor: {"rating": "not_at_stake|low|medium|high", "justification": str}}
    factors: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16), default=EvaluationStatus.DRAFT.value)

    @property
    def is_submitted(self) -> bool:
        return self.status == EvaluationStatus.SUBMITTED

    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ConsensusScore(Base):
    __tablename__ = "consensus_score"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    criterion_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    score: Mapped[int] = mapped_column(Integer)
    rationale: Mapped[str] = mapped_column(Text)
    moderator_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class RouteDecision(Base):
    """The procurement route of a challenge: the portal's recommendation and the coordinator's choice."""

    __tablename__ = "procurement_route_decision"

    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenge.id", ondelete="CASCADE"), primary_key=True)
    recommended: Mapped[str] = mapped_column(String(16))
    reasons: Mapped[list[Any]] = mapped_column(JSONType)
    chosen: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Four eyes: a second coordinator (never the one who confirmed it) approves the confirmed route.
    status: Mapped[str] = mapped_column(String(16), default=RouteStatus.CONFIRMED.value)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class DecisionSet(Base):
    """The decisions of one stage as a whole, approved by a coordinator who prepared none of them (four eyes).

    Who prepared each decision is on the decision (``Decision.prepared_by_id``); the set keeps its approval.
    """

    __tablename__ = "decision_set"

    stage_id: Mapped[int] = mapped_column(ForeignKey("challenge_stage.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default=DecisionSetStatus.PREPARED.value)
    approved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Decision(Base):
    """The outcome for one proposal with its feedback: prepared, approved with its stage's set, then released
    with all others. ``reviewed_by_id``/``reviewed_at`` hold the approval of the set."""

    __tablename__ = "proposal_decision"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id", ondelete="CASCADE"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    feedback: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default=DecisionStatus.PREPARED.value)

    @property
    def is_released(self) -> bool:
        return self.status == DecisionStatus.RELEASED

    @property
    def status_label(self) -> str:
        return DECISION_MACHINE.label(self.status)

    prepared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    prepared_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL"), nullable=True
    )
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # What the company was sent at release: consensus scores per criterion (no evaluator identities).
    released_scores: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    # The rest of what the company was told at release: per criterion (in the definition's order) title,
    # weight, consensus score and rationale; the scale, weighted total, rank among the ranked proposals and
    # the knock-out rules that failed (service_decisions.released_result reads it). None before 0006.
    released_result: Mapped[dict[str, Any] | None] = mapped_column(JSONType, nullable=True)
    invited_proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposal.id", ondelete="SET NULL"), nullable=True
    )
