"""Dates, times and sizes as people read them: Europe/Amsterdam wall-clock time with the zone named, file sizes
in kB or MB with the language's decimal sign."""

from __future__ import annotations

from datetime import datetime
from math import ceil

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

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


KIB = 1024
MIB = 1024 * 1024


def format_file_size(size_bytes: int, language: str) -> str:
    """``512 kB`` under a megabyte (a non-empty file is never ``0 kB``), ``1,5 MB`` (Dutch) or ``1.5 MB`` from one
    megabyte on: binary units, as the upload limits are."""
    kilobytes = ceil(max(size_bytes, 0) / KIB)
    if kilobytes < KIB:
        return f"{format_decimal(kilobytes, locale=language)} kB"
    return f"{format_decimal(round(size_bytes / MIB, 2), format='#,##0.##', locale=language)} MB"
