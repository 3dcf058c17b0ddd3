"""Operational checks: is the database reachable and is its schema at the newest migration."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app import migrate


@dataclass(frozen=True)
class Readiness:
    database: bool
    revision: str | None
    head: str | None

    @property
    def ready(self) -> bool:
        return self.database and self.revision is not None and self.revision == self.head


def check_readiness(session: Session) -> Readiness:
    head = migrate.head_revision()
    try:
        session.execute(text("SELECT 1"))
        revision = migrate.current_revision(session.connection())
    except SQLAlchemyError:
        return Readiness(database=False, revision=None, head=head)
    return Readiness(database=True, revision=revision, head=head)
