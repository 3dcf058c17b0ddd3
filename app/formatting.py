"""Dates and times as people read them: Europe/Amsterdam wall-clock time with the zone named."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_datetime

from app.clock import AMSTERDAM, ensure_utc


def format_local_datetime(value: datetime, language: str) -> str:
    """``26 februari 2027, 17:00 CET``: Europe/Amsterdam wall-clock time with the zone named."""
    local = ensure_utc(value).astimezone(AMSTERDAM)
    return f"{format_datetime(local, 'd MMMM y, HH:mm', locale=language)} {local.tzname()}"


def format_local_date(value: datetime, language: str) -> str:
    return format_date(ensure_utc(value).astimezone(AMSTERDAM), "d MMMM y", locale=language)


def one_line(text: str, limit: int) -> str:
    """The text on one line (line breaks and other control characters become spaces, runs of spaces one),
    cut at ``limit`` characters with an ellipsis: never a header of its own, never a wall of text."""
    flat = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"
