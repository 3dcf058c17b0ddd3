"""Subscriptions by e-mail to new challenges in chosen NLD-gebieden, for anyone, with or without an account."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.database import Base, JSONType, UTCDateTime


class ChallengeSubscription(Base):
    """One request to hear of new challenges; it counts only once its address confirmed it (double opt-in).

    Only the SHA-256 of the confirmation token is kept. Confirming replaces any earlier subscription of the
    address, so an address has at most one confirmed subscription, with the areas it confirmed last.
    """

    __tablename__ = "challenge_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)  # lower-cased
    language: Mapped[str] = mapped_column(String(2))
    areas: Mapped[list[str]] = mapped_column(JSONType)  # NLD-gebied keys
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
