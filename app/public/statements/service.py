"""Reading and changing the statements. The caller commits; a change records ``statement.update``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.audit.service import Actor, record_event
from app.errors import FieldError, NotFound, ValidationFailed
from app.public.statements.models import Statement
from app.public.statements.rules import KINDS, default_text, text_problem
from app.settings import SUPPORTED_LANGUAGES


def _check(kind: str, language: str) -> None:
    if kind not in KINDS or language not in SUPPORTED_LANGUAGES:
        raise NotFound()


def get_text(session: Session, *, kind: str, language: str) -> str:
    """The statement's current text; the shipped default when no row holds it. NotFound for an unknown kind."""
    _check(kind, language)
    body = session.scalar(select(Statement.body).where(Statement.kind == kind, Statement.language == language))
    return body if body is not None else default_text(kind, language)


def list_statements(session: Session) -> list[Statement]:
    """Every statement row, by kind then language."""
    rows = session.scalars(select(Statement)).all()
    order = {kind: index for index, kind in enumerate(KINDS)}
    return sorted(rows, key=lambda row: (order.get(row.kind, len(order)), row.language))


def update_statement(
    session: Session, *, kind: str, language: str, body: str, actor: Actor, user: User, now: datetime
) -> Statement:
    """Replace a statement's text in one language. Raises NotFound, ValidationFailed (field ``body``)."""
    _check(kind, language)
    problem = text_problem(body)
    if problem:
        raise ValidationFailed([FieldError("body", problem)])
    body = body.replace("\r\n", "\n")
    row = session.scalar(select(Statement).where(Statement.kind == kind, Statement.language == language))
    if row is None:
        row = Statement(kind=kind, language=language, body=body, revision=0)
        session.add(row)
    row.body = body
    row.revision += 1
    row.updated_at = now
    row.updated_by_id = user.id
    session.flush()
    record_event(
        session,
        actor=actor,
        action="statement.update",
        object_type="statement",
        object_id=row.id,
        at=now,
        data={"kind": kind, "language": language, "revision": row.revision},
    )
    return row
