"""The portal's own month names and number signs give what Babel's CLDR data gives, in both languages."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from app.clock import AMSTERDAM
from app.formatting import format_file_size, format_local_date, format_local_datetime, format_number
from app.settings import SUPPORTED_LANGUAGES

NUMBERS = [0, 1, -1, 7, 999, 1000, 1023, 12345, -12345, 1234567, 10**12, 0.5, 1.5, 2.5, -2.5, 0.0004, 0.0005,
           0.0015, 1.23456, 99.9999, 1234.5678, -0.4, 3.14159, 1e-7, 123456.789, Decimal("2.345"), Decimal("-1000.10"),
           Decimal("0.0025"), Decimal("1E+3")]  # fmt: skip


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_dates_are_written_as_babel_writes_them(language: str) -> None:
    for month in range(1, 13):
        for moment in (datetime(2027, month, 1, 0, 5, tzinfo=UTC), datetime(2026, month, 28, 16, 59, tzinfo=UTC)):
            local = moment.astimezone(AMSTERDAM)
            expected = f"{format_datetime(local, 'd MMMM y, HH:mm', locale=language)} {local.tzname()}"
            assert format_local_datetime(moment, language) == expected
            assert format_local_date(moment, language) == format_date(local, "d MMMM y", locale=language)


def test_a_date_near_midnight_is_the_day_in_amsterdam() -> None:
    assert format_local_date(datetime(2027, 2, 26, 23, 30, tzinfo=UTC), "nl") == "27 februari 2027"
    assert format_local_datetime(datetime(2027, 7, 1, 15, 0, tzinfo=UTC), "en") == "1 July 2027, 17:00 CEST"


@pytest.mark.parametrize("language", SUPPORTED_LANGUAGES)
def test_numbers_are_written_as_babel_writes_them(language: str) -> None:
    for value in NUMBERS:
        assert format_number(value, language) == format_decimal(value, locale=language), value
        assert format_number(value, language, fraction_digits=2) == format_decimal(
            value, format="#,##0.##", locale=language
        ), value


def test_numbers_and_sizes_take_the_languages_signs() -> None:
    assert format_number(1234.5, "nl") == "1.234,5"
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_file_size(1000 * 1024, "nl") == "1.000 kB"
    assert format_file_size(int(1.5 * 1024 * 1024), "nl") == "1,5 MB"
    assert format_file_size(int(1.5 * 1024 * 1024), "en") == "1.5 MB"


def test_another_language_falls_back_to_babel() -> None:
    moment = datetime(2027, 3, 5, 12, 0, tzinfo=UTC)
    assert format_local_date(moment, "de") == "5 März 2027"
    assert format_number(1234.5, "de") == "1.234,5"
