"""Who may do what with questions: ask while the question period runs; manage as the challenge's coordinator."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.challenges import service as challenge_service
from app.challenges.enums import ChallengeStatus
from app.challenges.models import Challenge
from app.challenges.permissions import can_manage_challenge
from app.questions.enums import EntryKind
from app.questions.models import NotaEntry


def question_deadline(challenge: Challenge, now: datetime) -> datetime | None:
    """The question deadline of the current stage (open now, else next to open, else the last one)."""
    stage = challenge_service.current_stage(challenge, now)
    return stage.question_deadline_at if stage is not None else None


def can_ask(challenge: Challenge, now: datetime) -> bool:
    """Questions are welcome while the challenge is published and the current stage's question period runs."""
    deadline = question_deadline(challenge, now)
    return challenge.status == ChallengeStatus.PUBLISHED.value and deadline is not None and now < deadline


def can_manage_questions(session: Session, user: User | None, challenge: Challenge) -> bool:
    """The challenge's coordinators (and administrators) answer and publish; nobody else sees the inbox."""
    return can_manage_challenge(session, user, challenge)


def can_edit_entry(entry: NotaEntry) -> bool:
    """A published entry is part of the record; it never changes."""
    return entry.published_at is None and entry.kind == EntryKind.QUESTION.value
