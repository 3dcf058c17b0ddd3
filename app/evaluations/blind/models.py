"""The copies of documents that evaluators of a blind challenge download (ORM only)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, UTCDateTime


class BlindDocument(Base):
    """A submitted document's copy without its metadata, stored in the blob store under its own hash.

    Made after the deadline, the first time an evaluator of a blind challenge needs it; one row per original
    (the same bytes give the same copy, whichever proposal holds them). Coordinators keep the original.
    """

    __tablename__ = "blind_document"

    original_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
