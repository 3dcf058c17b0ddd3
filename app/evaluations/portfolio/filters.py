"""The filters of the portfolio figures, parsed from a query string: pure, no database, no web.

A new choice filter is one more field on ``Filters`` named as its query parameter, its keys
passed to ``parse_filters`` in ``choices`` (and its options to the form), and one more clause in
``queries.SCOPE_CLAUSES``.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from app.clock import AMSTERDAM
from app.errors import FieldError
from app.i18n import N_

_ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_DUTCH = re.compile(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})")
CHOICES = ("nld", "region")  # the choice filters, each a field of Filters and a query parameter
FIELDS = (*CHOICES, "published_from", "published_until")


@dataclass(frozen=True)
class Filters:
    """Which challenges a figure counts, and the moment that decides what is past its deadline.

    ``public``: only what the public statistics may show: challenges whose last deadline has passed, and
    evaluation figures only of proposals whose decision was released (nothing of those changes afterwards
    without a change the page cache sees)."""

    now: datetime
    nld: str | None = None
    region: str | None = None  # an ODIN regional team's key: the challenges tagged with it
    published_from: date | None = None
    published_until: date | None = None
    public: bool = False

    @property
    def published_since(self) -> datetime | None:
        """The first moment of ``published_from`` in Europe/Amsterdam."""
        if self.published_from is None:
            return None
        return datetime.combine(self.published_from, time(), AMSTERDAM)

    @property
    def published_before(self) -> datetime | None:
        """The first moment after ``published_until`` in Europe/Amsterdam (the day itself is included)."""
        if self.published_until is None:
            return None
        return datetime.combine(self.published_until + timedelta(days=1), time(), AMSTERDAM)

    def query(self) -> dict[str, str]:
        """The filters as query parameters (empty ones left out), for links that carry them (the CSV)."""
        values = {
            **{name: getattr(self, name) or "" for name in CHOICES},
            "published_from": self.published_from.isoformat() if self.published_from else "",
            "published_until": self.published_until.isoformat() if self.published_until else "",
        }
        return {key: value for key, value in values.items() if value}


def parse_date(text: str) -> date | None:
    """A date as a date field sends it (2027-03-01) or as typed in Dutch order (1-3-2027); None when neither."""
    text = text.strip()
    match = _ISO.fullmatch(text)
    if match:
        year, month, day = (int(part) for part in match.groups())
    else:
        match = _DUTCH.fullmatch(text)
        if not match:
            return None
        day, month, year = (int(part) for part in match.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date(values: Mapping[str, str], name: str, errors: list[FieldError]) -> date | None:
    text = (values.get(name) or "").strip()
    if not text:
        return None
    parsed = parse_date(text[:40])
    if parsed is None or not 1990 <= parsed.year <= 2200:
        errors.append(FieldError(name, N_("Enter a date as day, month and year, for example 1-3-2027.")))
        return None
    return parsed


def _choice(values: Mapping[str, str], name: str, keys: Collection[str], errors: list[FieldError]) -> str | None:
    chosen = (values.get(name) or "").strip() or None
    if chosen is not None and chosen not in keys:
        errors.append(FieldError(name, N_("Choose one of the options.")))
        return None
    return chosen


def parse_filters(
    values: Mapping[str, str], *, choices: Mapping[str, Collection[str]], now: datetime
) -> tuple[Filters, list[FieldError]]:
    """The filters from a query string (``choices``: per choice filter its valid keys), and a message per field
    that was not understood (that filter is then left out)."""
    errors: list[FieldError] = []
    chosen: dict[str, Any] = {name: _choice(values, name, choices.get(name, ()), errors) for name in CHOICES}
    since = _date(values, "published_from", errors)
    until = _date(values, "published_until", errors)
    if since is not None and until is not None and until < since:
        errors.append(FieldError("published_until", N_("The end of the period cannot be before its start.")))
        until = None
    return Filters(now=now, published_from=since, published_until=until, **chosen), errors
