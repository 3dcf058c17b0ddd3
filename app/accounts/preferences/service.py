"""The language a user's e-mails are written in: their own setting, which every e-mail sender asks for here."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.settings import SUPPORTED_LANGUAGES

DEFAULT_LANGUAGE = "nl"


class HasLanguage(Protocol):
    language: str


def language_for(user: HasLanguage | None, default: str = DEFAULT_LANGUAGE) -> str:
    """The language to write to ``user`` in: their setting (the language they registered in, until they change
    it on their account page); ``default`` (Dutch unless given) for someone without an account or setting."""
    language = getattr(user, "language", None) if user is not None else None
    if language in SUPPORTED_LANGUAGES:
        return str(language)
    return default if default in SUPPORTED_LANGUAGES else DEFAULT_LANGUAGE


def change_language(session: Session, *, user_id: int, language: str, actor: Actor, now: datetime) -> bool:
    """Set the language of the user's e-mails; returns False (and records nothing) when it was already that."""
    if language not in SUPPORTED_LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    user = session.get_one(User, user_id)
    if user.language == language:
        return False
    old, user.language = user.language, language
    record_event(
        session,
        actor=actor,
        action="account.language",
        object_type="user",
        object_id=user.id,
        at=now,
        data={"old": old, "new": language},
    )
    session.flush()
    return True
