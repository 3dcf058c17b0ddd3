"""Telling each asker that the answer to their question is published (one e-mail per question, in the asker's
language); nothing about the asker reaches anyone else."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.challenges.models import Challenge
from app.links import Links
from app.notifications.service import queue_email
from app.questions.enums import EntryKind
from app.questions.models import NotaEntry


def notify_askers(
    session: Session, *, challenge: Challenge, entries: Iterable[NotaEntry], version: int, now: datetime, links: Links
) -> int:
    """Queue one message per published question whose asker still has an active account; returns how many."""
    sent = 0
    for entry in entries:
        if entry.kind != EntryKind.QUESTION.value or entry.asker_id is None:
            continue
        asker = session.get(User, entry.asker_id)
        if asker is None or not asker.is_active:
            continue
        queue_email(
            session,
            to=asker.email,
            template="question_answered",
            language=asker.language,
            context={
                "challenge_title": challenge.title(asker.language),
                "number": entry.number,
                "version": version,
                "question": entry.question(asker.language),
                "answer": entry.answer(asker.language),
                "link": links.url("nota", slug=challenge.slug),
            },
            now=now,
            user_id=asker.id,
        )
        sent += 1
    return sent
