"""Dates, times, numbers and sizes as people read them: Europe/Amsterdam wall-clock time with the zone named,
numbers and file sizes in kB or MB with the language's decimal sign.

The month names and number symbols of the two languages (CLDR's, as Babel gives them: tests/test_formatting.py
compares) are kept here: Babel's locale data for Dutch and English costs a worker 5 MB once loaded, for the
24 month names and 4 signs its pages use. Another language falls back to Babel.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from math import ceil

from app.clock import AMSTERDAM, ensure_utc

MONTHS = {
    "nl": (
        "januari", "februari", "maart", "april", "mei", "juni",
        "juli", "augustus", "september", "oktober", "november", "december",
    ),
    "en": (
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ),
}  # fmt: skip
"""CLDR's wide month names (the format context, ``MMMM``)."""

NUMBER_SIGNS = {"nl": (",", "."), "en": (".", ",")}
"""CLDR's decimal sign and grouping sign."""


def format_local_datetime(value: datetime, language: str) -> str:
    """``26 februari 2027, 17:00 CET``: Europe/Amsterdam wall-clock time with the zone named."""
    local = ensure_utc(value).astimezone(AMSTERDAM)
    if language not in MONTHS:
        from babel.dates import format_datetime

        return f"{format_datetime(local, 'd MMMM y, HH:mm', locale=language)} {local.tzname()}"
    return f"{_day_month_year(local, language)}, {local:%H:%M} {local.tzname()}"


def format_local_date(value: datetime, language: str) -> str:
    """``26 februari 2027``: the day in Europe/Amsterdam."""
    local = ensure_utc(value).astimezone(AMSTERDAM)
    if language not in MONTHS:
        from babel.dates import format_date

        return format_date(local, "d MMMM y", locale=language)
    return _day_month_year(local, language)


def _day_month_year(local: datetime, language: str) -> str:
    return f"{local.day} {MONTHS[language][local.month - 1]} {local.year}"


def format_number(value: int | float | Decimal, language: str, *, fraction_digits: int = 3) -> str:
    """``1.234,5`` (Dutch) or ``1,234.5``: grouped thousands, at most ``fraction_digits`` decimals (rounded half to
    even, trailing zeros dropped), as Babel's ``format_decimal`` with ``#,##0.###`` (``#,##0.##`` for 2)."""
    if language not in NUMBER_SIGNS:
        from babel.numbers import format_decimal

        return str(format_decimal(value, format="#,##0." + "#" * fraction_digits, locale=language))
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if not number.is_finite():
        return str(number)
    rounded = number.quantize(Decimal(1).scaleb(-fraction_digits), rounding=ROUND_HALF_EVEN)
    whole, _, fraction = f"{abs(rounded):f}".partition(".")
    decimal_sign, group_sign = NUMBER_SIGNS[language]
    grouped = f"{int(whole):,}".replace(",", group_sign)
    fraction = fraction.rstrip("0")
    sign = "-" if rounded < 0 else ""
    return f"{sign}{grouped}{decimal_sign}{fraction}" if fraction else f"{sign}{grouped}"


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
        return f"{format_number(kilobytes, language)} kB"
    return f"{format_number(round(size_bytes / MIB, 2), language, fraction_digits=2)} MB"
