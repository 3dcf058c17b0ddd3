"""Shared setup of the question tests: a published challenge, its coordinator, questions asked and answered."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from app.audit.service import Actor
from app.challenges.models import Challenge, ChallengeCoordinator
from app.questions import service
from app.questions.models import NotaEntry
from app.questions.schemas import AnswerForm
from tests.factories import create_user

# The test challenge's only stage closes 26 February 2027 17:00 CET; questions close ten days earlier.
QUESTION_DEADLINE = datetime(2027, 2, 16, 16, 0, tzinfo=UTC)
ASKER_TEXT = "Mag Alpha Geheim Defence uit Alphen een prototype van 2 kg leveren?"


def actor(user: Any) -> Actor:
    return Actor(user.id, label=user.email)


def create_coordinator(session: Session, challenge: Challenge, *, email: str, now: datetime, **kwargs: Any) -> Any:
    user = create_user(session, email=email, name=kwargs.pop("name", "Coordinator"), roles=("coordinator",), **kwargs)
    session.add(ChallengeCoordinator(challenge_id=challenge.id, user_id=user.id, assigned_at=now))
    session.commit()
    return user


def ask(
    session: Session,
    challenge: Challenge,
    user: Any,
    *,
    now: datetime,
    text: str = ASKER_TEXT,
    section: str = "",
    organisation_id: int | None = None,
    language: str = "nl",
) -> NotaEntry:
    entry = service.ask_question(
        session,
        challenge=challenge,
        user=user,
        organisation_id=organisation_id,
        text=text,
        section=section,
        language=language,
        actor=actor(user),
        now=now,
    )
    session.commit()
    return entry


def answer_form(**overrides: str) -> AnswerForm:
    data = {
        "question_nl": "Mag een prototype 2 kg wegen?",
        "question_en": "May a prototype weigh 2 kg?",
        "answer_nl": "Ja, tot 5 kg.",
        "answer_en": "Yes, up to 5 kg.",
        "section": "",
    }
    data.update(overrides)
    return AnswerForm.model_validate(data)


def answer(
    session: Session, challenge: Challenge, entry: NotaEntry, coordinator: Any, *, now: datetime, approve: bool = True
) -> NotaEntry:
    service.save_answer(
        session,
        challenge=challenge,
        entry=entry,
        form=answer_form(),
        approve=approve,
        actor=actor(coordinator),
        now=now,
    )
    session.commit()
    return entry
