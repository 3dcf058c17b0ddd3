"""The one-row table whose version changes with everything the public pages show (bumped by database triggers)."""

from __future__ import annotations

from sqlalchemy import Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base


class PublicVersion(Base):
    """Row 1 holds the version; triggers on the tables the public pages read bump it in the changing transaction
    (migration 0025). Nothing in the application writes it."""

    __tablename__ = "public_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer)
